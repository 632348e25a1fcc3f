// Team membership statements (docs/vault-format.md §13): the relay keeps each team's chain in
// order and checks that a statement matches the change it comes with; signatures are the
// clients' to verify. A team with a chain takes no membership change without its statement.
import type { Kysely, Transaction } from 'kysely';
import { KeyholeError } from '../../shared/errors.js';
import type { SignedObject } from '../../shared/protocol/vault.js';
import type { Database } from './schema.js';
import {
  lockTeamVault,
  requireManager,
  requireMayTouchRole,
  requireTeamMember,
  type Db,
} from './team-access.js';
import type { Role } from '../../shared/protocol/vault.js';

export interface StatementClaim {
  seq: number;
  action: string;
  subject: string;
  role: string | null;
  by: string;
}

function invalid(why: string): KeyholeError {
  return new KeyholeError('INVALID_REQUEST', `Invalid body: statement: ${why}.`);
}

/** The public fields the relay checks; the rest is the clients' business. */
export function claimOf(statement: SignedObject, vaultId: string): StatementClaim {
  let b: Record<string, unknown>;
  try {
    b = JSON.parse(statement.body) as Record<string, unknown>;
  } catch {
    throw invalid('not JSON');
  }
  if (
    typeof b !== 'object' ||
    b === null ||
    b.kind !== 'team-statement' ||
    b.vaultId !== vaultId ||
    typeof b.seq !== 'number' ||
    !Number.isSafeInteger(b.seq) ||
    typeof b.action !== 'string' ||
    typeof b.subject !== 'string' ||
    typeof b.by !== 'string'
  ) {
    throw invalid('not a statement of this team');
  }
  return {
    seq: b.seq,
    action: b.action,
    subject: b.subject,
    role: typeof b.role === 'string' ? b.role : null,
    by: b.by,
  };
}

export async function statementCount(db: Db, vaultId: string): Promise<number> {
  const row = await db
    .selectFrom('team_statements')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('vault_id', '=', vaultId)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

export async function listStatements(db: Db, vaultId: string): Promise<SignedObject[]> {
  const rows = await db
    .selectFrom('team_statements')
    .select(['body', 'signature'])
    .where('vault_id', '=', vaultId)
    .orderBy('seq')
    .execute();
  return rows.map((r) => ({ body: r.body, signature: r.signature }));
}

/**
 * Appends `statement` (inside the caller's transaction, under the vault lock) after checking that
 * it is the next one, made by the caller, about `expected`. Without a statement: allowed only for
 * a team that has no chain yet (a team made before signed membership).
 */
export async function appendStatement(
  tx: Transaction<Database>,
  vaultId: string,
  callerId: string,
  statement: SignedObject | undefined,
  expected: { action: string; subject: string; role?: string | null },
  now: number,
): Promise<void> {
  const count = await statementCount(tx, vaultId);
  if (statement === undefined) {
    if (count > 0)
      throw invalid('this team signs its membership: the change needs its signed statement');
    return;
  }
  const claim = claimOf(statement, vaultId);
  if (claim.by !== callerId) throw invalid('signed by another account');
  if (
    claim.action !== expected.action ||
    claim.subject !== expected.subject ||
    (expected.role !== undefined && claim.role !== expected.role)
  ) {
    throw invalid('it does not describe this change');
  }
  if (claim.seq !== count) {
    throw new KeyholeError('CONFLICT', 'The membership changed meanwhile: reload the team.', {
      details: { reason: 'members', statements: count },
    });
  }
  await tx
    .insertInto('team_statements')
    .values({
      vault_id: vaultId,
      seq: claim.seq,
      body: statement.body,
      signature: statement.signature,
      created_at: now,
    })
    .execute();
}

/**
 * POST /v1/teams/:vaultId/statements, by an owner or admin: statements that describe members as
 * they already are (an owner signing a team made before signed membership: create + add for each
 * member) or change a role. Removals go through the rotation (DELETE …/members/:id).
 */
export async function appendRestatements(
  db: Kysely<Database>,
  vaultId: string,
  callerId: string,
  statements: SignedObject[],
  now: number,
): Promise<void> {
  await db.transaction().execute(async (tx) => {
    await lockTeamVault(tx, vaultId);
    const { member: caller } = await requireTeamMember(tx, vaultId, callerId);
    requireManager(caller.role);
    for (const statement of statements) {
      const claim = claimOf(statement, vaultId);
      const row = await tx
        .selectFrom('vault_members')
        .select(['role'])
        .where('vault_id', '=', vaultId)
        .where('account_id', '=', claim.subject)
        .where('removed_at', 'is', null)
        .executeTakeFirst();
      if (!row) throw invalid('its subject is not a member');
      if (claim.action === 'create' || claim.action === 'add') {
        if (claim.role !== row.role) throw invalid('it does not describe the member as they are');
      } else if (claim.action === 'role' && claim.role !== null) {
        requireMayTouchRole(caller.role, row.role, 'add');
        requireMayTouchRole(caller.role, claim.role as Role, 'add');
        await tx
          .updateTable('vault_members')
          .set({ role: claim.role as Role })
          .where('vault_id', '=', vaultId)
          .where('account_id', '=', claim.subject)
          .execute();
      } else {
        throw invalid('removals go with a key rotation');
      }
      await appendStatement(
        tx,
        vaultId,
        callerId,
        statement,
        { action: claim.action, subject: claim.subject },
        now,
      );
    }
  });
}
