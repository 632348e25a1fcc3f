// Creating a team and adding members: each one transaction on the locked vault row.
import type { Kysely } from 'kysely';
import { KeyholeError } from '../../shared/errors.js';
import type {
  AddMemberRequest,
  CreateTeamRequest,
  CreateTeamResponse,
  TeamMember,
} from '../../shared/protocol/team.js';
import { invalidating } from './cache-events.js';
import { isUniqueViolation } from './db-errors.js';
import type { Database } from './schema.js';
import { insertVaultWithOwner } from './vaults-repo.js';
import {
  lockTeamVault,
  requireManager,
  requireMayTouchRole,
  requireTeamMember,
} from './team-access.js';
import { appendStatement } from './team-statements-repo.js';

/** The creator becomes the owner, holding the vault key sealed to itself at generation 0. */
export async function createTeam(
  db: Kysely<Database>,
  accountId: string,
  req: CreateTeamRequest,
  now: number,
): Promise<CreateTeamResponse> {
  try {
    await db.transaction().execute(async (tx) => {
      await insertVaultWithOwner(
        tx,
        {
          id: req.vaultId,
          kind: 'team',
          name: req.name,
          ownerId: accountId,
          wrappedKey: req.wrappedKey,
        },
        now,
      );
      if (req.statement !== undefined) {
        await appendStatement(
          tx,
          req.vaultId,
          accountId,
          req.statement,
          { action: 'create', subject: accountId, role: 'owner' },
          now,
        );
      }
    });
  } catch (err) {
    if (isUniqueViolation(err))
      throw new KeyholeError('CONFLICT', 'That vault id is already in use; generate a new one.');
    throw err;
  }
  return { vaultId: req.vaultId, name: req.name, role: 'owner', keyGeneration: 0 };
}

/**
 * Adds (or re-adds a removed) member with the current vault key sealed to them. Only owners and
 * admins invite; only owners grant owner/admin; a stale key generation is a CONFLICT.
 */
export async function addMember(
  db: Kysely<Database>,
  vaultId: string,
  callerId: string,
  req: AddMemberRequest,
  now: number,
): Promise<TeamMember> {
  // (The cache holds live memberships only; re-adding changes what it may hold all the same.)
  const events = [{ kind: 'member' as const, vaultId, accountId: req.accountId }];
  return invalidating(db, events, async (tx) => {
    const vault = await lockTeamVault(tx, vaultId);
    const { member: caller } = await requireTeamMember(tx, vaultId, callerId);
    requireManager(caller.role);
    requireMayTouchRole(caller.role, req.role, 'add');
    if (req.keyGeneration !== vault.key_generation) {
      throw new KeyholeError(
        'CONFLICT',
        'The team key was rotated meanwhile: reload the team and seal the current key.',
        {
          details: {
            reason: 'key-generation',
            keyGeneration: vault.key_generation,
            revision: vault.revision,
          },
        },
      );
    }
    const account = await tx
      .selectFrom('accounts')
      .select(['id', 'email', 'public_key', 'sign_public_key'])
      .where('id', '=', req.accountId)
      .executeTakeFirst();
    if (!account) throw new KeyholeError('NOT_FOUND', 'No such account.');

    const existing = await tx
      .selectFrom('vault_members')
      .select(['removed_at'])
      .where('vault_id', '=', vaultId)
      .where('account_id', '=', req.accountId)
      .executeTakeFirst();
    const row = {
      role: req.role,
      wrapped_key: req.wrappedKey,
      key_generation: req.keyGeneration,
      added_at: now,
      removed_at: null,
    };
    if (existing && existing.removed_at === null) {
      throw new KeyholeError('CONFLICT', 'That account is already a member of this team.', {
        details: {
          reason: 'members',
          keyGeneration: vault.key_generation,
          revision: vault.revision,
        },
      });
    }
    await appendStatement(
      tx,
      vaultId,
      callerId,
      req.statement,
      { action: 'add', subject: req.accountId, role: req.role },
      now,
    );
    if (existing) {
      await tx
        .updateTable('vault_members')
        .set(row)
        .where('vault_id', '=', vaultId)
        .where('account_id', '=', req.accountId)
        .execute();
      // A removal ended this member's grants; coming back does not bring them back (they were
      // shown as ended, and their tokens may be anywhere). The member event drops them from
      // every relay's cache (relay-cache.ts).
      await tx
        .updateTable('grants')
        .set({ revoked_at: now })
        .where('vault_id', '=', vaultId)
        .where('account_id', '=', req.accountId)
        .where('revoked_at', 'is', null)
        .execute();
    } else {
      await tx
        .insertInto('vault_members')
        .values({ vault_id: vaultId, account_id: req.accountId, ...row })
        .execute();
    }
    return {
      accountId: account.id,
      email: account.email,
      role: req.role,
      publicKey: account.public_key,
      signPublicKey: account.sign_public_key,
      keyGeneration: req.keyGeneration,
      addedAt: now,
    };
  });
}
