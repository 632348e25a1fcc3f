// In-memory cache of access tokens (oauth, jwt, github-app): one entry per (vault, item, hash of
// the item key, hash of the settings), refreshed shortly before expiry; concurrent misses share
// one fetch. Tokens never leave this process: not logged, not stored.
import { createHash } from 'node:crypto';

interface Entry {
  token: string;
  /** refresh after this instant (ms) */
  refreshAt: number;
}

export interface Minted {
  token: string;
  lifetimeSec: number;
}

const MAX_ENTRIES = 10_000;

/** Seconds before expiry at which a token is refreshed: 10 % of its life, at most 60 s. */
export function refreshMarginMs(lifetimeSec: number): number {
  return Math.min(60_000, lifetimeSec * 100);
}

/**
 * The cache key of one secret's token. The item key's hash makes it one user's: another account
 * (or a rotated item) never gets this entry even for the same vault and item ids; the settings'
 * hash retires the token when the item's settings change.
 */
export function tokenKey(
  kind: string,
  vaultId: string,
  itemId: string,
  keyHash: string,
  settings: unknown,
): string {
  const settingsHash = createHash('sha256').update(JSON.stringify(settings)).digest('hex');
  return `${kind}/${vaultId}/${itemId}/${keyHash}/${settingsHash}`;
}

export class TokenCache {
  private readonly cache = new Map<string, Entry>();
  private readonly inflight = new Map<string, Promise<string>>();

  constructor(private readonly now: () => number = Date.now) {}

  /** The cached token for `key`, or a fresh one from `mint` (one mint per key at a time). */
  async get(key: string, mint: () => Promise<Minted>): Promise<string> {
    const hit = this.cache.get(key);
    if (hit && hit.refreshAt > this.now()) return hit.token;
    const running = this.inflight.get(key);
    if (running) return running;
    const job = mint()
      .then(({ token, lifetimeSec }) => {
        this.cache.delete(key);
        if (this.cache.size >= MAX_ENTRIES)
          this.cache.delete(this.cache.keys().next().value as string);
        this.cache.set(key, {
          token,
          refreshAt: this.now() + lifetimeSec * 1000 - refreshMarginMs(lifetimeSec),
        });
        return token;
      })
      .finally(() => this.inflight.delete(key));
    this.inflight.set(key, job);
    return job;
  }

  /** Forgets `token` if it is still the one cached for `key` (an API answered 401 to it). */
  invalidate(key: string, token: string): void {
    if (this.cache.get(key)?.token === token) this.cache.delete(key);
  }

  clear(): void {
    this.cache.clear();
  }
}
