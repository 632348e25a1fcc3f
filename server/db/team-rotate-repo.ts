// Key rotation (with or without removing a member), applied all or nothing in one transaction
// (docs/teams.md, "Remove (key rotation)"): every remaining member gets the new key, every live
// item gets its item key re-wrapped and a new revision, or — on any staleness — nothing changes.
import type { Kysely } from 'kysely';
import { KeyholeError } from '../../shared/errors.js';
import type {
  RotateConflictDetails,
  RotateRequest,
  RotateResponse,
} from '../../shared/protocol/team.js';
import { invalidating } from './cache-events.js';
import type { Database, ItemsTable } from './schema.js';
import { checkManifestSeq, manifestClaim } from './vaults-repo.js';
import {
  lockTeamVault,
  requireManager,
  requireMayTouchRole,
  requireTeamMember,
} from './team-access.js';
import { appendStatement } from './team-statements-repo.js';

/** Rows per multi-row upsert (8 columns each: well under SQLite's bound-variable limit). */
const CHUNK = 500;

function conflict(message: string, details: RotateConflictDetails): KeyholeError {
  return new KeyholeError('CONFLICT', message, { details });
}

function sameSet(a: readonly string[], b: ReadonlySet<string>): boolean {
  return a.length === b.size && new Set(a).size === a.length && a.every((id) => b.has(id));
}

export async function rotateTeamKey(
  db: Kysely<Database>,
  vaultId: string,
  callerId: string,
  removeAccountId: string | undefined,
  req: RotateRequest,
  now: number,
): Promise<RotateResponse> {
  // A removed member leaves every relay's cache at commit. (Items keep their data and deleted
  // flag in a rotation — only their wrapping changes, which the cache does not hold.)
  const events =
    removeAccountId === undefined
      ? []
      : [{ kind: 'member' as const, vaultId, accountId: removeAccountId }];
  return invalidating(db, events, async (tx) => {
    // The vault row lock comes first: a push or another rotation of this vault waits for us.
    const vault = await lockTeamVault(tx, vaultId);
    const { member: caller } = await requireTeamMember(tx, vaultId, callerId);
    requireManager(caller.role);

    const members = await tx
      .selectFrom('vault_members')
      .select(['account_id', 'role'])
      .where('vault_id', '=', vaultId)
      .where('removed_at', 'is', null)
      .execute();
    if (removeAccountId !== undefined) {
      const target = members.find((m) => m.account_id === removeAccountId);
      if (!target)
        throw new KeyholeError('NOT_FOUND', 'That account is not a member of this team.');
      requireMayTouchRole(caller.role, target.role, 'remove');
      if (
        target.role === 'owner' &&
        !members.some((m) => m.role === 'owner' && m.account_id !== removeAccountId)
      ) {
        throw new KeyholeError(
          'FORBIDDEN',
          'A team keeps at least one owner: add another owner first.',
        );
      }
    }

    const state = { keyGeneration: vault.key_generation, revision: vault.revision };
    if (req.keyGeneration !== vault.key_generation + 1) {
      throw conflict('The team key was rotated meanwhile: reload the team and try again.', {
        reason: 'key-generation',
        ...state,
      });
    }
    const remaining = new Set(
      members.map((m) => m.account_id).filter((id) => id !== removeAccountId),
    );
    if (
      !sameSet(
        req.memberKeys.map((k) => k.accountId),
        remaining,
      )
    ) {
      throw conflict(
        'The new key must be sealed to exactly the remaining members: reload the member list.',
        {
          reason: 'members',
          ...state,
        },
      );
    }

    const live = await tx
      .selectFrom('items')
      .selectAll()
      .where('vault_id', '=', vaultId)
      .where('deleted', '=', 0)
      .execute();
    const liveById = new Map(live.map((row) => [row.id, row]));
    const coversAll =
      sameSet(
        req.items.map((i) => i.id),
        new Set(liveById.keys()),
      ) && req.items.every((i) => Number(liveById.get(i.id)?.revision) === i.baseRevision);
    if (!coversAll) {
      throw conflict(
        'Items changed meanwhile: pull and re-wrap every live item at its current revision.',
        {
          reason: 'items',
          ...state,
        },
      );
    }

    // The rotating owner/admin re-signs the vault's state (a manifest signed by a member being
    // removed would otherwise no longer verify). Same rule as a push: the next sequence or 409.
    const claimed =
      req.manifest === undefined ? undefined : manifestClaim(req.manifest, vaultId, callerId);
    const seqRow = await tx
      .selectFrom('vaults')
      .select('manifest_seq')
      .where('id', '=', vaultId)
      .executeTakeFirstOrThrow();
    try {
      checkManifestSeq(claimed, Number(seqRow.manifest_seq));
    } catch (err) {
      if (err instanceof KeyholeError && err.code === 'CONFLICT')
        throw conflict('Items changed meanwhile: pull and sign the current state.', {
          reason: 'items',
          ...state,
        });
      throw err;
    }
    const keyGeneration = req.keyGeneration;
    await tx
      .updateTable('vaults')
      .set(
        claimed === undefined
          ? { key_generation: keyGeneration }
          : {
              key_generation: keyGeneration,
              manifest: JSON.stringify(req.manifest),
              manifest_seq: claimed.seq,
            },
      )
      .where('id', '=', vaultId)
      .execute();
    for (const key of req.memberKeys) {
      await tx
        .updateTable('vault_members')
        .set({ wrapped_key: key.wrappedKey, key_generation: keyGeneration })
        .where('vault_id', '=', vaultId)
        .where('account_id', '=', key.accountId)
        .execute();
    }
    if (removeAccountId !== undefined) {
      await appendStatement(
        tx,
        vaultId,
        callerId,
        req.statement,
        { action: 'remove', subject: removeAccountId, role: null },
        now,
      );
      await tx
        .updateTable('vault_members')
        .set({ removed_at: now })
        .where('vault_id', '=', vaultId)
        .where('account_id', '=', removeAccountId)
        .execute();
    }

    // Every live item: same item key and data, new wrapping, new revision (so clients pull it).
    let revision = vault.revision;
    const rows: ItemsTable[] = req.items.map((item) => {
      revision += 1;
      const current = liveById.get(item.id) as ItemsTable;
      return {
        ...current,
        revision,
        wrapped_key: item.wrappedKey,
        key_generation: keyGeneration,
        updated_at: now,
      };
    });
    for (let i = 0; i < rows.length; i += CHUNK) {
      await tx
        .insertInto('items')
        .values(rows.slice(i, i + CHUNK))
        .onConflict((oc) =>
          oc.columns(['vault_id', 'id']).doUpdateSet((eb) => ({
            revision: eb.ref('excluded.revision'),
            wrapped_key: eb.ref('excluded.wrapped_key'),
            key_generation: eb.ref('excluded.key_generation'),
            updated_at: eb.ref('excluded.updated_at'),
          })),
        )
        .execute();
    }
    // A rotation with no items still moves the revision, so every client notices the new key.
    if (rows.length === 0) revision += 1;
    await tx.updateTable('vaults').set({ revision }).where('id', '=', vaultId).execute();

    return {
      vaultId,
      keyGeneration,
      revision,
      ...(removeAccountId !== undefined ? { removedAccountId: removeAccountId } : {}),
      exposedItemIds: removeAccountId !== undefined ? rows.map((r) => r.id) : [],
      items: rows.map((r) => ({ id: r.id, revision: r.revision })),
    };
  });
}
