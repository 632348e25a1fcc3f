// The unlocked vault in the service worker: sign up / log in / unlock / lock, the ciphertext cache,
// sync, and secret edits — all through the SDK (shared/client). Raw keys live in memory and in
// storage.session only; storage.local gets ciphertext.
import { needsPlacementReview } from '../../shared/policy/placement.js';
import {
  fromBase64url,
  generateSignKeyPair,
  identityFingerprint,
  initCrypto,
  toBase64url,
  wipe,
} from '../../shared/crypto/index.js';
import type { UnlockedAccount } from '../../shared/crypto/index.js';
import { KeyholeError } from '../../shared/errors.js';
import type { KeyBundle } from '../../shared/protocol/auth.js';
import type { SecretPayload } from '../../shared/protocol/secret.js';
import {
  ensureSignKeys,
  labelOf,
  loadCache,
  mergeSecretPatch,
  login as sdkLogin,
  pushWithMerge,
  RelayClient,
  signup as sdkSignup,
  syncVaults,
  unlockOffline,
  validatePayload,
  VaultStore,
} from '../../shared/client/index.js';
import type { Session, SecretEntry, SyncConflict } from '../../shared/client/index.js';
import {
  getLocal,
  getSession,
  KEYS,
  removeLocal,
  removeSession,
  setLocal,
  setSession,
} from './storage.js';

/** storage.local: what is needed to unlock again (the key bundle is ciphertext). */
export interface AccountRecord {
  relayUrl: string;
  email: string;
  accountId: string;
  keys: KeyBundle;
}

/** storage.session: the unlocked state (survives the service worker stopping, not a restart). */
interface UnlockedRecord {
  relayUrl: string;
  email: string;
  accountId: string;
  token: string | null;
  accountKey: string;
  publicKey: string;
  privateKey: string;
  /** the Ed25519 seed (signs manifests and team statements); absent for a not-yet-migrated account */
  signSeed?: string;
  /** lets the worker log in again when the relay session expires (kept after an unlock) */
  authKey?: string;
}

export interface SyncStatus {
  state: 'idle' | 'syncing' | 'ok' | 'error';
  at?: number;
  error?: string;
  conflicts: SyncConflict[];
}

/** Per vault, for the popup: its signed-state fingerprint, or why it was refused (issue #13). */
export interface VaultState {
  vaultId: string;
  /** "personal" or the team's name, quoted */
  name: string;
  /** compare across devices: equal ⇔ same signed state; null: not signed yet */
  fingerprint: string | null;
  /** set when the vault failed verification: it is skipped, the others keep working */
  failure?: { code: string; message: string };
}

export interface Live {
  record: UnlockedRecord;
  account: UnlockedAccount;
  relay: RelayClient;
  store: VaultStore;
}

/** What the popup shows per secret: never a value. */
export interface SecretSummary {
  vaultId: string;
  vaultName: string;
  itemId: string;
  name: string;
  type: SecretPayload['type'];
  allowedHosts: string[];
  allowedOrigins: string[];
  description: string;
  conflict: boolean;
  /** where the value may be placed; undefined: saved before placement existed */
  placement?: string[];
  /** no placement yet: may be placed anywhere until its owner sets one (shown in the popup) */
  needsReview: boolean;
}

/** Test-only knob, settable from extension contexts only: argon2id cost for new accounts (floor enforced). */
const DEV_KDF_KEY = 'keyhole:dev-kdf';

export class VaultService {
  private live: Live | undefined;
  private restoring: Promise<Live | undefined> | undefined;
  private status: SyncStatus = { state: 'idle', conflicts: [] };
  /** ms the last unlock spent deriving and opening keys in this worker (argon2id included) */
  lastUnlockMs: number | undefined;
  /** serialises vault writes and syncs */
  private chain: Promise<unknown> = Promise.resolve();
  onLock: (() => void) | undefined;

  /** The unlocked vault, restored from storage.session after the worker restarted; undefined when locked. */
  async current(): Promise<Live | undefined> {
    if (this.live) return this.live;
    this.restoring ??= this.restore().finally(() => {
      this.restoring = undefined;
    });
    return this.restoring;
  }

  async account(): Promise<AccountRecord | undefined> {
    return getLocal<AccountRecord>(KEYS.account);
  }

  syncStatus(): SyncStatus {
    return this.status;
  }

  async signup(relayUrl: string, email: string, password: string): Promise<void> {
    const kdf = await getLocal<{ memLimitBytes: number; opsLimit: number }>(DEV_KDF_KEY);
    const session = await sdkSignup(relayUrl, email, password, kdf ? { kdf } : {});
    await this.startSession(session);
  }

  async login(relayUrl: string, email: string, password: string): Promise<void> {
    const session = await sdkLogin(relayUrl, email, password);
    await this.startSession(session);
  }

  /** Unlock with the cached key bundle (works offline), then get a relay session and pull. */
  async unlock(password: string): Promise<void> {
    const acct = await this.account();
    if (!acct) throw new KeyholeError('NOT_CONFIGURED');
    await initCrypto();
    const started = performance.now();
    const { unlocked, authKey } = unlockOffline(acct.accountId, password, acct.keys);
    this.lastUnlockMs = performance.now() - started;
    const record: UnlockedRecord = {
      relayUrl: acct.relayUrl,
      email: acct.email,
      accountId: acct.accountId,
      token: null,
      ...accountKeys(unlocked),
      authKey: toBase64url(authKey),
    };
    wipe(authKey);
    await this.activate(record, unlocked);
    try {
      await this.refreshToken();
      await this.migrateSignKeys(acct);
    } catch {
      // Offline: the vault is open from the cache; forwarding reports RELAY_UNAVAILABLE.
    }
    await this.syncNow().catch(() => undefined);
  }

  async lock(): Promise<void> {
    const live = this.live;
    this.live = undefined;
    await removeSession(KEYS.unlocked);
    if (live) {
      wipe(live.account.accountKey);
      wipe(live.account.keyPair.privateKey);
      if (live.account.signKeys) {
        wipe(live.account.signKeys.secretKey);
        wipe(live.account.signKeys.seed);
      }
    }
    this.onLock?.();
  }

  /** Forget the account on this browser (the relay keeps it). */
  async logout(): Promise<void> {
    const live = this.live;
    if (live?.record.token) await live.relay.logout().catch(() => undefined);
    await this.lock();
    await removeLocal(KEYS.account);
    await removeLocal(KEYS.vaultCache);
    this.status = { state: 'idle', conflicts: [] };
  }

  /** Pull every vault (and settle duplicate names); records the outcome for the popup. */
  syncNow(): Promise<SyncStatus> {
    return this.serial(async () => {
      const live = await this.requireLive();
      this.status = { ...this.status, state: 'syncing' };
      try {
        // No session yet (unlocked offline): log in first, so a relay that is down reads as
        // RELAY_UNAVAILABLE rather than the client's own "no token" UNAUTHENTICATED.
        await this.relayFor(live);
        const report = await syncVaults(live.relay, live.store);
        await this.persistCache(live);
        this.status = {
          state: 'ok',
          at: Date.now(),
          conflicts: mergeConflicts(this.status.conflicts, report.conflicts),
        };
      } catch (err) {
        this.status = { ...this.status, state: 'error', at: Date.now(), error: errorCode(err) };
        throw err;
      }
      return this.status;
    });
  }

  /** Secrets across all vaults, for the popup (names, types, hosts, origins — no values). */
  async list(): Promise<SecretSummary[]> {
    const live = await this.requireLive();
    const out: SecretSummary[] = [];
    // A vault that fails verification is skipped here (and reported by vaultStates()).
    for (const vault of live.store.usableVaults()) {
      const index = live.store.index(vault.id);
      const entries = [...index.byName.values(), ...index.duplicates];
      for (const e of entries) out.push(summarise(e, vault.name ?? 'Personal'));
    }
    const rank = (s: SecretSummary) => (s.vaultName === 'Personal' ? '' : s.vaultName);
    return out.sort(
      (a, b) =>
        cmp(a.name, b.name) ||
        cmp(rank(a), rank(b)) ||
        cmp(a.vaultId, b.vaultId) ||
        cmp(a.itemId, b.itemId),
    );
  }

  /** Each vault's signed-state fingerprint, or the reason it was refused (by name). */
  async vaultStates(): Promise<VaultState[]> {
    const live = await this.current();
    if (!live) return [];
    const failed = new Map(live.store.failures().map((f) => [f.vaultId, f]));
    return live.store.vaults().map((v) => {
      const f = failed.get(v.id);
      if (f)
        return {
          vaultId: v.id,
          name: f.name,
          fingerprint: null,
          failure: { code: f.code, message: f.message },
        };
      return { vaultId: v.id, name: labelOf(v), fingerprint: live.store.vaultFingerprint(v.id) };
    });
  }

  /** This account's identity fingerprint (X25519 + Ed25519 keys), what teammates compare. */
  identityFingerprint(live: Live): string {
    return identityFingerprint(live.account.keyPair.publicKey, live.account.signKeys?.publicKey);
  }

  /** A page's lookup by name: personal vault first, then team vaults. */
  async find(name: string): Promise<SecretEntry | undefined> {
    const live = await this.current();
    if (!live) return undefined;
    try {
      return live.store.findSecret(name);
    } catch {
      return undefined;
    }
  }

  /** Every name in one vault (to resolve `$(secret:NAME.field)` references). */
  async namesIn(vaultId: string): Promise<string[]> {
    const live = await this.requireLive();
    return [...live.store.index(vaultId).byName.keys()];
  }

  async allNames(): Promise<string[]> {
    const live = await this.requireLive();
    return live.store.usableVaults().flatMap((v) => [...live.store.index(v.id).byName.keys()]);
  }

  /** The value fields of one secret, for the popup's explicit "reveal". */
  async reveal(vaultId: string, itemId: string): Promise<Partial<SecretPayload>> {
    const live = await this.requireLive();
    // Team role "user": may use, not see — a client policy, not cryptography (docs/teams.md).
    if (live.store.vaults().find((v) => v.id === vaultId)?.role === 'user') {
      throw new KeyholeError(
        'FORBIDDEN',
        'Your team role (user) may use this secret but not see it.',
      );
    }
    const entry = live.store.index(vaultId).byId.get(itemId);
    if (!entry) throw new KeyholeError('SECRET_NOT_FOUND');
    const { value, username, password, fields } = entry.payload;
    return { value, username, password, fields };
  }

  /** Add (no itemId) or change a secret; pushes at once, merging on conflict. */
  save(
    vaultId: string | undefined,
    itemId: string | undefined,
    input: Partial<SecretPayload>,
  ): Promise<string> {
    return this.serial(async () => {
      const live = await this.requireLive();
      const vault = live.store.resolveVault(vaultId);
      let base: SecretEntry | undefined;
      if (itemId) {
        base = live.store.index(vault.id).byId.get(itemId);
        if (!base) throw new KeyholeError('SECRET_NOT_FOUND');
      }
      const merged = mergeSecretPatch(base?.payload ?? {}, input);
      const payload = validatePayload(merged);
      const clash = live.store.index(vault.id).byName.get(payload.name);
      if (clash && clash.itemId !== itemId) {
        throw new KeyholeError(
          'INVALID_REQUEST',
          `A secret named ${payload.name} already exists in this vault. Choose another name, or edit that one.`,
          { details: { field: 'name' } },
        );
      }
      const id = itemId ?? live.store.newItemId();
      await this.push(live, vault.id, [
        {
          itemId: id,
          baseRevision: base?.revision ?? 0,
          base: base?.payload ?? null,
          ours: payload,
        },
      ]);
      return id;
    });
  }

  remove(vaultId: string, itemId: string): Promise<void> {
    return this.serial(async () => {
      const live = await this.requireLive();
      const entry = live.store.index(vaultId).byId.get(itemId);
      if (!entry) throw new KeyholeError('SECRET_NOT_FOUND');
      await this.push(live, vaultId, [
        { itemId, baseRevision: entry.revision, base: entry.payload, ours: null },
      ]);
    });
  }

  /** "Always allow": add the origin to the secret's allowed origins (synced, encrypted). */
  async setOrigin(
    vaultId: string,
    itemId: string,
    origin: string,
    allowed: boolean,
  ): Promise<void> {
    const live = await this.requireLive();
    const entry = live.store.index(vaultId).byId.get(itemId);
    if (!entry) throw new KeyholeError('SECRET_NOT_FOUND');
    const origins = entry.payload.allowedOrigins.filter((o) => o !== origin);
    if (allowed) origins.push(origin);
    await this.save(vaultId, itemId, { allowedOrigins: origins });
  }

  /** Forwarding needs a relay session: log in again with the kept auth key when there is none. */
  async relayFor(live: Live): Promise<RelayClient> {
    if (!live.record.token) await this.refreshToken();
    return live.relay;
  }

  // ---- internals ----

  private async startSession(session: Session): Promise<void> {
    const record: UnlockedRecord = {
      relayUrl: session.relayUrl,
      email: session.email,
      accountId: session.accountId,
      token: session.token,
      ...accountKeys(session.unlocked),
    };
    const previous = await this.account();
    if (
      previous &&
      (previous.accountId !== session.accountId || previous.relayUrl !== session.relayUrl)
    ) {
      await removeLocal(KEYS.vaultCache);
    }
    await setLocal(KEYS.account, {
      relayUrl: session.relayUrl,
      email: session.email,
      accountId: session.accountId,
      keys: session.keys,
    } satisfies AccountRecord);
    await this.activate(record, session.unlocked);
    await this.migrateSignKeys({
      relayUrl: session.relayUrl,
      email: session.email,
      accountId: session.accountId,
      keys: session.keys,
    }).catch(() => undefined);
    await this.syncNow().catch(() => undefined);
  }

  /** An account made before signing keys gets one at this unlock (docs/vault-format.md §15). */
  private async migrateSignKeys(acct: AccountRecord): Promise<void> {
    const live = this.live;
    if (!live || live.account.signKeys) return;
    const account: UnlockedAccount = live.account;
    const keys = await ensureSignKeys(live.relay, account, acct.keys);
    if (!account.signKeys) return;
    await setLocal(KEYS.account, { ...acct, keys } satisfies AccountRecord);
    live.record.signSeed = toBase64url(account.signKeys.seed);
    await setSession(KEYS.unlocked, live.record);
  }

  private async activate(record: UnlockedRecord, account: UnlockedAccount): Promise<void> {
    const cache = loadCache(record.accountId, await getLocal(KEYS.vaultCache));
    const relay = new RelayClient({
      baseUrl: record.relayUrl,
      token: record.token ?? undefined,
      onUnauthenticated: () => this.refreshToken().catch(() => null),
    });
    this.live = { record, account, relay, store: new VaultStore(account, cache) };
    await setSession(KEYS.unlocked, record);
  }

  private async restore(): Promise<Live | undefined> {
    const record = await getSession<UnlockedRecord>(KEYS.unlocked);
    if (!record) return undefined;
    await initCrypto();
    const account: UnlockedAccount = {
      accountId: record.accountId,
      accountKey: fromBase64url(record.accountKey),
      keyPair: {
        publicKey: fromBase64url(record.publicKey),
        privateKey: fromBase64url(record.privateKey),
      },
      ...(record.signSeed ? { signKeys: generateSignKeyPair(fromBase64url(record.signSeed)) } : {}),
    };
    if (this.live) return this.live;
    await this.activate(record, account);
    return this.live;
  }

  /** Log in with the kept auth key; returns the new token. */
  private async refreshToken(): Promise<string> {
    const live = this.live;
    if (!live?.record.authKey) throw new KeyholeError('VAULT_LOCKED');
    const anon = new RelayClient({ baseUrl: live.record.relayUrl });
    const res = await anon.login({ email: live.record.email, authKey: live.record.authKey });
    live.record.token = res.token;
    live.relay.token = res.token;
    await setSession(KEYS.unlocked, live.record);
    return res.token;
  }

  private async requireLive(): Promise<Live> {
    const live = await this.current();
    if (!live) throw new KeyholeError('VAULT_LOCKED');
    return live;
  }

  private async push(
    live: Live,
    vaultId: string,
    writes: Parameters<typeof pushWithMerge>[3],
  ): Promise<void> {
    await this.relayFor(live);
    try {
      const report = await pushWithMerge(live.relay, live.store, vaultId, writes);
      this.status = {
        state: 'ok',
        at: Date.now(),
        conflicts: mergeConflicts(this.status.conflicts, report.conflicts),
      };
    } finally {
      await this.persistCache(live);
    }
  }

  private async persistCache(live: Live): Promise<void> {
    await setLocal(KEYS.vaultCache, live.store.toCache());
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }
}

function accountKeys(
  u: UnlockedAccount,
): Pick<UnlockedRecord, 'accountKey' | 'publicKey' | 'privateKey' | 'signSeed'> {
  return {
    accountKey: toBase64url(u.accountKey),
    publicKey: toBase64url(u.keyPair.publicKey),
    privateKey: toBase64url(u.keyPair.privateKey),
    ...(u.signKeys ? { signSeed: toBase64url(u.signKeys.seed) } : {}),
  };
}

function summarise(e: SecretEntry, vaultName: string): SecretSummary {
  return {
    vaultId: e.vaultId,
    vaultName,
    itemId: e.itemId,
    name: e.payload.name,
    type: e.payload.type,
    allowedHosts: e.payload.allowedHosts,
    allowedOrigins: e.payload.allowedOrigins,
    description: e.payload.description,
    conflict: /\.conflict-\d{4}-\d{2}-\d{2}/.test(e.payload.name),
    ...(e.payload.placement ? { placement: e.payload.placement } : {}),
    needsReview: needsPlacementReview(e.payload),
  };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function mergeConflicts(a: SyncConflict[], b: SyncConflict[]): SyncConflict[] {
  return [...a, ...b].slice(-20);
}

export function errorCode(err: unknown): string {
  return err instanceof KeyholeError ? err.code : 'INTERNAL';
}
