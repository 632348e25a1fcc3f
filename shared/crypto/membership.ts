// Signed team membership (docs/vault-format.md §13): every change — creation, add, role change,
// removal — is a statement signed by an owner or admin, chained to the one before by hash from the
// team's creation (as Keybase sigchains and MLS commits do). Readers replay the chain; a member row
// the relay made up is in no statement and is ignored.
import { z } from 'zod';
import { bodyHash, signBody, verificationFailed, verifyBody } from './signing.js';
import type { SignKeyPair } from './types.js';

export const STATEMENT_DOMAIN = 'keyhole/v1/team-statement';

const Id = z.string().regex(/^[A-Za-z0-9_-]{22}$/);
const Key = z.string().regex(/^[A-Za-z0-9_-]{43}$/);
const RoleSchema = z.enum(['owner', 'admin', 'member', 'user']);
export type TeamRole = z.infer<typeof RoleSchema>;

export const StatementBody = z
  .object({
    kind: z.literal('team-statement'),
    v: z.literal(1),
    vaultId: Id,
    seq: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    /** hash of the previous statement ('' for seq 0) */
    prev: z.union([z.literal(''), Key]),
    action: z.enum(['create', 'add', 'role', 'remove']),
    subject: Id,
    /** the subject's role after the statement (null for remove) */
    role: RoleSchema.nullable(),
    /** the subject's X25519 key (create/add; role may restate it) */
    boxKey: Key.nullable(),
    /** the subject's Ed25519 key (null: an account from before signing keys) */
    signKey: Key.nullable(),
    by: Id,
    at: z.number().int().min(0),
  })
  .strict();
export type StatementBody = z.infer<typeof StatementBody>;

export interface SignedStatement {
  body: string;
  signature: string;
}

export interface ChainMember {
  accountId: string;
  role: TeamRole;
  boxKey: string;
  signKey: string | null;
}

export interface VerifiedChain {
  vaultId: string;
  members: Map<string, ChainMember>;
  /** the last statement: the next one has seq + 1 and prev = hash */
  head: { seq: number; hash: string };
  /** hash of the creation statement: pinned by clients on first sight */
  genesis: string;
}

export type StatementInput = Omit<StatementBody, 'kind' | 'v'>;

export function signStatement(keys: SignKeyPair, input: StatementInput): SignedStatement {
  const body = JSON.stringify({
    kind: 'team-statement',
    v: 1,
    vaultId: input.vaultId,
    seq: input.seq,
    prev: input.prev,
    action: input.action,
    subject: input.subject,
    role: input.role,
    boxKey: input.boxKey,
    signKey: input.signKey,
    by: input.by,
    at: input.at,
  });
  return { body, signature: signBody(keys, STATEMENT_DOMAIN, body) };
}

export function statementHash(statement: SignedStatement): string {
  return bodyHash(STATEMENT_DOMAIN, statement.body);
}

const PRIVILEGED: ReadonlySet<TeamRole> = new Set(['owner', 'admin']);

/**
 * Replays a team's statements from its creation. Every statement must follow the one before (seq,
 * prev hash), be signed by a current owner/admin (the creation by its own subject), and obey the
 * relay's role rules (only owners touch owner/admin; a team keeps an owner).
 */
export function verifyChain(
  vaultId: string,
  statements: readonly SignedStatement[],
): VerifiedChain {
  const members = new Map<string, ChainMember>();
  let prev = '';
  let genesis = '';
  statements.forEach((statement, seq) => {
    const fail = (why: string) =>
      verificationFailed(`Team membership statement ${seq} is refused: ${why}.`);
    let s: StatementBody;
    try {
      s = StatementBody.parse(JSON.parse(statement.body));
    } catch {
      throw fail('malformed');
    }
    if (s.vaultId !== vaultId) throw fail('it belongs to another team');
    if (s.seq !== seq || s.prev !== prev) throw fail('it does not follow the one before');
    let signKey: string | null;
    if (seq === 0) {
      if (s.action !== 'create' || s.subject !== s.by || s.role !== 'owner')
        throw fail('a team starts with its owner creating it');
      signKey = s.signKey;
    } else {
      if (s.action === 'create') throw fail('a team is created once');
      const signer = members.get(s.by);
      if (!signer || !PRIVILEGED.has(signer.role))
        throw fail('its signer is not an owner or admin');
      signKey = signer.signKey;
    }
    if (
      signKey === null ||
      !verifyBody(signKey, STATEMENT_DOMAIN, statement.body, statement.signature)
    )
      throw fail('bad signature');
    const signerRole = seq === 0 ? 'owner' : members.get(s.by)!.role;
    const current = members.get(s.subject);
    const touchesPrivileged =
      (s.role !== null && PRIVILEGED.has(s.role)) || (current && PRIVILEGED.has(current.role));
    if (touchesPrivileged && signerRole !== 'owner') throw fail('only an owner may do that');
    switch (s.action) {
      case 'create':
      case 'add':
        if (current) throw fail('already a member');
        if (s.role === null || s.boxKey === null) throw fail('a member needs a role and a key');
        members.set(s.subject, {
          accountId: s.subject,
          role: s.role,
          boxKey: s.boxKey,
          signKey: s.signKey,
        });
        break;
      case 'role':
        if (!current || s.role === null) throw fail('not a member');
        members.set(s.subject, {
          ...current,
          role: s.role,
          boxKey: s.boxKey ?? current.boxKey,
          signKey: s.signKey ?? current.signKey,
        });
        break;
      case 'remove':
        if (!current || s.role !== null) throw fail('not a member');
        members.delete(s.subject);
        break;
    }
    if (![...members.values()].some((m) => m.role === 'owner')) throw fail('a team keeps an owner');
    prev = statementHash(statement);
    if (seq === 0) genesis = prev;
  });
  if (statements.length === 0) throw verificationFailed('The team has no membership statements.');
  return { vaultId, members, head: { seq: statements.length - 1, hash: prev }, genesis };
}
