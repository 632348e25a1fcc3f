// Writes that change what the relay cache holds (relay-cache.ts) go through invalidating(): the
// events are dropped from this relay's cache before the transaction and again after it ends, and
// on PostgreSQL sent to every other relay with NOTIFY inside the writing transaction (delivered
// at commit, never for a rollback) — and the write answers only once every other relay listening
// then has acknowledged it, so the change counts at the very next request on any relay
// (docs/forward.md "Cache"). A store without a cache (tests, tools) just runs the transaction.
import { randomBytes } from 'node:crypto';
import { sql, type Kysely, type Transaction } from 'kysely';
import { LEASE_MS } from './pg-invalidation.js';
import type { CacheEvent, RelayCache } from './relay-cache.js';
import type { Database } from './schema.js';
import type { Store } from './store-types.js';

const caches = new WeakMap<Kysely<Database>, RelayCache>();

/** Gives the store its cache: hot-statements.ts reads through it, invalidating() keeps it exact. */
export function attachCache(store: Store, cache: RelayCache): void {
  store.cache = cache;
  caches.set(store.db, cache);
}

/** NOTIFY payloads stay well under PostgreSQL's 8000-byte limit. */
const MAX_PAYLOAD = 7000;

export function encodeEvent(e: CacheEvent): string {
  switch (e.kind) {
    case 'session':
      return `s ${e.tokenHash}`;
    case 'member':
      return `m ${e.vaultId} ${e.accountId}`;
    case 'item':
      return `i ${e.vaultId} ${e.itemId}`;
    case 'account':
      return `a ${e.accountId}`;
    case 'grant':
      return `g ${e.grantId}`;
  }
}

/** The events of one payload; an unknown line drops everything (fail closed). */
export function decodeEvents(payload: string): CacheEvent[] | 'all' {
  const out: CacheEvent[] = [];
  for (const line of payload.split('\n')) {
    const [kind, a, b] = line.split(' ');
    if (kind === 'w' && a) continue; // an acknowledgement asked for: ackTokens()
    if (kind === 's' && a) out.push({ kind: 'session', tokenHash: a });
    else if (kind === 'm' && a && b) out.push({ kind: 'member', vaultId: a, accountId: b });
    else if (kind === 'i' && a && b) out.push({ kind: 'item', vaultId: a, itemId: b });
    else if (kind === 'a' && a) out.push({ kind: 'account', accountId: a });
    else if (kind === 'g' && a) out.push({ kind: 'grant', grantId: a });
    else return 'all';
  }
  return out;
}

/** The tokens a payload asks its receivers to acknowledge (`w <token>` lines). */
export function ackTokens(payload: string): string[] {
  const out: string[] = [];
  for (const line of payload.split('\n')) if (line.startsWith('w ')) out.push(line.slice(2));
  return out;
}

/** Margin over the lease when waiting for acknowledgements (timers are not exact). */
const ACK_MARGIN_MS = 100;

/**
 * Sends the events to the other relays from inside `tx` (PostgreSQL; no-op on SQLite), asking
 * the relays listening now for an acknowledgement: the token and their listeners' backend pids.
 */
async function publish(
  tx: Transaction<Database>,
  cache: RelayCache,
  events: readonly CacheEvent[],
): Promise<((ms: number) => Promise<void>) | undefined> {
  const channel = cache.channel;
  if (channel === undefined || events.length === 0) return undefined;
  let ack: { token: string; wait: (ms: number) => Promise<void> } | undefined;
  const peers = cache.peers;
  if (peers) {
    const own = peers.ownPid();
    const { rows } = await sql<{
      pid: number;
    }>`select pid from pg_stat_activity where application_name = ${peers.listenerName}`.execute(tx);
    const pids = rows.map((r) => Number(r.pid)).filter((pid) => pid !== own);
    if (pids.length > 0) {
      // Registered before the commit: an acknowledgement cannot arrive before its waiter.
      const token = randomBytes(9).toString('base64url');
      ack = { token, wait: peers.expect(token, pids) };
    }
  }
  let payload = '';
  // The acknowledgement is asked for last: notifications arrive in order, so acknowledging it
  // means every line before it was applied.
  const lines = events.map(encodeEvent);
  if (ack) lines.push(`w ${ack.token}`);
  for (const line of lines) {
    if (payload && payload.length + 1 + line.length > MAX_PAYLOAD) {
      await sql`select pg_notify(${channel}, ${payload})`.execute(tx);
      payload = '';
    }
    payload = payload ? `${payload}\n${line}` : line;
  }
  if (payload) await sql`select pg_notify(${channel}, ${payload})`.execute(tx);
  return ack?.wait;
}

/**
 * Runs `work` in one transaction that changes what `events` name. Dropping the entries before
 * the transaction and again once it has ended (committed or not) leaves no moment in which this
 * relay could answer from an entry older than the committed state: a fill that read before the
 * commit is refused by the epoch the second drop bumps. On PostgreSQL it then waits until every
 * other relay that was listening has applied the notification (usually a few ms), or until the
 * lease of any that has not has run out: either way none of them answers from the old state
 * once this returns.
 */
export async function invalidating<T>(
  db: Kysely<Database>,
  events: readonly CacheEvent[],
  work: (tx: Transaction<Database>) => Promise<T>,
): Promise<T> {
  const cache = caches.get(db);
  if (!cache) return db.transaction().execute(work);
  cache.apply(events);
  let wait: ((ms: number) => Promise<void>) | undefined;
  let result: T;
  try {
    result = await db.transaction().execute(async (tx) => {
      const r = await work(tx);
      wait = await publish(tx, cache, events);
      return r;
    });
  } catch (err) {
    // Rolled back: nothing was sent, nobody will acknowledge (the waiter forgets its token).
    if (wait) void wait(0);
    throw err;
  } finally {
    cache.apply(events);
  }
  if (wait) await wait(LEASE_MS + ACK_MARGIN_MS);
  return result;
}
