// A grant's rate (per visitor per minute) and quota (per UTC day), counted in grant_counters rows
// that every relay on the database shares, but written once per block of uses: a relay reserves
// several uses at once with one all-or-nothing statement (grant-statements.ts `reserve`) and hands
// them out from memory. The store's count is always ≥ the uses served, so no limit is ever
// exceeded, by any number of relays; a reservation not used up (a crash, a restart, an entry
// dropped from memory, another relay holding the last units) is under-use, never over-use; a
// graceful shutdown gives the unused part back.
// docs/protocol.md "Grants", Counters.
import type { GrantStatements } from './grant-statements.js';

/**
 * Quota blocks: at most this many uses per store write. A quota's write is durable (an fsync on
 * SQLite, a few ms on a busy disk, blocking the loop): 4096 makes it ~1 µs a request.
 */
const QUOTA_BLOCK_MAX = 4096;
/** Rate blocks when several relays share the store (one visitor may be spread over them). */
const SHARED_RATE_BLOCK_MAX = 64;
/** Counters held in memory at once; the oldest are dropped first (their unused units are lost). */
const MAX_HELD = 50_000;

interface Held {
  kind: CounterKind;
  /** reserved in the store, not yet used */
  left: number;
  /** the store's count after our last reservation (every relay's uses and reservations) */
  seen: number;
  /** the store refused a reservation: the window's limit is reached (counts never go down) */
  exhausted: boolean;
  expiresAt: number;
}

export type CounterKind = 'rate' | 'quota';

/**
 * How many uses to reserve at once. Quota: 1/64 of the limit at most and 1/16 of what was left
 * when last seen, so blocks shrink near the end and the units other relays (or a crash) may strand
 * stay small. Rate: with one relay per store (SQLite: relay-lock.ts) the whole window at once —
 * exact, one write per visitor per minute; with several (PostgreSQL), 1/16 of what is left, so a
 * visitor spread over relays is counted once for all of them (a limit of 2 reserves one at a time).
 */
export function blockSize(
  kind: CounterKind,
  limit: number,
  seen: number,
  oneRelay: boolean,
): number {
  const left = Math.max(0, limit - seen);
  let want: number;
  if (kind === 'quota')
    want = Math.min(Math.floor(limit / 64), Math.floor(left / 16), QUOTA_BLOCK_MAX);
  else if (oneRelay) want = left;
  else want = Math.min(Math.floor(left / 16), SHARED_RATE_BLOCK_MAX);
  return Math.max(1, Math.min(want, limit));
}

export class GrantCounters {
  private readonly held = new Map<string, Held>();

  constructor(
    private readonly reserve: GrantStatements['reserve'],
    /** one relay per store (SQLite): rate windows are reserved whole */
    private readonly oneRelay: boolean,
    private readonly maxHeld = MAX_HELD,
  ) {}

  /**
   * Takes one use of counter `key` (limit `limit`, row kept until `expiresAt`): true when taken,
   * false when the limit is reached. Synchronous while a reservation lasts.
   */
  take(
    kind: CounterKind,
    key: string,
    limit: number,
    expiresAt: number,
    now: number,
  ): boolean | Promise<boolean> {
    const h = this.held.get(key);
    if (h !== undefined) {
      if (h.expiresAt <= now) this.held.delete(key);
      else if (h.left > 0) {
        h.left--;
        return true;
      } else if (h.exhausted) return false;
    }
    return this.refill(kind, key, limit, expiresAt);
  }

  private async refill(
    kind: CounterKind,
    key: string,
    limit: number,
    expiresAt: number,
  ): Promise<boolean> {
    const want = blockSize(kind, limit, this.held.get(key)?.seen ?? 0, this.oneRelay);
    let got = want;
    const durable = kind === 'quota';
    let count = await this.reserve(key, want, limit, expiresAt, durable);
    if (count === null && want > 1) {
      // Not a whole block left: one use may still be.
      got = 1;
      count = await this.reserve(key, 1, limit, expiresAt, durable);
    }
    let h = this.held.get(key);
    if (h === undefined) {
      h = { kind, left: 0, seen: 0, exhausted: false, expiresAt };
      this.held.set(key, h);
      if (this.held.size > this.maxHeld) this.dropOldest();
    }
    if (count === null) {
      h.exhausted = true;
      return false;
    }
    h.seen = Math.max(h.seen, count);
    h.left += got - 1;
    return true;
  }

  /**
   * Rate windows go first: there is one per visitor, so visitors from many addresses could
   * otherwise push out a grant's quota (one per grant and day) and strand its block again and
   * again — draining it by eviction rather than by use.
   */
  private dropOldest(): void {
    for (const pass of ['rate', 'quota'] as const) {
      for (const [key, h] of this.held) {
        if (h.kind !== pass) continue;
        this.held.delete(key);
        if (this.held.size <= this.maxHeld) return;
      }
    }
  }

  /**
   * Graceful shutdown: gives every unused reservation back to the store (best effort: one that
   * cannot be given back stays counted — under-use), then forgets them all.
   */
  async release(give: GrantStatements['release'], now: number): Promise<void> {
    const held = [...this.held].filter(([, h]) => h.left > 0 && h.expiresAt > now);
    this.held.clear();
    for (const [key, h] of held) await give(key, h.left).catch(() => undefined);
  }

  /** Forgets windows that have passed (their rows are deleted by the store's purge). */
  purge(now: number): void {
    for (const [key, h] of this.held) if (h.expiresAt <= now) this.held.delete(key);
  }

  get size(): number {
    return this.held.size;
  }
}
