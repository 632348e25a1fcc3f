// Writes that change what the relay cache holds (relay-cache.ts) go through invalidating(): the
// events are dropped from this relay's cache before the transaction and again after it ends, and
// on PostgreSQL sent to every other relay with NOTIFY inside the writing transaction (delivered
// at commit, never for a rollback). A store without a cache (tests, tools) just runs the
// transaction.
import { sql, type Kysely, type Transaction } from 'kysely';
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
  }
}

/** The events of one payload; an unknown line drops everything (fail closed). */
export function decodeEvents(payload: string): CacheEvent[] | 'all' {
  const out: CacheEvent[] = [];
  for (const line of payload.split('\n')) {
    const [kind, a, b] = line.split(' ');
    if (kind === 's' && a) out.push({ kind: 'session', tokenHash: a });
    else if (kind === 'm' && a && b) out.push({ kind: 'member', vaultId: a, accountId: b });
    else if (kind === 'i' && a && b) out.push({ kind: 'item', vaultId: a, itemId: b });
    else if (kind === 'a' && a) out.push({ kind: 'account', accountId: a });
    else return 'all';
  }
  return out;
}

/** Sends the events to the other relays from inside `tx` (PostgreSQL; no-op on SQLite). */
async function publish(
  tx: Transaction<Database>,
  cache: RelayCache,
  events: readonly CacheEvent[],
): Promise<void> {
  const channel = cache.channel;
  if (channel === undefined || events.length === 0) return;
  let payload = '';
  for (const e of events) {
    const line = encodeEvent(e);
    if (payload && payload.length + 1 + line.length > MAX_PAYLOAD) {
      await sql`select pg_notify(${channel}, ${payload})`.execute(tx);
      payload = '';
    }
    payload = payload ? `${payload}\n${line}` : line;
  }
  if (payload) await sql`select pg_notify(${channel}, ${payload})`.execute(tx);
}

/**
 * Runs `work` in one transaction that changes what `events` name. Dropping the entries before
 * the transaction and again once it has ended (committed or not) leaves no moment in which this
 * relay could answer from an entry older than the committed state: a fill that read before the
 * commit is refused by the epoch the second drop bumps.
 */
export async function invalidating<T>(
  db: Kysely<Database>,
  events: readonly CacheEvent[],
  work: (tx: Transaction<Database>) => Promise<T>,
): Promise<T> {
  const cache = caches.get(db);
  if (!cache) return db.transaction().execute(work);
  cache.apply(events);
  try {
    return await db.transaction().execute(async (tx) => {
      const result = await work(tx);
      await publish(tx, cache, events);
      return result;
    });
  } finally {
    cache.apply(events);
  }
}
