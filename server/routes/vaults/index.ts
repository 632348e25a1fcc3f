// /v1/vaults: list the account's vaults, pull changes, push a batch (docs/protocol.md, "Vaults").
import { Hono } from 'hono';
import { Id } from '../../../shared/protocol/common.js';
import { PullQuery, PushRequest } from '../../../shared/protocol/vault.js';
import type { ListVaultsResponse } from '../../../shared/protocol/vault.js';
import type { z } from 'zod';
import { listVaults, pullItems, pushItems, requireMembership } from '../../db/vaults-repo.js';
import type { AppDeps } from '../../deps.js';
import type { AppEnv } from '../../http/app-env.js';
import { parseWith, readJson, readQuery } from '../../http/validate.js';
import { requireSession } from '../../middleware/session.js';
import type { Services } from '../../services.js';

export function createVaultRoutes(deps: AppDeps, services: Services): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const { db } = deps.store;
  app.use('*', requireSession(deps));

  app.get('/', async (c) => {
    const vaults = await listVaults(db, c.var.accountId);
    return c.json({ vaults } satisfies z.infer<typeof ListVaultsResponse>);
  });

  app.get('/:vaultId/items', async (c) => {
    const vaultId = parseWith(Id, c.req.param('vaultId'), 'vaultId');
    const { since, limit } = readQuery(c, PullQuery);
    await requireMembership(db, vaultId, c.var.accountId);
    return c.json(await pullItems(db, vaultId, since, limit));
  });

  app.post('/:vaultId/items', async (c) => {
    const vaultId = parseWith(Id, c.req.param('vaultId'), 'vaultId');
    const { writes, manifest } = await readJson(c, PushRequest);
    // Checked here (cheap, no lock) and again inside the transaction (authoritative).
    await requireMembership(db, vaultId, c.var.accountId);
    return c.json(await pushItems(db, vaultId, c.var.accountId, writes, services.now(), manifest));
  });

  return app;
}
