// The relay's in-process cache of what every forward reads: live sessions, live memberships and
// item envelopes (ciphertext only: nothing decrypted is ever cached). Exact, not eventually right:
// every write through the relay drops the entries it touches before and after its commit
// (cache-events.ts), a fill that raced a write is discarded (epoch), and the cache is usable only
// while its invalidations are known to arrive — always on SQLite (one relay per file, enforced by
// relay-lock.ts), on PostgreSQL only while the LISTEN connection is up and its lease is fresh
// (pg-invalidation.ts). docs/forward.md, "Cache".

/**
 * A bounded map that evicts the least recently used entries first, approximately ("second
 * chance"): a hit only marks its entry, so reads never reorder the Map (a delete + set per hit
 * was ~1 % of a forward's CPU); eviction passes marked entries to the back once.
 */
class Lru<V> {
  private readonly map = new Map<string, { v: V; hot: boolean }>();
  private weight = 0;

  constructor(
    private readonly maxEntries: number,
    private readonly maxWeight: number,
    private readonly weigh: (v: V) => number,
  ) {}

  get(key: string): V | undefined {
    const e = this.map.get(key);
    if (e === undefined) return undefined;
    e.hot = true;
    return e.v;
  }

  set(key: string, v: V): void {
    this.delete(key);
    const w = this.weigh(v);
    if (w > this.maxWeight) return;
    this.map.set(key, { v, hot: false });
    this.weight += w;
    while (this.map.size > this.maxEntries || this.weight > this.maxWeight) this.evictOne();
  }

  private evictOne(): void {
    for (const [key, e] of this.map) {
      if (e.hot && this.map.size > 1) {
        e.hot = false;
        this.map.delete(key);
        this.map.set(key, e);
        continue;
      }
      this.delete(key);
      return;
    }
  }

  delete(key: string): void {
    const e = this.map.get(key);
    if (e === undefined) return;
    this.map.delete(key);
    this.weight -= this.weigh(e.v);
  }

  /** drops every entry whose value matches */
  deleteWhere(match: (v: V, key: string) => boolean): void {
    for (const [k, e] of this.map) if (match(e.v, k)) this.delete(k);
  }

  clear(): void {
    this.map.clear();
    this.weight = 0;
  }

  get size(): number {
    return this.map.size;
  }
}

export interface CachedSession {
  accountId: string;
  expiresAt: number;
}

/**
 * A grant's row as stored (sealed policy and wrapped item key: nothing here opens anything),
 * keyed by its lookup hash. Its creator's membership and its item are the member and item
 * entries above, so a removal or a deletion drops what a grant forward needs too.
 */
export interface CachedGrant {
  id: string;
  account_id: string;
  vault_id: string;
  item_id: string;
  wrapped_item_key: string;
  policy: string;
  cors_origins: string;
  revoked: boolean;
}

export interface CachedItem {
  /** the envelope as stored (ciphertext); null when there is no such item */
  data: string | null;
  deleted: number | null;
}

/** What a write changed; cache-events.ts sends these to every relay on the database. */
export type CacheEvent =
  | { kind: 'session'; tokenHash: string }
  | { kind: 'member'; vaultId: string; accountId: string }
  | { kind: 'item'; vaultId: string; itemId: string }
  /** anything of this account (sessions and memberships) */
  | { kind: 'account'; accountId: string }
  /** a grant's row (revoked) */
  | { kind: 'grant'; grantId: string };

/**
 * PostgreSQL: how a write learns that every other relay has dropped what it changed
 * (pg-invalidation.ts). Set by the listener; absent on SQLite (one relay).
 */
export interface PeerAcks {
  /** the application_name of every relay's listening connection on this channel */
  readonly listenerName: string;
  /** this relay's listening backend, if it listens now */
  ownPid(): number | undefined;
  /**
   * Registers a write's acknowledgement token, before its commit; the function returned resolves
   * once each of `pids` has acknowledged it (applied the notification carrying it), or after `ms`
   * — by then a relay that has not has lost its lease (fail closed) — and forgets the token.
   */
  expect(token: string, pids: number[]): (ms: number) => Promise<void>;
}

export interface RelayCacheLimits {
  sessions: number;
  members: number;
  items: number;
  /** total characters of cached envelopes */
  itemChars: number;
  grants: number;
}

export const DEFAULT_CACHE_LIMITS: RelayCacheLimits = {
  sessions: 20_000,
  members: 20_000,
  items: 20_000,
  itemChars: 32 * 1024 * 1024,
  grants: 20_000,
};

const pair = (a: string, b: string): string => `${a} ${b}`;

export class RelayCache {
  private readonly sessions: Lru<CachedSession>;
  private readonly members: Lru<true>;
  private readonly items: Lru<CachedItem>;
  private readonly grants: Lru<CachedGrant>;
  /** bumped by every invalidation: a fill whose read began before it is dropped */
  private epochValue = 0;
  /** performance.now() until which the entries are known to be current (Infinity on SQLite) */
  private validUntil: number;
  hits = 0;
  misses = 0;

  constructor(
    /** true when invalidations always arrive (SQLite, one relay); false until a listener says so */
    alwaysValid: boolean,
    limits: RelayCacheLimits = DEFAULT_CACHE_LIMITS,
    /** the NOTIFY channel (PostgreSQL), set by the listener; writes publish on it */
    public channel?: string,
    /** the listener's acknowledgements (PostgreSQL) */
    public peers?: PeerAcks,
  ) {
    this.validUntil = alwaysValid ? Infinity : 0;
    this.sessions = new Lru(limits.sessions, Infinity, () => 0);
    this.members = new Lru(limits.members, Infinity, () => 0);
    this.items = new Lru(limits.items, limits.itemChars, (v) => v.data?.length ?? 0);
    this.grants = new Lru(limits.grants, Infinity, () => 0);
  }

  get epoch(): number {
    return this.epochValue;
  }

  /** May entries be used (and filled) now? Clears everything once the lease has run out. */
  usable(): boolean {
    if (this.validUntil === Infinity) return true;
    if (performance.now() < this.validUntil) return true;
    if (this.validUntil !== 0) this.invalidateAll();
    return false;
  }

  /** The listener confirmed that every invalidation committed before `since` has arrived. */
  extendLease(since: number, leaseMs: number): void {
    if (this.validUntil === Infinity) return;
    this.validUntil = Math.max(this.validUntil, since + leaseMs);
  }

  /** Listening lost (or not yet established): drop everything, serve uncached. */
  invalidateAll(): void {
    if (this.validUntil !== Infinity) this.validUntil = 0;
    this.epochValue++;
    this.sessions.clear();
    this.members.clear();
    this.items.clear();
    this.grants.clear();
  }

  /** The live session behind a token hash: undefined when unknown or expired at `now`. */
  session(tokenHash: string, now: number): CachedSession | undefined {
    const s = this.sessions.get(tokenHash);
    if (s === undefined) return undefined;
    if (s.expiresAt > now) return s;
    this.sessions.delete(tokenHash);
    return undefined;
  }

  isMember(vaultId: string, accountId: string): boolean {
    return this.members.get(pair(vaultId, accountId)) === true;
  }

  item(vaultId: string, itemId: string): CachedItem | undefined {
    return this.items.get(pair(vaultId, itemId));
  }

  /** A grant by the lookup hash of its token (revoked ones too: a revocation is final). */
  grant(lookup: string): CachedGrant | undefined {
    return this.grants.get(lookup);
  }

  /** Fills, each only if no invalidation happened since `epoch` (when the read began). */
  putSession(epoch: number, tokenHash: string, s: CachedSession): void {
    if (epoch === this.epochValue) this.sessions.set(tokenHash, s);
  }

  putMember(epoch: number, vaultId: string, accountId: string): void {
    if (epoch === this.epochValue) this.members.set(pair(vaultId, accountId), true);
  }

  putItem(epoch: number, vaultId: string, itemId: string, item: CachedItem): void {
    if (epoch === this.epochValue) this.items.set(pair(vaultId, itemId), item);
  }

  putGrant(epoch: number, lookup: string, grant: CachedGrant): void {
    if (epoch === this.epochValue) this.grants.set(lookup, grant);
  }

  /** Drops what the events name (and bumps the epoch, so racing fills are dropped too). */
  apply(events: readonly CacheEvent[]): void {
    this.epochValue++;
    for (const e of events) {
      switch (e.kind) {
        case 'session':
          this.sessions.delete(e.tokenHash);
          break;
        case 'member':
          this.members.delete(pair(e.vaultId, e.accountId));
          // and the member's grants there (a re-admission revokes them: team-members-repo.ts)
          this.grants.deleteWhere((g) => g.vault_id === e.vaultId && g.account_id === e.accountId);
          break;
        case 'item':
          this.items.delete(pair(e.vaultId, e.itemId));
          break;
        case 'account': {
          const suffix = ` ${e.accountId}`;
          this.sessions.deleteWhere((s) => s.accountId === e.accountId);
          this.members.deleteWhere((_v, key) => key.endsWith(suffix));
          break;
        }
        case 'grant':
          // Keyed by lookup hash; revocations are rare enough for a scan.
          this.grants.deleteWhere((g) => g.id === e.grantId);
          break;
      }
    }
  }

  get size(): { sessions: number; members: number; items: number; grants: number } {
    return {
      sessions: this.sessions.size,
      members: this.members.size,
      items: this.items.size,
      grants: this.grants.size,
    };
  }
}
