// Sync between the relay and a VaultStore: pull every page since the last revision; push writes
// with their base revision and, on 409 CONFLICT, pull, merge (merge.ts) and retry — nothing lost.
import { KeyholeError } from '../errors.js';
import type { SecretPayload } from '../protocol/secret.js';
import { StatementsResponse } from '../protocol/team.js';
import { conflictName, mergeSecret } from './merge.js';
import type { RelayClient } from './relay-client.js';
import type { VaultFailure, VaultStore } from './vault-store.js';

/** One item whose write met another device's change, and how it was settled. */
export interface SyncConflict {
  vaultId: string;
  name: string;
  /**
   * merged: fields from both sides combined; kept-both: ours stored as `copyName`;
   * kept-theirs: our delete gave way to their edit; restored: our edit brought back their delete;
   * renamed: two items had the same name, the newer one was renamed to `copyName`.
   */
  resolution: 'merged' | 'kept-both' | 'kept-theirs' | 'restored' | 'renamed';
  copyName?: string;
}

export interface SyncReport {
  conflicts: SyncConflict[];
  /** vaults refused by verification (reported by name, skipped; the others were synced) */
  failures?: VaultFailure[];
}

/** A change we want: `ours` null deletes. `base` is what our change was made against. */
export interface PendingWrite {
  itemId: string;
  baseRevision: number;
  base: SecretPayload | null;
  ours: SecretPayload | null;
}

const MAX_ATTEMPTS = 5;

/** Lists the vaults and pulls every vault's changes since its cached revision. */
export async function pullAll(relay: RelayClient, store: VaultStore): Promise<void> {
  const { vaults } = await relay.listVaults();
  store.applySummaries(vaults);
  for (const vault of vaults) {
    // A team's membership chain comes with every sync: it decides whose signatures count.
    if (vault.kind === 'team') await pullStatements(relay, store, vault.id);
    // Nothing new on the relay: skip the pull round trip (unless a refused vault needs a re-pull).
    const cached = store.cachedVault(vault.id);
    if (cached.revision === vault.revision && vault.revision > 0) continue;
    await pullVault(relay, store, vault.id);
  }
}

export async function pullStatements(
  relay: RelayClient,
  store: VaultStore,
  vaultId: string,
): Promise<void> {
  const res = await relay.request(
    'GET',
    `/v1/teams/${encodeURIComponent(vaultId)}/statements`,
    StatementsResponse,
  );
  store.applyStatements(vaultId, res.statements);
}

export async function pullVault(
  relay: RelayClient,
  store: VaultStore,
  vaultId: string,
): Promise<void> {
  // A fresh pull gets a fresh verdict (a vault refused earlier was emptied to be fetched anew).
  store.invalidate(vaultId);
  for (let page = 0; page < 10_000; page++) {
    const res = await relay.pull(vaultId, store.cachedVault(vaultId).revision);
    store.applyPull(vaultId, res);
    if (!res.hasMore) return;
  }
}

/** Full sync: pull, then settle names used twice (two devices adding the same name). */
export async function syncVaults(
  relay: RelayClient,
  store: VaultStore,
  now: () => Date = () => new Date(),
): Promise<SyncReport> {
  await pullAll(relay, store);
  const conflicts: SyncConflict[] = [];
  const failures = store.failures();
  for (const vault of store.usableVaults()) {
    if (vault.role === 'user') continue; // read-only members cannot write the fix
    await signIfUnsigned(relay, store, vault.id);
    const { duplicates } = store.index(vault.id);
    if (duplicates.length === 0) continue;
    const taken = new Set(store.index(vault.id).byName.keys());
    const writes: PendingWrite[] = [];
    for (const dup of duplicates) {
      const copyName = conflictName(dup.payload.name, now(), (n) => taken.has(n));
      taken.add(copyName);
      writes.push({
        itemId: dup.itemId,
        baseRevision: dup.revision,
        base: dup.payload,
        ours: { ...dup.payload, name: copyName },
      });
      conflicts.push({
        vaultId: vault.id,
        name: dup.payload.name,
        resolution: 'renamed',
        copyName,
      });
    }
    const report = await pushWithMerge(relay, store, vault.id, writes, now);
    conflicts.push(...report.conflicts);
  }
  return { conflicts, failures };
}

/**
 * Migration in place (docs/vault-format.md §15): a vault written before manifests is signed by
 * its first writer that can sign — its rows as they are now are taken once (trust on first use),
 * nothing re-encrypted, nothing lost. A team without a membership chain is first chained by an
 * owner (team.ts). A CONFLICT means someone else signed first: the next pull verifies theirs.
 */
export async function signIfUnsigned(
  relay: RelayClient,
  store: VaultStore,
  vaultId: string,
): Promise<void> {
  if (store.manifestOf(vaultId) !== null) return;
  const manifest = store.nextManifest(vaultId, []);
  if (!manifest) return;
  try {
    await relay.push(vaultId, { writes: [], manifest });
  } catch (err) {
    if (!(err instanceof KeyholeError) || err.code !== 'CONFLICT') throw err;
  }
  await pullVault(relay, store, vaultId);
}

/**
 * Pushes the writes as one atomic batch. On CONFLICT: pull, merge each stale write against the
 * current version, retry. Ends with a pull, so the store holds the relay's view.
 */
export async function pushWithMerge(
  relay: RelayClient,
  store: VaultStore,
  vaultId: string,
  writes: PendingWrite[],
  now: () => Date = () => new Date(),
): Promise<SyncReport> {
  const conflicts: SyncConflict[] = [];
  let pending = writes;
  for (let attempt = 1; pending.length > 0; attempt++) {
    const batch = store.encryptBatch(
      vaultId,
      pending.map((w) => ({ itemId: w.itemId, baseRevision: w.baseRevision, payload: w.ours })),
    );
    try {
      await relay.push(vaultId, batch);
      break;
    } catch (err) {
      if (!(err instanceof KeyholeError) || err.code !== 'CONFLICT' || attempt >= MAX_ATTEMPTS)
        throw err;
    }
    // pullAll, not pullVault: a team key rotation changes the vault summary (teams.md), and the
    // retry must re-encrypt under the new key generation.
    await pullAll(relay, store);
    pending = rebase(store, vaultId, pending, conflicts, now);
  }
  await pullVault(relay, store, vaultId);
  return { conflicts };
}

/** Re-bases each write on the item's current revision, merging where the item moved on. */
function rebase(
  store: VaultStore,
  vaultId: string,
  pending: PendingWrite[],
  conflicts: SyncConflict[],
  now: () => Date,
): PendingWrite[] {
  const next: PendingWrite[] = [];
  const taken = new Set(store.index(vaultId).byName.keys());
  for (const w of pending) {
    const current = store.record(vaultId, w.itemId);
    const currentRevision = current?.revision ?? 0;
    if (currentRevision === w.baseRevision) {
      next.push(w);
      continue;
    }
    const theirs = store.payloadOf(vaultId, w.itemId);
    const name = w.ours?.name ?? w.base?.name ?? theirs?.name ?? w.itemId;
    const outcome = mergeSecret(w.base, w.ours, theirs);
    if (outcome.action === 'none') {
      if (outcome.reason === 'kept-theirs')
        conflicts.push({ vaultId, name, resolution: 'kept-theirs' });
      continue;
    }
    if (outcome.action === 'write') {
      if (outcome.merged || outcome.restored) {
        conflicts.push({ vaultId, name, resolution: outcome.restored ? 'restored' : 'merged' });
      }
      next.push({
        itemId: w.itemId,
        baseRevision: currentRevision,
        base: theirs,
        ours: outcome.payload,
      });
      continue;
    }
    const copyName = conflictName(outcome.copy.name, now(), (n) => taken.has(n));
    taken.add(copyName);
    conflicts.push({ vaultId, name, resolution: 'kept-both', copyName });
    next.push({
      itemId: store.newItemId(),
      baseRevision: 0,
      base: null,
      ours: { ...outcome.copy, name: copyName },
    });
  }
  return next;
}
