// The user's vaults in memory: the ciphertext cache (what may be persisted), the vault keys and
// the decrypted name → item index per vault. Network and merging live in sync.ts / secrets.ts.
import {
  decryptItemRecord,
  encryptItemRecord,
  fromBase64url,
  itemHash,
  itemHashBytes,
  newId,
  openManifest,
  openSealedVaultKey,
  peekManifest,
  signManifest,
  toBase64url,
  unwrapItemKey,
  unwrapVaultKey,
  vaultFingerprint,
  verifyChain,
  type ManifestEntry,
  type SignedStatement,
  type UnlockedAccount,
  type VerifiedChain,
  type VerifiedManifest,
} from '../crypto/index.js';
import { KeyholeError } from '../errors.js';
import type {
  ItemRecord,
  ItemWrite,
  PullResponse,
  PushRequest,
  SignedObject,
  VaultSummary,
} from '../protocol/vault.js';
import type { SecretPayload } from '../protocol/secret.js';
import {
  advanceSeen,
  checkChainOrder,
  checkManifestOrder,
  fail,
  type SeenVault,
} from './verify.js';

/** A cached row; `h` is its item hash, set by this client when it verified the row. */
type CachedRecord = ItemRecord & { h?: string };

/** Serializable, ciphertext only: safe for KEYHOLE_HOME or storage.local. */
export interface VaultCache {
  version: 1;
  accountId: string;
  vaults: Record<string, CachedVault>;
  /** what this device accepted per vault (never reset by a re-pull): rollbacks are refused against it */
  seen?: Record<string, SeenVault>;
}

export interface CachedVault {
  summary: VaultSummary;
  /** the revision pulled up to (the next pull asks `since` it) */
  revision: number;
  items: Record<string, ItemRecord>;
  /** the signed manifest served with the last pull (null: the vault was never signed) */
  manifest?: SignedObject | null;
  /** team vaults: the membership chain served with the last sync */
  statements?: SignedStatement[];
}

/** A vault this client refused (docs/vault-format.md §14): reported by name and skipped. */
export interface VaultFailure {
  vaultId: string;
  name: string;
  code: string;
  message: string;
}

/** A vault's verified state: its manifest (null: unsigned, legacy) and team chain (null: none). */
interface VerifiedVault {
  manifest: VerifiedManifest | null;
  chain: VerifiedChain | null;
}

/** One write of a batch (null payload: delete), as sync.ts hands it over. */
export interface BatchWrite {
  itemId: string;
  baseRevision: number;
  payload: SecretPayload | null;
}

/** One decrypted, live item. `itemKey` opens exactly this item (what the relay gets to forward). */
export interface SecretEntry {
  vaultId: string;
  itemId: string;
  revision: number;
  /** the writer's version number, authenticated inside the ciphertext (0: written before versions) */
  version: number;
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
  private readonly verified = new Map<string, VerifiedVault>();
  private readonly failed = new Map<string, KeyholeError>();

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
      next[summary.id] = sameKey
        ? { ...old, summary }
        : {
            summary,
            revision: 0,
            items: {},
            ...(old?.statements ? { statements: old.statements } : {}),
          };
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
    const manifest = page.manifest ?? null;
    const manifestChanged = (vault.manifest?.body ?? null) !== (manifest?.body ?? null);
    if (page.manifest !== undefined) vault.manifest = manifest;
    if (page.items.length > 0 || manifestChanged) this.invalidate(vaultId);
  }

  /** A team's membership chain as the relay serves it (verified when the vault is next used). */
  applyStatements(vaultId: string, statements: SignedStatement[]): void {
    const vault = this.cachedVault(vaultId);
    const before = vault.statements?.length ?? 0;
    const changed =
      before !== statements.length || vault.statements?.at(-1)?.body !== statements.at(-1)?.body;
    vault.statements = statements;
    if (changed) this.invalidate(vaultId);
  }

  /** Forget a verdict so the next use verifies again (after a fresh pull). */
  invalidate(vaultId: string): void {
    this.indexes.delete(vaultId);
    this.verified.delete(vaultId);
    this.failed.delete(vaultId);
  }

  /** Vaults refused by verification since they were last pulled, by name. */
  failures(): VaultFailure[] {
    const out: VaultFailure[] = [];
    for (const v of this.vaults()) {
      try {
        this.index(v.id);
      } catch (err) {
        if (!(err instanceof KeyholeError) || err.code !== 'VAULT_VERIFICATION_FAILED') throw err;
        out.push({ vaultId: v.id, name: labelOf(v), code: err.code, message: err.message });
      }
    }
    return out;
  }

  /** Vaults that verify (a failed one is left out: see failures()). */
  usableVaults(): VaultView[] {
    return this.vaults().filter((v) => {
      try {
        this.index(v.id);
        return true;
      } catch (err) {
        if (err instanceof KeyholeError && err.code === 'VAULT_VERIFICATION_FAILED') return false;
        throw err;
      }
    });
  }

  /**
   * The vault's state fingerprint (§12.4): equal on two devices ⇔ same signed state. null for a
   * vault not signed yet. Throws VAULT_VERIFICATION_FAILED for a vault that does not verify.
   */
  vaultFingerprint(vaultId: string): string | null {
    this.index(vaultId);
    const m = this.verified.get(vaultId)?.manifest;
    return m ? vaultFingerprint(vaultId, m.hash) : null;
  }

  /** The verified membership chain of a team (null: a team from before signed membership). */
  teamChain(vaultId: string): VerifiedChain | null {
    this.index(vaultId);
    return this.verified.get(vaultId)?.chain ?? null;
  }

  /** The verified manifest (null: not signed yet). */
  manifestOf(vaultId: string): VerifiedManifest | null {
    this.index(vaultId);
    return this.verified.get(vaultId)?.manifest ?? null;
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

  /**
   * Verifies, then decrypts the vault's live items (once; rebuilt after a pull changed something).
   * A vault that fails verification throws VAULT_VERIFICATION_FAILED naming it, every time until
   * it is pulled again; its cached rows are dropped so that the next pull fetches them anew.
   */
  index(vaultId: string): VaultIndex {
    const cached = this.indexes.get(vaultId);
    if (cached) return cached;
    const refused = this.failed.get(vaultId);
    if (refused) throw refused;
    try {
      return this.build(vaultId);
    } catch (err) {
      if (!(err instanceof KeyholeError)) throw err;
      const vault = this.cachedVault(vaultId);
      const label = labelOf(vault.summary);
      let refusal: KeyholeError;
      if (err.code === 'VAULT_VERIFICATION_FAILED') refusal = err;
      else if (err.code === 'DECRYPTION_FAILED' || err.code === 'UNSUPPORTED_FORMAT')
        // The vault key itself does not open (e.g. a membership the relay made up).
        refusal = fail(label, 'its key does not open with this account');
      else throw err;
      vault.items = {};
      vault.revision = 0;
      this.vaultKeys.delete(vaultId);
      this.failed.set(vaultId, refusal);
      throw refusal;
    }
  }

  private build(vaultId: string): VaultIndex {
    const vault = this.cachedVault(vaultId);
    const state = this.verify(vaultId);
    const key = this.vaultKey(vaultId);
    const label = labelOf(vault.summary);
    const entries: SecretEntry[] = [];
    const unreadable: string[] = [];
    const m = state.manifest;
    let live = 0;
    for (const record of Object.values(vault.items) as CachedRecord[]) {
      if (record.deleted) continue;
      live += 1;
      // One decode serves the hash check (§12.3 step 4) and the decryption.
      let bytes: Uint8Array | null = null;
      try {
        bytes = fromBase64url(record.data);
      } catch {
        bytes = null;
      }
      const listed = m?.entries.get(record.id);
      if (m) {
        if (!listed) throw fail(label, `item ${record.id} is not in the signed state`);
        // `h`: this record's hash as computed here when it was first verified, cached with it (a
        // pulled record replaces the whole object, so it never carries a hash the relay chose).
        const hash = record.h ?? (bytes ? itemHashBytes(bytes) : itemHash(record.data));
        if (hash !== listed.hash)
          throw fail(label, `item ${record.id} is not the version the signed state lists`);
        record.h = hash;
      }
      let itemKey: Uint8Array;
      let plain;
      try {
        if (!bytes) throw new Error('not b64url');
        itemKey = unwrapItemKey(key, vaultId, record.id, record.wrappedKey);
        plain = decryptItemRecord(itemKey, vaultId, record.id, bytes);
      } catch {
        unreadable.push(record.id);
        continue;
      }
      // An item version ≥ 1 was written by a client that always signs a personal vault's state
      // (§14): a personal vault without a signed state but with such an item had its manifest
      // withheld — refused even on a device that never saw the vault (review of #13).
      if (!m && plain.version > 0 && vault.summary.kind === 'personal')
        throw fail(
          label,
          `item ${record.id} was written with a signed state the relay no longer serves`,
        );
      // The version inside the ciphertext must be the one the signed state lists.
      if (listed && listed.version !== plain.version)
        throw fail(
          label,
          `item ${record.id} carries version ${plain.version}, not ${listed.version}`,
        );
      if (plain.payload === null) {
        if (state.manifest) throw fail(label, `item ${record.id} is a deletion listed as live`);
        continue;
      }
      entries.push({
        vaultId,
        itemId: record.id,
        revision: record.revision,
        version: plain.version,
        updatedAt: record.updatedAt,
        payload: plain.payload,
        itemKey,
      });
    }
    if (m && live !== m.entries.size) throw fail(label, 'an item of the signed state is missing');
    this.accept(vaultId, state);
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
      let index: VaultIndex;
      try {
        index = this.index(vault.id);
      } catch (err) {
        // A vault that fails verification is skipped; the others keep working (no lock-out).
        if (err instanceof KeyholeError && err.code === 'VAULT_VERIFICATION_FAILED') continue;
        throw err;
      }
      const entry = index.byName.get(name);
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

  /**
   * Encrypts one write as the item's next version (a fresh item key each time; null payload = an
   * authenticated tombstone). The vault must verify first: nothing is written on top of a state
   * this client refused.
   */
  encryptWrite(
    vaultId: string,
    itemId: string,
    payload: SecretPayload | null,
    baseRevision: number,
  ): ItemWrite & { version: number } {
    this.index(vaultId);
    const vault = this.cachedVault(vaultId);
    const keyGeneration = vault.summary.keyGeneration;
    const current = vault.items[itemId];
    const version = this.currentVersion(vaultId, itemId) + 1;
    const prev = current && current.data !== '' ? itemHash(current.data) : '';
    const { wrappedKey, data, itemKey } = encryptItemRecord(
      this.vaultKey(vaultId),
      vaultId,
      itemId,
      { version, prev, payload },
    );
    itemKey.fill(0);
    return {
      id: itemId,
      baseRevision,
      deleted: payload === null,
      wrappedKey,
      data,
      keyGeneration,
      version,
    };
  }

  /**
   * A batch as the relay takes it: every write encrypted as its item's next version and, when this
   * account can sign here, the vault's next manifest (§12) covering the state after the batch.
   */
  encryptBatch(vaultId: string, batch: BatchWrite[]): PushRequest {
    const writes = batch.map((w) =>
      this.encryptWrite(vaultId, w.itemId, w.payload, w.baseRevision),
    );
    const manifest = this.nextManifest(
      vaultId,
      writes.map((w) => ({ id: w.id, version: w.version, deleted: w.deleted, data: w.data })),
    );
    return {
      writes: writes.map(({ version: _v, ...w }) => w),
      ...(manifest ? { manifest } : {}),
    };
  }

  /**
   * The signed state after `changes`, or null where this account does not sign: an account with
   * no signing key, a role that may not write, or a team with no membership chain yet (legacy).
   */
  nextManifest(
    vaultId: string,
    changes: { id: string; version: number; deleted: boolean; data: string }[],
  ): SignedObject | null {
    const keys = this.account.signKeys;
    const vault = this.cachedVault(vaultId);
    this.index(vaultId); // never sign on top of rows that were not verified
    const state = this.verify(vaultId);
    if (!keys) return null;
    if (vault.summary.kind === 'team') {
      const me = state.chain?.members.get(this.account.accountId);
      if (!me || me.role === 'user') return null;
    }
    const entries = new Map<string, ManifestEntry>();
    if (state.manifest) {
      for (const [id, e] of state.manifest.entries) entries.set(id, [id, e.version, e.hash]);
    } else {
      // First signature of a vault written before manifests: its rows are taken once (TOFU).
      const versions = new Map(
        [...this.index(vaultId).byId.values()].map((e) => [e.itemId, e.version]),
      );
      for (const r of Object.values(vault.items)) {
        if (!r.deleted) entries.set(r.id, [r.id, versions.get(r.id) ?? 0, itemHash(r.data)]);
      }
    }
    for (const c of changes) {
      if (c.deleted) entries.delete(c.id);
      else entries.set(c.id, [c.id, c.version, itemHash(c.data)]);
    }
    const seq = (state.manifest?.seq ?? 0) + 1;
    return signManifest(keys, this.account.accountId, vaultId, seq, [...entries.values()]);
  }

  /** The highest version of an item known here (index, signed state, seen-state, a tombstone). */
  private currentVersion(vaultId: string, itemId: string): number {
    const vault = this.cachedVault(vaultId);
    let version = this.index(vaultId).byId.get(itemId)?.version ?? 0;
    version = Math.max(
      version,
      this.verified.get(vaultId)?.manifest?.entries.get(itemId)?.version ?? 0,
    );
    version = Math.max(version, this.cache.seen?.[vaultId]?.items[itemId]?.[0] ?? 0);
    const record = vault.items[itemId];
    if (record?.deleted && record.data !== '') {
      try {
        const itemKey = unwrapItemKey(this.vaultKey(vaultId), vaultId, itemId, record.wrappedKey);
        version = Math.max(
          version,
          decryptItemRecord(itemKey, vaultId, itemId, record.data).version,
        );
        itemKey.fill(0);
      } catch {
        // a tombstone under an older key generation: the other sources decide
      }
    }
    return version;
  }

  /** Checks the chain (team) and the manifest against signatures and the seen-state (§14). */
  private verify(vaultId: string): VerifiedVault {
    const done = this.verified.get(vaultId);
    if (done) return done;
    const vault = this.cachedVault(vaultId);
    const label = labelOf(vault.summary);
    const seen = this.cache.seen?.[vaultId];
    let chain: VerifiedChain | null = null;
    if (vault.summary.kind === 'team') {
      const statements = vault.statements ?? [];
      if (statements.length === 0) {
        if (seen?.genesis) throw fail(label, 'the relay no longer serves its membership chain');
      } else {
        chain = relabel(label, () => verifyChain(vaultId, statements));
        checkChainOrder(label, chain, statements, seen);
        const me = chain.members.get(this.account.accountId);
        if (!me || me.boxKey !== toBase64url(this.account.keyPair.publicKey))
          throw fail(label, 'no owner or admin signed your membership');
        if (me.role !== vault.summary.role)
          throw fail(
            label,
            `the relay says your role is ${vault.summary.role}, the team's owners say ${me.role}`,
          );
      }
    }
    let manifest: VerifiedManifest | null = null;
    const signed = vault.manifest ?? null;
    if (signed === null) {
      if (seen && seen.seq > 0) throw fail(label, 'the relay no longer serves its signed state');
    } else {
      const claim = peekManifest(signed);
      if (!claim) throw fail(label, 'its signed state is malformed');
      let signerKey: Uint8Array | string;
      if (vault.summary.kind === 'personal') {
        if (claim.signer !== this.account.accountId || !this.account.signKeys)
          throw fail(label, 'its signed state is not signed by you');
        signerKey = this.account.signKeys.publicKey;
      } else {
        const signer = chain?.members.get(claim.signer);
        if (!signer || signer.role === 'user' || signer.signKey === null)
          throw fail(label, 'its signed state is signed by someone who may not write to it');
        signerKey = signer.signKey;
      }
      manifest = relabel(label, () => openManifest(signed, vaultId, signerKey));
      checkManifestOrder(label, manifest, seen);
      // The rows themselves (listed, same hash, none missing) are checked in build(), sharing
      // one decode with the decryption; nothing is used before all of them passed.
    }
    const state = { manifest, chain };
    this.verified.set(vaultId, state);
    return state;
  }

  /** Remembers what was accepted, so that nothing older is accepted later. */
  private accept(vaultId: string, state: VerifiedVault): void {
    const seen = this.cache.seen?.[vaultId];
    let next: SeenVault | undefined = state.manifest ? advanceSeen(state.manifest, seen) : seen;
    if (state.chain) {
      next = {
        ...(next ?? { seq: 0, hash: '', items: {} }),
        genesis: state.chain.genesis,
        chain: [state.chain.head.seq, state.chain.head.hash],
      };
    }
    if (next) {
      this.cache.seen ??= {};
      this.cache.seen[vaultId] = next;
    }
  }

  newItemId(): string {
    return newId();
  }

  private forget(vaultId: string): void {
    this.vaultKeys.delete(vaultId);
    this.invalidate(vaultId);
  }
}

/** How a vault is named to the user: "personal" or the team's name. */
export function labelOf(v: {
  kind: VaultSummary['kind'];
  name: string | null;
  id: string;
}): string {
  return v.kind === 'personal' ? '"personal"' : JSON.stringify(v.name ?? v.id);
}

/** Crypto-level verification messages, rewritten to name the vault. */
function relabel<T>(label: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof KeyholeError && err.code === 'VAULT_VERIFICATION_FAILED')
      throw fail(
        label,
        err.message.replace(/\.$/, '').replace(/^./, (c) => c.toLowerCase()),
      );
    throw err;
  }
}
