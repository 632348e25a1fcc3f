// Who may do what in a team vault (docs/teams.md, "Roles"), and the lookups those checks need.
import type { Kysely, Transaction } from 'kysely';
import { KeyholeError } from '../../shared/errors.js';
import type { Role } from '../../shared/protocol/vault.js';
import type { Database, VaultMembersTable, VaultsTable } from './schema.js';

export type Db = Kysely<Database> | Transaction<Database>;

/** Roles that manage members (invite member/user, remove member/user, rotate). */
export const MANAGER_ROLES: readonly Role[] = ['owner', 'admin'];
/** Roles only an owner may grant, or remove. */
export const PRIVILEGED_ROLES: readonly Role[] = ['owner', 'admin'];

export interface TeamAccess {
  vault: Pick<VaultsTable, 'id' | 'name' | 'revision' | 'key_generation'>;
  member: VaultMembersTable;
}

const noSuchTeam = (): KeyholeError => new KeyholeError('NOT_FOUND', 'No such team.');

/**
 * The caller's live membership of a team vault. A missing vault, a personal vault and a team the
 * caller is not (or no longer) in all answer NOT_FOUND, so team ids cannot be probed.
 */
export async function requireTeamMember(
  db: Db,
  vaultId: string,
  accountId: string,
): Promise<TeamAccess> {
  const row = await db
    .selectFrom('vault_members as m')
    .innerJoin('vaults as v', 'v.id', 'm.vault_id')
    .selectAll('m')
    .select(['v.name', 'v.kind', 'v.revision', 'v.key_generation as vault_key_generation'])
    .where('m.vault_id', '=', vaultId)
    .where('m.account_id', '=', accountId)
    .where('m.removed_at', 'is', null)
    .executeTakeFirst();
  if (!row || row.kind !== 'team') throw noSuchTeam();
  return {
    vault: {
      id: vaultId,
      name: row.name,
      revision: Number(row.revision),
      key_generation: Number(row.vault_key_generation),
    },
    member: {
      vault_id: row.vault_id,
      account_id: row.account_id,
      role: row.role,
      wrapped_key: row.wrapped_key,
      key_generation: Number(row.key_generation),
      added_at: Number(row.added_at),
      removed_at: null,
    },
  };
}

/**
 * Locks the team's vault row for the rest of the transaction (a no-op UPDATE: a row lock on
 * PostgreSQL, the write lock on SQLite) — the same lock a push takes, so pushes, invitations and
 * rotations of one vault run one at a time. Returns the row as it is under the lock.
 */
export async function lockTeamVault(
  tx: Transaction<Database>,
  vaultId: string,
): Promise<TeamAccess['vault']> {
  const vault = await tx
    .updateTable('vaults')
    .set((eb) => ({ revision: eb.ref('revision') }))
    .where('id', '=', vaultId)
    .where('kind', '=', 'team')
    .returning(['id', 'name', 'revision', 'key_generation'])
    .executeTakeFirst();
  if (!vault) throw noSuchTeam();
  return {
    id: vault.id,
    name: vault.name,
    revision: Number(vault.revision),
    key_generation: Number(vault.key_generation),
  };
}

export function requireManager(role: Role): void {
  if (!MANAGER_ROLES.includes(role)) {
    throw new KeyholeError(
      'FORBIDDEN',
      'Only an owner or an admin of this team may manage its members.',
    );
  }
}

/** Granting or taking away owner/admin is for owners only. */
export function requireMayTouchRole(
  callerRole: Role,
  targetRole: Role,
  verb: 'add' | 'remove',
): void {
  if (PRIVILEGED_ROLES.includes(targetRole) && callerRole !== 'owner') {
    throw new KeyholeError(
      'FORBIDDEN',
      `Only an owner may ${verb} an ${targetRole === 'owner' ? 'owner' : 'admin'}.`,
    );
  }
}

/** Active members of a team, with the account facts clients need (email, public key). */
export async function listActiveMembers(db: Db, vaultId: string) {
  const rows = await db
    .selectFrom('vault_members as m')
    .innerJoin('accounts as a', 'a.id', 'm.account_id')
    .select([
      'm.account_id',
      'm.role',
      'm.key_generation',
      'm.added_at',
      'a.email',
      'a.public_key',
      'a.sign_public_key',
    ])
    .where('m.vault_id', '=', vaultId)
    .where('m.removed_at', 'is', null)
    .orderBy('m.added_at')
    .orderBy('a.email')
    .execute();
  return rows.map((r) => ({
    accountId: r.account_id,
    email: r.email,
    role: r.role,
    publicKey: r.public_key,
    signPublicKey: r.sign_public_key,
    keyGeneration: Number(r.key_generation),
    addedAt: Number(r.added_at),
  }));
}
