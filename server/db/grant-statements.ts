// The statements every grant forward runs, prepared once (like hot-statements.ts for sessions):
// the grant by its lookup hash together with its creator's live membership and the item — through
// the relay cache (relay-cache.ts) when it is usable: the grant row, the membership and the item
// are three entries that a revocation, a member's removal and the item's deletion each drop, on
// every relay (cache-events.ts) — and the counters' block reservation (grant-counters.ts).
import type BetterSqlite3 from 'better-sqlite3';
import { CompiledQuery } from 'kysely';
import type { CachedGrant, RelayCache } from './relay-cache.js';
import type { Store } from './store-types.js';

export interface GrantRow {
  /** the grant's own row; the same object for every hit while it is cached */
  grant: CachedGrant;
  /** null: the creator is no longer a live member of the vault */
  member_id: string | null;
  /** null: the item does not exist */
  data: string | null;
  deleted: number | null;
}

/** One row of FIND: the grant's columns (CachedGrant but `revoked_at`), membership and item. */
interface FlatRow extends Omit<CachedGrant, 'revoked'> {
  revoked_at: number | string | null;
  member_id: string | null;
  data: string | null;
  deleted: number | string | null;
}

const FIND = (p: (i: number) => string): string =>
  'select g.id as id, g.account_id as account_id, g.vault_id as vault_id, g.item_id as item_id, ' +
  'g.wrapped_item_key as wrapped_item_key, g.policy as policy, g.cors_origins as cors_origins, ' +
  'g.revoked_at as revoked_at, m.account_id as member_id, i.data as data, i.deleted as deleted ' +
  'from grants g ' +
  'left join vault_members m on m.vault_id = g.vault_id and m.account_id = g.account_id ' +
  'and m.removed_at is null ' +
  'left join items i on i.vault_id = g.vault_id and i.id = g.item_id ' +
  `where g.lookup_hash = ${p(1)} limit 1`;

const CORS = (p: (i: number) => string): string =>
  `select cors_origins, revoked_at from grants where id = ${p(1)} limit 1`;

/**
 * Reserves `want` uses of a counter in one statement, all or nothing: the row's count grows by
 * `want` only while it stays within the limit; no row comes back when it would not.
 */
const RESERVE = (p: (i: number) => string): string =>
  `insert into grant_counters (key, count, expires_at) values (${p(1)}, ${p(2)}, ${p(3)}) ` +
  'on conflict (key) do update set count = grant_counters.count + excluded.count ' +
  `where grant_counters.count + excluded.count <= ${p(4)} returning count`;

/** Gives back uses reserved and not used (a graceful shutdown); never below zero. */
const RELEASE = (p: (i: number) => string): string =>
  `update grant_counters set count = count - ${p(1)} where key = ${p(2)} and count >= ${p(3)}`;

const q = (): string => '?';
const d = (i: number): string => `$${i}`;

export interface GrantStatements {
  findByLookup(lookup: string): Promise<GrantRow | undefined>;
  corsOrigins(grantId: string): Promise<{ cors_origins: string; revoked_at: unknown } | undefined>;
  /**
   * Adds `want` (1 ≤ want ≤ limit) to the counter `key` if the sum stays ≤ `limit`: the new count,
   * or null (nothing added) when it would not.
   */
  reserve(
    key: string,
    want: number,
    limit: number,
    expiresAt: number,
    /** false: may be lost with a power cut (SQLite: no fsync) — rates, not quotas */
    durable: boolean,
  ): Promise<number | null>;
  /** gives back `unused` uses of counter `key` that this relay reserved and will not use */
  release(key: string, unused: number): Promise<void>;
  /** deletes counters whose window has passed */
  purge(now: number): Promise<void>;
}

const built = new WeakMap<Store, GrantStatements>();

export function grantStatements(store: Store): GrantStatements {
  let s = built.get(store);
  if (!s) {
    s = store.dialect === 'sqlite' && store.sqlite ? viaSqlite(store) : viaPg(store);
    built.set(store, s);
  }
  return s;
}

async function kyselyFirst<T>(
  store: Store,
  text: string,
  params: unknown[],
): Promise<T | undefined> {
  return (await store.db.executeQuery<T>(CompiledQuery.raw(text, params))).rows[0];
}

function toRow(flat: FlatRow): GrantRow {
  return {
    grant: {
      id: flat.id,
      account_id: flat.account_id,
      vault_id: flat.vault_id,
      item_id: flat.item_id,
      wrapped_item_key: flat.wrapped_item_key,
      policy: flat.policy,
      cors_origins: flat.cors_origins,
      revoked: flat.revoked_at !== null,
    },
    member_id: flat.member_id,
    data: flat.data,
    deleted: flat.deleted === null ? null : Number(flat.deleted),
  };
}

/** The grant row from the cache when its three entries are there, else from the store (and fills). */
function cachedFind(
  store: Store,
  read: (lookup: string) => Promise<FlatRow | undefined>,
): (lookup: string) => Promise<GrantRow | undefined> {
  return async (lookup) => {
    const cache: RelayCache | undefined = store.cache;
    if (!cache?.usable()) {
      const flat = await read(lookup);
      return flat && toRow(flat);
    }
    const g = cache.grant(lookup);
    if (g !== undefined && cache.isMember(g.vault_id, g.account_id)) {
      const item = cache.item(g.vault_id, g.item_id);
      if (item !== undefined) {
        cache.hits++;
        return { grant: g, member_id: g.account_id, data: item.data, deleted: item.deleted };
      }
    }
    cache.misses++;
    const epoch = cache.epoch;
    const flat = await read(lookup);
    if (!flat) return undefined;
    const row = toRow(flat);
    cache.putGrant(epoch, lookup, row.grant);
    if (row.member_id !== null) {
      cache.putMember(epoch, row.grant.vault_id, row.member_id);
      cache.putItem(epoch, row.grant.vault_id, row.grant.item_id, {
        data: row.data,
        deleted: row.deleted,
      });
    }
    return row;
  };
}

function viaSqlite(store: Store): GrantStatements {
  const sqlite = store.sqlite as BetterSqlite3.Database;
  const stmts = new Map<string, BetterSqlite3.Statement<unknown[]>>();
  const prep = (text: string): BetterSqlite3.Statement<unknown[]> => {
    let s = stmts.get(text);
    if (!s) {
      s = sqlite.prepare<unknown[]>(text);
      stmts.set(text, s);
    }
    return s;
  };
  // Statements go through Kysely while a Kysely transaction holds the connection
  // (hot-statements.ts): they wait for it and never see its uncommitted rows.
  const first = <T>(text: string, params: unknown[]): Promise<T | undefined> => {
    if (sqlite.inTransaction || !sqlite.open) return kyselyFirst<T>(store, text, params);
    try {
      return Promise.resolve(prep(text).get(...params) as T | undefined);
    } catch (err) {
      return Promise.reject(err as Error);
    }
  };
  return {
    findByLookup: cachedFind(store, (lookup) => first<FlatRow>(FIND(q), [lookup])),
    corsOrigins: (id) => first(CORS(q), [id]),
    async reserve(key, want, limit, expiresAt, durable) {
      const params = [key, want, expiresAt, limit];
      let row: { count: number } | undefined;
      if (sqlite.inTransaction || !sqlite.open) {
        row = await kyselyFirst<{ count: number }>(store, RESERVE(q), params);
      } else if (durable) {
        // A quota's reservation is a promise to the owner: written like any other commit (a
        // power cut that lost it would let its uses through again). One write per block.
        row = prep(RESERVE(q)).get(...params) as { count: number } | undefined;
      } else {
        // A rate's window need not survive a power cut (a process crash, yes): no fsync.
        sqlite.pragma('synchronous = normal');
        try {
          row = prep(RESERVE(q)).get(...params) as { count: number } | undefined;
        } finally {
          sqlite.pragma('synchronous = full');
        }
      }
      return row === undefined ? null : Number(row.count);
    },
    async release(key, unused) {
      await kyselyFirst(store, RELEASE(q), [unused, key, unused]);
    },
    async purge(now) {
      await store.db.deleteFrom('grant_counters').where('expires_at', '<', now).execute();
    },
  };
}

function viaPg(store: Store): GrantStatements {
  const pool = store.pgPool;
  const first = async <T>(
    name: string,
    text: string,
    params: unknown[],
  ): Promise<T | undefined> => {
    if (!pool) return kyselyFirst<T>(store, text, params);
    const r = await pool.query({ name, text, values: params });
    return r.rows[0] as T | undefined;
  };
  return {
    findByLookup: cachedFind(store, (lookup) =>
      first<FlatRow>('keyhole_grant_find', FIND(d), [lookup]),
    ),
    corsOrigins: (id) => first('keyhole_grant_cors', CORS(d), [id]),
    async reserve(key, want, limit, expiresAt) {
      // (PostgreSQL: every commit is durable.)
      const row = await first<{ count: string }>('keyhole_grant_reserve', RESERVE(d), [
        key,
        want,
        expiresAt,
        limit,
      ]);
      return row === undefined ? null : Number(row.count);
    },
    async release(key, unused) {
      await kyselyFirst(store, RELEASE(d), [unused, key, unused]);
    },
    async purge(now) {
      await store.db.deleteFrom('grant_counters').where('expires_at', '<', now).execute();
    },
  };
}
