// The user's vaults in memory: the ciphertext cache (what may be persisted), the vault keys and
// the decrypted name → item index per vault. Network and merging live in sync.ts / secrets.ts.
import {
  decryptItemData,
  encryptItem,
  newId,
  openSealedVaultKey,
  unwrapItemKey,
  unwrapVaultKey,
  type UnlockedAccount,
} from '../crypto/index.js';
import { KeyholeError } from '../errors.js';
import type { ItemRecord, ItemWrite, PullResponse, VaultSummary } from '../protocol/vault.js';
import type { SecretPayload } from '../protocol/secret.js';

/** Serializable, ciphertext only: safe for KEYHOLE_HOME or storage.local. */
export interface VaultCache {
  version: 1;
  accountId: string;
  vaults: Record<string, CachedVault>;
}

export interface CachedVault {
  summary: VaultSummary;
  /** the revision pulled up to (the next pull asks `since` it) */
  revision: number;
  items: Record<string, ItemRecord>;
}

/** One decrypted, live item. `itemKey` opens exactly this item (what the relay gets to forward). */
export interface SecretEntry {
  vaultId: string;
  itemId: string;
  revision: number;
  updatedAt: number;
  payload: SecretPayload;
  itemKey: Uint8Array;
}

export interface VaultIndex {
  byName: Map<string, SecretEntry>;
  byId: Map<string, SecretEntry>;
  /** live items that share a name with another one (the oldest keeps the name) */
  duplicates: SecretEntry[];
  /** item ids that failed to decrypt (e.g. written under another key generation) */
  unreadable: string[];
}

export interface VaultView {
  id: string;
  kind: VaultSummary['kind'];
  name: string | null;
  role: VaultSummary['role'];
  revision: number;
}

export function emptyCache(accountId: string): VaultCache {
  return { version: 1, accountId, vaults: {} };
}

/** Accepts a cache read back from storage; anything unexpected → a fresh, empty cache. */
export function loadCache(accountId: string, data: unknown): VaultCache {
  if (
    typeof data === 'object' &&
    data !== null &&
    (data as VaultCache).version === 1 &&
    (data as VaultCache).accountId === accountId &&
    typeof (data as VaultCache).vaults === 'object'
  ) {
    return data as VaultCache;
  }
  return emptyCache(accountId);
}

export class VaultStore {
  private readonly cache: VaultCache;
  private readonly vaultKeys = new Map<string, Uint8Array>();
  private readonly indexes = new Map<string, VaultIndex>();

  constructor(
    readonly account: UnlockedAccount,
    cache?: VaultCache,
  ) {
    this.cache = cache ?? emptyCache(account.accountId);
  }

  /** The ciphertext cache, to persist. */
  toCache(): VaultCache {
    return this.cache;
  }

  vaults(): VaultView[] {
    return Object.values(this.cache.vaults).map(({ summary, revision }) => ({
      id: summary.id,
      kind: summary.kind,
      name: summary.name,
      role: summary.role,
      revision,
    }));
  }

  /** `undefined` or `personal` → the personal vault; else a vault id or a team name. */
  resolveVault(ref?: string): VaultView {
    const all = this.vaults();
    const wanted = ref?.trim();
    const found =
      !wanted || wanted.toLowerCase() === 'personal'
        ? all.find((v) => v.kind === 'personal')
        : (all.find((v) => v.id === wanted) ??
          all.find((v) => v.name !== null && v.name.toLowerCase() === wanted.toLowerCase()));
    if (!found) {
      throw new KeyholeError(
        'NOT_FOUND',
        wanted ? `No vault named ${JSON.stringify(wanted)}.` : 'No personal vault.',
      );
    }
    return found;
  }

  cachedVault(vaultId: string): CachedVault {
    const vault = this.cache.vaults[vaultId];
    if (!vault) throw new KeyholeError('NOT_FOUND', 'No such vault.');
    return vault;
  }

  /** Replaces the vault list; a vault whose key changed (rotation) is pulled again from scratch. */
  applySummaries(summaries: VaultSummary[]): void {
    const next: Record<string, CachedVault> = {};
    for (const summary of summaries) {
      const old = this.cache.vaults[summary.id];
      const sameKey =
        old &&
        old.summary.wrappedKey === summary.wrappedKey &&
        old.summary.keyGeneration === summary.keyGeneration;
      next[summary.id] = sameKey ? { ...old, summary } : { summary, revision: 0, items: {} };
      if (!sameKey) this.forget(summary.id);
    }
    for (const id of Object.keys(this.cache.vaults)) if (!next[id]) this.forget(id);
    this.cache.vaults = next;
  }

  /** Applies one pulled page (items in revision order). */
  applyPull(vaultId: string, page: PullResponse): void {
    const vault = this.cachedVault(vaultId);
    for (const item of page.items) vault.items[item.id] = item;
    const last = page.items.at(-1);
    vault.revision = page.hasMore && last ? last.revision : Math.max(vault.revision, page.revision);
    if (page.items.length > 0) this.indexes.delete(vaultId);
  }

  vaultKey(vaultId: string): Uint8Array {
    let key = this.vaultKeys.get(vaultId);
    if (!key) {
      const { summary } = this.cachedVault(vaultId);
      key =
        summary.kind === 'personal'
          ? unwrapVaultKey(this.account.accountKey, vaultId, summary.wrappedKey)
          : openSealedVaultKey(
              this.account.keyPair,
              summary.wrappedKey,
              vaultId,
              summary.keyGeneration,
            );
      this.vaultKeys.set(vaultId, key);
    }
    return key;
  }

  /** Decrypts the vault's live items (once; rebuilt after a pull changed something). */
  index(vaultId: string): VaultIndex {
    const cached = this.indexes.get(vaultId);
    if (cached) return cached;
    const vault = this.cachedVault(vaultId);
    const key = this.vaultKey(vaultId);
    const entries: SecretEntry[] = [];
    const unreadable: string[] = [];
    for (const record of Object.values(vault.items)) {
      if (record.deleted) continue;
      try {
        const itemKey = unwrapItemKey(key, vaultId, record.id, record.wrappedKey);
        const payload = decryptItemData(itemKey, vaultId, record.id, record.data);
        entries.push({
          vaultId,
          itemId: record.id,
          revision: record.revision,
          updatedAt: record.updatedAt,
          payload,
          itemKey,
        });
      } catch {
        unreadable.push(record.id);
      }
    }
    // Oldest first, so that the first writer of a name keeps it.
    entries.sort((a, b) => a.revision - b.revision || (a.itemId < b.itemId ? -1 : 1));
    const index: VaultIndex = { byName: new Map(), byId: new Map(), duplicates: [], unreadable };
    for (const entry of entries) {
      index.byId.set(entry.itemId, entry);
      if (index.byName.has(entry.payload.name)) index.duplicates.push(entry);
      else index.byName.set(entry.payload.name, entry);
    }
    this.indexes.set(vaultId, index);
    return index;
  }

  listSecrets(vaultId: string): SecretEntry[] {
    return [...this.index(vaultId).byName.values()].sort((a, b) =>
      a.payload.name < b.payload.name ? -1 : 1,
    );
  }

  getSecret(vaultId: string, name: string): SecretEntry {
    const entry = this.index(vaultId).byName.get(name);
    if (!entry)
      throw new KeyholeError(
        'SECRET_NOT_FOUND',
        `No secret named ${JSON.stringify(name)} in this vault.`,
      );
    return entry;
  }

  /** Looks a name up in one vault, or in the personal vault then the team vaults. */
  findSecret(name: string, vaultId?: string): SecretEntry {
    if (vaultId) return this.getSecret(vaultId, name);
    const order = this.vaults().sort((a, b) =>
      a.kind === b.kind ? 0 : a.kind === 'personal' ? -1 : 1,
    );
    for (const vault of order) {
      const entry = this.index(vault.id).byName.get(name);
      if (entry) return entry;
    }
    throw new KeyholeError('SECRET_NOT_FOUND', `No secret named ${JSON.stringify(name)}.`);
  }

  /** The current record (live or tombstone) of an item, if any. */
  record(vaultId: string, itemId: string): ItemRecord | undefined {
    return this.cachedVault(vaultId).items[itemId];
  }

  /** The decrypted payload of an item's current record (null: deleted, unknown or unreadable). */
  payloadOf(vaultId: string, itemId: string): SecretPayload | null {
    return this.index(vaultId).byId.get(itemId)?.payload ?? null;
  }

  /** Encrypts one write (a fresh item key each time; null payload = delete). */
  encryptWrite(
    vaultId: string,
    itemId: string,
    payload: SecretPayload | null,
    baseRevision: number,
  ): ItemWrite {
    const keyGeneration = this.cachedVault(vaultId).summary.keyGeneration;
    if (payload === null) {
      return { id: itemId, baseRevision, deleted: true, wrappedKey: '', data: '', keyGeneration };
    }
    const { wrappedKey, data } = encryptItem(this.vaultKey(vaultId), vaultId, itemId, payload);
    return { id: itemId, baseRevision, deleted: false, wrappedKey, data, keyGeneration };
  }

  newItemId(): string {
    return newId();
  }

  private forget(vaultId: string): void {
    this.vaultKeys.delete(vaultId);
    this.indexes.delete(vaultId);
  }
}
