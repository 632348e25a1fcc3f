// Vaults and items: membership checks, listing, pulling changes, pushing batches.
// Revisions: each vault row holds the last revision handed out; a push locks that row first
// (a no-op UPDATE: a row lock on PostgreSQL, the write lock on SQLite), so two relays on one
// database can never hand out the same revision, and a unique (vault_id, revision) index backs it.
import { sql, type Kysely, type Transaction } from 'kysely';
import { KeyholeError } from '../../shared/errors.js';
import type {
  ItemRecord,
  ItemWrite,
  PullResponse,
  PushResponse,
  Role,
  SignedObject,
  VaultSummary,
} from '../../shared/protocol/vault.js';
import { invalidating } from './cache-events.js';
import type { Database, ItemsTable, VaultMembersTable } from './schema.js';

type Db = Kysely<Database> | Transaction<Database>;

/** Roles that may write items. 'user' may only use secrets (through the forwarder). */
/** Inserts a new vault (revision 0, key generation 0) and its owner's membership, inside `tx`. */
export async function insertVaultWithOwner(
  tx: Db,
  vault: {
    id: string;
    kind: 'personal' | 'team';
    name: string | null;
    ownerId: string;
    wrappedKey: string;
  },
  now: number,
): Promise<void> {
  await tx
    .insertInto('vaults')
    .values({
      id: vault.id,
      kind: vault.kind,
      name: vault.name,
      owner_id: vault.ownerId,
      revision: 0,
      key_generation: 0,
      created_at: now,
      manifest: null,
      manifest_seq: 0,
    })
    .execute();
  await tx
    .insertInto('vault_members')
    .values({
      vault_id: vault.id,
      account_id: vault.ownerId,
      role: 'owner',
      wrapped_key: vault.wrappedKey,
      key_generation: 0,
      added_at: now,
      removed_at: null,
    })
    .execute();
}

export const WRITER_ROLES: readonly Role[] = ['owner', 'admin', 'member'];

export function toItemRecord(row: ItemsTable): ItemRecord {
  return {
    id: row.id,
    revision: Number(row.revision),
    deleted: Number(row.deleted) === 1,
    wrappedKey: row.wrapped_key,
    data: row.data,
    keyGeneration: Number(row.key_generation),
    updatedAt: Number(row.updated_at),
  };
}

export async function listVaults(db: Db, accountId: string): Promise<VaultSummary[]> {
  const rows = await db
    .selectFrom('vault_members as m')
    .innerJoin('vaults as v', 'v.id', 'm.vault_id')
    .select([
      'v.id',
      'v.kind',
      'v.name',
      'v.revision',
      'v.key_generation',
      'm.role',
      'm.wrapped_key',
    ])
    .where('m.account_id', '=', accountId)
    .where('m.removed_at', 'is', null)
    .orderBy('v.created_at')
    .orderBy('v.id')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    kind: r.kind,
    name: r.name,
    role: r.role,
    wrappedKey: r.wrapped_key,
    keyGeneration: Number(r.key_generation),
    revision: Number(r.revision),
  }));
}

/**
 * The account's live membership of the vault. A vault that does not exist and a vault the account
 * is not (or no longer) a member of both give NOT_FOUND, so vault ids cannot be probed.
 */
export async function requireMembership(
  db: Db,
  vaultId: string,
  accountId: string,
): Promise<VaultMembersTable> {
  const member = await db
    .selectFrom('vault_members')
    .selectAll()
    .where('vault_id', '=', vaultId)
    .where('account_id', '=', accountId)
    .where('removed_at', 'is', null)
    .executeTakeFirst();
  if (!member) throw new KeyholeError('NOT_FOUND', 'No such vault.');
  return member;
}

export async function getItem(
  db: Db,
  vaultId: string,
  itemId: string,
): Promise<ItemRecord | undefined> {
  const row = await db
    .selectFrom('items')
    .selectAll()
    .where('vault_id', '=', vaultId)
    .where('id', '=', itemId)
    .executeTakeFirst();
  return row ? toItemRecord(row) : undefined;
}

/**
 * Changes after `since`, oldest first. The page is bounded by the vault revision read first, so
 * `revision` is exact: every change up to it is in this page or the next ones.
 */
export async function pullItems(
  db: Db,
  vaultId: string,
  since: number,
  limit: number,
): Promise<PullResponse> {
  // Revision and manifest come from one row, written together by a push: a consistent pair.
  const vault = await db
    .selectFrom('vaults')
    .select(['revision', 'manifest'])
    .where('id', '=', vaultId)
    .executeTakeFirstOrThrow();
  const revision = Number(vault.revision);
  const rows = await db
    .selectFrom('items')
    .selectAll()
    .where('vault_id', '=', vaultId)
    .where('revision', '>', since)
    .where('revision', '<=', revision)
    .orderBy('revision')
    .limit(limit + 1)
    .execute();
  const hasMore = rows.length > limit;
  // The manifest (tens of KB at 1,000 items) comes with the last page only: the client verifies
  // once it holds every row up to `revision`, so earlier pages would carry it for nothing.
  if (hasMore) return { items: rows.slice(0, limit).map(toItemRecord), revision, hasMore };
  return {
    items: rows.slice(0, limit).map(toItemRecord),
    revision,
    hasMore,
    manifest: vault.manifest === null ? null : (JSON.parse(vault.manifest) as SignedObject),
  };
}

/**
 * Applies a batch atomically. Every write names the revision it was based on (0 = new item);
 * if any base is stale, nothing is applied and CONFLICT carries the current versions.
 */
export async function pushItems(
  db: Kysely<Database>,
  vaultId: string,
  accountId: string,
  writes: ItemWrite[],
  now: number,
  manifest?: SignedObject,
): Promise<PushResponse> {
  const claimed = manifest === undefined ? undefined : manifestClaim(manifest, vaultId, accountId);
  const ids = writes.map((w) => w.id);
  if (new Set(ids).size !== ids.length) {
    throw new KeyholeError(
      'INVALID_REQUEST',
      'Invalid body: writes: the same item id appears twice in one batch.',
    );
  }
  const events = ids.map((itemId) => ({ kind: 'item' as const, vaultId, itemId }));
  return invalidating(db, events, async (tx) => {
    // Lock the vault row first; everything below runs with the revision counter held.
    const vault = await tx
      .updateTable('vaults')
      .set({ revision: sql<number>`revision` })
      .where('id', '=', vaultId)
      .returning(['revision', 'key_generation', 'manifest_seq'])
      .executeTakeFirst();
    const member = await requireMembership(tx, vaultId, accountId);
    if (!vault) throw new KeyholeError('NOT_FOUND', 'No such vault.');
    if (!WRITER_ROLES.includes(member.role))
      throw new KeyholeError('FORBIDDEN', 'This role may use secrets but not change them.');

    const manifestSeq = Number(vault.manifest_seq);
    const keyGeneration = Number(vault.key_generation);
    const stale = writes.filter((w) => !w.deleted && w.keyGeneration !== keyGeneration);
    if (stale.length > 0) {
      throw new KeyholeError(
        'CONFLICT',
        'The vault key was rotated: fetch the new vault key and re-encrypt.',
        {
          details: { current: [], keyGeneration },
        },
      );
    }

    if (writes.length === 0) {
      checkManifestSeq(claimed, manifestSeq);
      // A manifest alone: the first signature of a vault written before manifests (migration).
      await tx
        .updateTable('vaults')
        .set({ manifest: JSON.stringify(manifest), manifest_seq: claimed!.seq })
        .where('id', '=', vaultId)
        .execute();
      return { revision: Number(vault.revision), items: [] };
    }
    const existing = await tx
      .selectFrom('items')
      .selectAll()
      .where('vault_id', '=', vaultId)
      .where('id', 'in', ids)
      .execute();
    const byId = new Map(existing.map((row) => [row.id, row]));
    const conflicts: ItemRecord[] = [];
    let conflicted = false;
    for (const write of writes) {
      const current = byId.get(write.id);
      const currentRevision = current ? Number(current.revision) : 0;
      if (currentRevision !== write.baseRevision) {
        conflicted = true;
        if (current) conflicts.push(toItemRecord(current));
      }
    }
    if (conflicted)
      throw new KeyholeError('CONFLICT', undefined, { details: { current: conflicts } });
    checkManifestSeq(claimed, manifestSeq);

    let revision = Number(vault.revision);
    const rows: ItemsTable[] = writes.map((w) => {
      revision += 1;
      return {
        vault_id: vaultId,
        id: w.id,
        revision,
        deleted: w.deleted ? 1 : 0,
        // A tombstone keeps its (authenticated, versioned) ciphertext: it holds no secret.
        wrapped_key: w.wrappedKey,
        data: w.data,
        key_generation: w.keyGeneration,
        updated_at: now,
      };
    });
    await tx
      .insertInto('items')
      .values(rows)
      .onConflict((oc) =>
        oc.columns(['vault_id', 'id']).doUpdateSet((eb) => ({
          revision: eb.ref('excluded.revision'),
          deleted: eb.ref('excluded.deleted'),
          wrapped_key: eb.ref('excluded.wrapped_key'),
          data: eb.ref('excluded.data'),
          key_generation: eb.ref('excluded.key_generation'),
          updated_at: eb.ref('excluded.updated_at'),
        })),
      )
      .execute();
    await tx
      .updateTable('vaults')
      .set(
        claimed === undefined
          ? { revision }
          : { revision, manifest: JSON.stringify(manifest), manifest_seq: claimed.seq },
      )
      .where('id', '=', vaultId)
      .execute();
    return { revision, items: rows.map((r) => ({ id: r.id, revision: r.revision })) };
  });
}

/**
 * What the relay reads from a manifest it is handed: the vault, the writer and the sequence. The
 * signature is the clients' to check (they hold the keys they trust); the relay only keeps order.
 */
export function manifestClaim(
  manifest: SignedObject,
  vaultId: string,
  accountId: string,
): { seq: number } {
  let body: unknown;
  try {
    body = JSON.parse(manifest.body);
  } catch {
    body = null;
  }
  const b = body as { kind?: unknown; vaultId?: unknown; signer?: unknown; seq?: unknown } | null;
  if (
    b === null ||
    typeof b !== 'object' ||
    b.kind !== 'manifest' ||
    b.vaultId !== vaultId ||
    typeof b.seq !== 'number' ||
    !Number.isSafeInteger(b.seq) ||
    b.seq < 1
  ) {
    throw new KeyholeError(
      'INVALID_REQUEST',
      'Invalid body: manifest: not a manifest of this vault.',
    );
  }
  if (b.signer !== accountId)
    throw new KeyholeError('INVALID_REQUEST', 'Invalid body: manifest: signed by another account.');
  return { seq: b.seq };
}

/**
 * Signed state (docs/vault-format.md §12): once a vault has a manifest, every write brings the
 * next one. A sequence that does not follow is another writer's race: CONFLICT, never overwrite.
 */
export function checkManifestSeq(claimed: { seq: number } | undefined, manifestSeq: number): void {
  if (claimed === undefined && manifestSeq > 0) {
    throw new KeyholeError(
      'INVALID_REQUEST',
      'This vault is signed: a write must bring its next manifest (update Keyhole).',
    );
  }
  if (claimed !== undefined && claimed.seq !== manifestSeq + 1) {
    throw new KeyholeError('CONFLICT', 'Another write changed this vault first; pull and retry.', {
      details: { current: [], reason: 'manifest', manifestSeq },
    });
  }
}
