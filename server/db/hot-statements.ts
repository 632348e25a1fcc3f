// The few statements every forwarded request runs (session lookup, membership + item, or both in
// one statement), prepared once: on SQLite as better-sqlite3 statements run synchronously, on
// PostgreSQL as named pg prepared statements. Kysely's builder costs more than these point
// queries themselves. With the relay's cache (relay-cache.ts) the forward's lookups are answered
// from memory when every part is cached and usable, and fill it otherwise.
import type BetterSqlite3 from 'better-sqlite3';
import { CompiledQuery } from 'kysely';
import type { RelayCache } from './relay-cache.js';
import type { Store } from './store-types.js';

export interface LiveSessionRow {
  account_id: string;
  expires_at: number;
}

export interface MemberItemRow {
  /** always set: the row exists only for a live membership */
  account_id: string;
  /** null when the item does not exist (LEFT JOIN) */
  data: string | null;
  deleted: number | null;
}

/** A live session with, for one (vault, item), the account's membership and the item. */
export interface SessionMemberItemRow {
  account_id: string;
  /** the session's expiry (ms) */
  expires_at: number;
  /** null when the account is not a live member of the vault */
  member_id: string | null;
  /** null when not a member, or the item does not exist */
  data: string | null;
  deleted: number | null;
}

export interface HotStatements {
  /** the session behind a token hash, if live (not revoked, not expired at `now`) */
  findLiveSession(tokenHash: string, now: number): Promise<LiveSessionRow | undefined>;
  /**
   * the account's live membership of the vault LEFT JOIN the item; undefined: not a member
   * (through the cache when the store has one)
   */
  findMemberItem(
    vaultId: string,
    itemId: string,
    accountId: string,
  ): Promise<MemberItemRow | undefined>;
  /**
   * Both lookups in one statement (one read transaction; on PostgreSQL one round trip): the live
   * session behind a token hash, LEFT JOIN the account's membership of the vault, LEFT JOIN the
   * item. undefined: no live session. Through the cache when the store has one.
   */
  findSessionMemberItem(
    tokenHash: string,
    now: number,
    vaultId: string,
    itemId: string,
  ): Promise<SessionMemberItemRow | undefined>;
}

/** The statements per dialect (exported for the relay bench's floor, which runs the same one). */
export const HOT_SQL = {
  session: {
    sqlite:
      'select account_id, expires_at from sessions ' +
      'where token_hash = ? and revoked_at is null and expires_at > ?',
    postgres:
      'select account_id, expires_at from sessions ' +
      'where token_hash = $1 and revoked_at is null and expires_at > $2',
  },
  memberItem: {
    sqlite:
      'select m.account_id as account_id, i.data as data, i.deleted as deleted ' +
      'from vault_members m left join items i on i.vault_id = m.vault_id and i.id = ? ' +
      'where m.vault_id = ? and m.account_id = ? and m.removed_at is null limit 1',
    postgres:
      'select m.account_id as account_id, i.data as data, i.deleted as deleted ' +
      'from vault_members m left join items i on i.vault_id = m.vault_id and i.id = $1 ' +
      'where m.vault_id = $2 and m.account_id = $3 and m.removed_at is null limit 1',
  },
  sessionMemberItem: {
    sqlite:
      'select s.account_id as account_id, s.expires_at as expires_at, ' +
      'm.account_id as member_id, i.data as data, i.deleted as deleted from sessions s ' +
      'left join vault_members m on m.vault_id = ? and m.account_id = s.account_id ' +
      'and m.removed_at is null ' +
      'left join items i on i.vault_id = m.vault_id and i.id = ? ' +
      'where s.token_hash = ? and s.revoked_at is null and s.expires_at > ? limit 1',
    postgres:
      'select s.account_id as account_id, s.expires_at as expires_at, ' +
      'm.account_id as member_id, i.data as data, i.deleted as deleted from sessions s ' +
      'left join vault_members m on m.vault_id = $1 and m.account_id = s.account_id ' +
      'and m.removed_at is null ' +
      'left join items i on i.vault_id = m.vault_id and i.id = $2 ' +
      'where s.token_hash = $3 and s.revoked_at is null and s.expires_at > $4 limit 1',
  },
} as const;

const cache = new WeakMap<Store, HotStatements>();

/** The hot statements of a store (built on first use, kept for the store's life). */
export function hotStatements(store: Store): HotStatements {
  let hot = cache.get(store);
  if (!hot) {
    hot = build(store);
    cache.set(store, hot);
  }
  return hot;
}

type StatementName = keyof typeof HOT_SQL;
/** The first row of a hot statement with its parameters in SQL order (undefined: none). */
type FirstRow = <T>(name: StatementName, params: unknown[]) => Promise<T | undefined>;

function build(store: Store): HotStatements {
  const first =
    store.dialect === 'sqlite' && store.sqlite
      ? viaBetterSqlite(store)
      : store.dialect === 'postgres' && store.pgPool
        ? viaPgPool(store)
        : viaKysely(store);
  const findMemberItem = (vaultId: string, itemId: string, accountId: string) =>
    first<MemberItemRow>('memberItem', [itemId, vaultId, accountId]);
  const findSessionMemberItem = (tokenHash: string, now: number, vaultId: string, itemId: string) =>
    first<SessionMemberItemRow>('sessionMemberItem', [vaultId, itemId, tokenHash, now]);
  return {
    // Not cached: every other route's session check reads the store, as before.
    findLiveSession: (tokenHash, now) => first('session', [tokenHash, now]),
    findMemberItem: (vaultId, itemId, accountId) => {
      const cache = store.cache;
      if (!cache?.usable()) return findMemberItem(vaultId, itemId, accountId);
      const item = cache.isMember(vaultId, accountId) ? cache.item(vaultId, itemId) : undefined;
      if (item) {
        cache.hits++;
        return Promise.resolve({ account_id: accountId, data: item.data, deleted: item.deleted });
      }
      cache.misses++;
      const epoch = cache.epoch;
      return findMemberItem(vaultId, itemId, accountId).then((row) => {
        if (row) fillMemberItem(cache, epoch, vaultId, itemId, row.account_id, row);
        return row;
      });
    },
    findSessionMemberItem: (tokenHash, now, vaultId, itemId) => {
      const cache = store.cache;
      if (!cache?.usable()) return findSessionMemberItem(tokenHash, now, vaultId, itemId);
      const s = cache.session(tokenHash, now);
      const item =
        s && cache.isMember(vaultId, s.accountId) ? cache.item(vaultId, itemId) : undefined;
      if (s && item) {
        cache.hits++;
        return Promise.resolve({
          account_id: s.accountId,
          expires_at: s.expiresAt,
          member_id: s.accountId,
          data: item.data,
          deleted: item.deleted,
        });
      }
      cache.misses++;
      const epoch = cache.epoch;
      return findSessionMemberItem(tokenHash, now, vaultId, itemId).then((row) => {
        if (row) {
          const expiresAt = Number(row.expires_at);
          cache.putSession(epoch, tokenHash, { accountId: row.account_id, expiresAt });
          if (row.member_id !== null)
            fillMemberItem(cache, epoch, vaultId, itemId, row.member_id, row);
        }
        return row;
      });
    },
  };
}

/** A live membership and its item (or its absence) as read together. */
function fillMemberItem(
  cache: RelayCache,
  epoch: number,
  vaultId: string,
  itemId: string,
  accountId: string,
  row: { data: string | null; deleted: number | null },
): void {
  cache.putMember(epoch, vaultId, accountId);
  cache.putItem(epoch, vaultId, itemId, {
    data: row.data,
    deleted: row.deleted === null ? null : Number(row.deleted),
  });
}

/** Through Kysely's connection (which waits for a running transaction): the fallback. */
function viaKysely(store: Store): FirstRow {
  const d = store.dialect;
  return async <T>(name: StatementName, params: unknown[]) =>
    (await store.db.executeQuery<T>(CompiledQuery.raw(HOT_SQL[name][d], params))).rows[0];
}

/**
 * better-sqlite3 statements, run synchronously. Kysely shares the one connection and holds it
 * across awaits during a transaction (a push, a member removal): a statement run then would read
 * that transaction's uncommitted rows. So while a transaction is open we go through Kysely, which
 * queues behind it — the answer is always committed state, as before.
 */
function viaBetterSqlite(store: Store): FirstRow {
  const sqlite = store.sqlite as BetterSqlite3.Database;
  const fallback = viaKysely(store);
  const prepared = new Map<StatementName, BetterSqlite3.Statement<unknown[]>>();
  return <T>(name: StatementName, params: unknown[]): Promise<T | undefined> => {
    if (sqlite.inTransaction || !sqlite.open) return fallback<T>(name, params);
    let statement = prepared.get(name);
    if (!statement) {
      statement = sqlite.prepare<unknown[]>(HOT_SQL[name].sqlite);
      prepared.set(name, statement);
    }
    try {
      return Promise.resolve(statement.get(...params) as T | undefined);
    } catch (err) {
      return Promise.reject(err as Error);
    }
  };
}

/** Named prepared statements: each pooled connection parses and plans them once. */
function viaPgPool(store: Store): FirstRow {
  const pool = store.pgPool!;
  return async <T>(name: StatementName, params: unknown[]) => {
    const r = await pool.query({
      name: `keyhole_hot_${name}`,
      text: HOT_SQL[name].postgres,
      values: params,
    });
    return r.rows[0] as T | undefined;
  };
}
