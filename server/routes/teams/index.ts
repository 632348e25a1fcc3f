// Team routes, mounted at /v1 (docs/teams.md): create a team, look up a public key, list/add/remove
// members (removal = key rotation), rotate, read the team's audit log.
import { Hono } from 'hono';
import { KeyholeError } from '../../../shared/errors.js';
import { Email, Id } from '../../../shared/protocol/common.js';
import {
  AddMemberRequest,
  AppendStatementsRequest,
  AuditQuery,
  CreateTeamRequest,
  RotateRequest,
  type AddMemberResponse,
  type ListMembersResponse,
  type PublicKeyResponse,
  type StatementsResponse,
} from '../../../shared/protocol/team.js';
import { findAccountByEmail } from '../../db/accounts-repo.js';
import type { AppDeps } from '../../deps.js';
import type { AppEnv } from '../../http/app-env.js';
import { parseWith, readJson, readQuery } from '../../http/validate.js';
import { limitBody } from '../../middleware/body-limit.js';
import { requireSession } from '../../middleware/session.js';
import { listActiveMembers, requireTeamMember } from '../../db/team-access.js';
import { readTeamAudit } from '../../db/team-audit-repo.js';
import {
  DEFAULT_KEY_LOOKUP_LIMIT,
  createKeyLookupLimiter,
  type KeyLookupLimit,
} from './key-lookup-limit.js';
import { addMember, createTeam } from '../../db/team-members-repo.js';
import { rotateTeamKey } from '../../db/team-rotate-repo.js';
import { appendRestatements, listStatements } from '../../db/team-statements-repo.js';

export interface TeamRouteOptions {
  keyLookups?: KeyLookupLimit;
  /** body cap for rotations, which carry every item's re-wrapped key (default 16 MiB) */
  maxRotateBodyBytes?: number;
}

export function createTeamRoutes(deps: AppDeps, options: TeamRouteOptions = {}): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const { db } = deps.store;
  const now = deps.now ?? Date.now;
  const lookupAllowed = createKeyLookupLimiter(
    deps.store,
    options.keyLookups ?? DEFAULT_KEY_LOOKUP_LIMIT,
  );
  const small = limitBody(deps.config.maxBodyBytes);
  const large = limitBody(
    Math.max(deps.config.maxBodyBytes, options.maxRotateBodyBytes ?? 16 * 1024 * 1024),
  );

  // Mounted at /v1 next to other routers: scope the middleware to our paths only.
  for (const path of ['/teams', '/teams/*', '/keys/*']) app.use(path, requireSession(deps));

  app.post('/teams', small, async (c) => {
    const body = await readJson(c, CreateTeamRequest);
    return c.json(await createTeam(db, c.var.accountId, body, now()), 201);
  });

  app.get('/keys/:email', async (c) => {
    const email = parseWith(Email, decodeURIComponent(c.req.param('email')), 'email');
    await lookupAllowed(c.var.accountId);
    const account = await findAccountByEmail(db, email);
    if (!account) throw new KeyholeError('NOT_FOUND', 'No account with that email.');
    return c.json({
      accountId: account.id,
      email: account.email,
      publicKey: account.public_key,
      signPublicKey: account.sign_public_key,
    } satisfies PublicKeyResponse);
  });

  app.get('/teams/:vaultId/members', async (c) => {
    const vaultId = parseWith(Id, c.req.param('vaultId'), 'vaultId');
    const { vault } = await requireTeamMember(db, vaultId, c.var.accountId);
    const members = await listActiveMembers(db, vaultId);
    return c.json({
      vaultId,
      name: vault.name ?? '',
      keyGeneration: vault.key_generation,
      members,
    } satisfies ListMembersResponse);
  });

  app.post('/teams/:vaultId/members', small, async (c) => {
    const vaultId = parseWith(Id, c.req.param('vaultId'), 'vaultId');
    const body = await readJson(c, AddMemberRequest);
    const member = await addMember(db, vaultId, c.var.accountId, body, now());
    return c.json({ member } satisfies AddMemberResponse, 201);
  });

  app.delete('/teams/:vaultId/members/:accountId', large, async (c) => {
    const vaultId = parseWith(Id, c.req.param('vaultId'), 'vaultId');
    const accountId = parseWith(Id, c.req.param('accountId'), 'accountId');
    const body = await readJson(c, RotateRequest);
    return c.json(await rotateTeamKey(db, vaultId, c.var.accountId, accountId, body, now()));
  });

  app.post('/teams/:vaultId/rotate', large, async (c) => {
    const vaultId = parseWith(Id, c.req.param('vaultId'), 'vaultId');
    const body = await readJson(c, RotateRequest);
    return c.json(await rotateTeamKey(db, vaultId, c.var.accountId, undefined, body, now()));
  });

  app.get('/teams/:vaultId/statements', async (c) => {
    const vaultId = parseWith(Id, c.req.param('vaultId'), 'vaultId');
    await requireTeamMember(db, vaultId, c.var.accountId);
    const statements = await listStatements(db, vaultId);
    return c.json({ vaultId, statements } satisfies StatementsResponse);
  });

  app.post('/teams/:vaultId/statements', large, async (c) => {
    const vaultId = parseWith(Id, c.req.param('vaultId'), 'vaultId');
    const { statements } = await readJson(c, AppendStatementsRequest);
    await appendRestatements(db, vaultId, c.var.accountId, statements, now());
    return c.json({ ok: true });
  });

  app.get('/teams/:vaultId/audit', async (c) => {
    const vaultId = parseWith(Id, c.req.param('vaultId'), 'vaultId');
    const query = readQuery(c, AuditQuery);
    return c.json(await readTeamAudit(db, vaultId, c.var.accountId, query));
  });

  return app;
}
