// The statements every grant forward runs, prepared once (like hot-statements.ts for sessions):
// the grant by its lookup hash together with its creator's live membership and the item (one
// statement, no cache — a revocation, a removal or a deletion counts at the next request on every
// relay), and the rate/quota counters (one statement on PostgreSQL, one transaction on SQLite).
import type BetterSqlite3 from 'better-sqlite3';
import { CompiledQuery } from 'kysely';
import type { Store } from './store-types.js';

export interface GrantRow {
  id: string;
  account_id: string;
  vault_id: string;
  item_id: string;
  wrapped_item_key: string;
  policy: string;
  cors_origins: string;
  revoked_at: number | string | null;
  /** null: the creator is no longer a live member of the vault */
  member_id: string | null;
  /** null: the item does not exist */
  data: string | null;
  deleted: number | null;
}

export interface CounterResult {
  /** this visitor's requests in the current minute, this one included (null: no rate) */
  rate: number | null;
  /** the grant's requests today (null: no quota, or not counted because the rate refused) */
  quota: number | null;
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

const BUMP = (p: (i: number) => string, a: number): string =>
  `insert into grant_counters (key, count, expires_at) values (${p(a)}, 1, ${p(a + 1)}) ` +
  'on conflict (key) do update set count = grant_counters.count + 1 returning count';

const q = (): string => '?';
const d = (i: number): string => `$${i}`;

/** PostgreSQL: rate then quota in one round trip; the quota is not counted when the rate refuses. */
const PG_BOTH =
  `with r as (${BUMP(d, 1)}), ` +
  'qq as (insert into grant_counters (key, count, expires_at) ' +
  'select $3, 1, $4 where (select count from r) <= $5 ' +
  'on conflict (key) do update set count = grant_counters.count + 1 returning count) ' +
  'select (select count from r) as r, (select count from qq) as q';

export interface GrantStatements {
  findByLookup(lookup: string): Promise<GrantRow | undefined>;
  corsOrigins(grantId: string): Promise<{ cors_origins: string; revoked_at: unknown } | undefined>;
  /** counts one request; `rate`/`quota` undefined when the grant has none */
  bump(
    rate: { key: string; expiresAt: number; limit: number } | undefined,
    quota: { key: string; expiresAt: number } | undefined,
  ): Promise<CounterResult>;
  /** deletes counters whose window has passed */
  purge(now: number): Promise<void>;
}

const cache = new WeakMap<Store, GrantStatements>();

export function grantStatements(store: Store): GrantStatements {
  let s = cache.get(store);
  if (!s) {
    s = store.dialect === 'sqlite' && store.sqlite ? viaSqlite(store) : viaPg(store);
    cache.set(store, s);
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
  // Reads go through Kysely while a Kysely transaction holds the connection (hot-statements.ts).
  const first = <T>(text: string, params: unknown[]): Promise<T | undefined> => {
    if (sqlite.inTransaction || !sqlite.open) return kyselyFirst<T>(store, text, params);
    try {
      return Promise.resolve(prep(text).get(...params) as T | undefined);
    } catch (err) {
      return Promise.reject(err as Error);
    }
  };
  let bumpTx: ((r: unknown, qu: unknown) => CounterResult) | undefined;
  return {
    findByLookup: (lookup) => first<GrantRow>(FIND(q), [lookup]),
    corsOrigins: (id) => first(CORS(q), [id]),
    async bump(rate, quota) {
      if (!rate && !quota) return { rate: null, quota: null };
      if (sqlite.inTransaction || !sqlite.open) {
        // A Kysely transaction holds the connection: queue behind it.
        let r: number | null = null;
        let qn: number | null = null;
        if (rate)
          r = Number(
            (await kyselyFirst<{ count: number }>(store, BUMP(q, 1), [rate.key, rate.expiresAt]))
              ?.count,
          );
        if (quota && (r === null || r <= rate!.limit))
          qn = Number(
            (await kyselyFirst<{ count: number }>(store, BUMP(q, 1), [quota.key, quota.expiresAt]))
              ?.count,
          );
        return { rate: r, quota: qn };
      }
      bumpTx ??= sqlite.transaction((ra: unknown, qa: unknown) => {
        const rr = ra as { key: string; expiresAt: number; limit: number } | undefined;
        const qq = qa as { key: string; expiresAt: number } | undefined;
        const bump = prep(BUMP(q, 1));
        const r = rr ? Number((bump.get(rr.key, rr.expiresAt) as { count: number }).count) : null;
        const qn =
          qq && (r === null || r <= rr!.limit)
            ? Number((bump.get(qq.key, qq.expiresAt) as { count: number }).count)
            : null;
        return { rate: r, quota: qn };
      });
      // Counters need not survive a power cut (a process crash, yes): no fsync per request.
      sqlite.pragma('synchronous = normal');
      try {
        return bumpTx(rate, quota);
      } finally {
        sqlite.pragma('synchronous = full');
      }
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
    findByLookup: (lookup) => first<GrantRow>('keyhole_grant_find', FIND(d), [lookup]),
    corsOrigins: (id) => first('keyhole_grant_cors', CORS(d), [id]),
    async bump(rate, quota) {
      if (rate && quota) {
        const row = await first<{ r: string | null; q: string | null }>(
          'keyhole_grant_bump2',
          PG_BOTH,
          [rate.key, rate.expiresAt, quota.key, quota.expiresAt, rate.limit],
        );
        return {
          rate: row?.r == null ? null : Number(row.r),
          quota: row?.q == null ? null : Number(row.q),
        };
      }
      const one = rate ?? quota;
      if (!one) return { rate: null, quota: null };
      const row = await first<{ count: string }>('keyhole_grant_bump1', BUMP(d, 1), [
        one.key,
        one.expiresAt,
      ]);
      const n = Number(row?.count);
      return rate ? { rate: n, quota: null } : { rate: null, quota: n };
    },
    async purge(now) {
      await store.db.deleteFrom('grant_counters').where('expires_at', '<', now).execute();
    },
  };
}
