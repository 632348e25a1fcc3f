// The few statements every forwarded request runs (session lookup, membership + item, or both in
// one statement), prepared once: on SQLite as better-sqlite3 statements run synchronously, on
// PostgreSQL as named pg prepared statements. Kysely's builder costs more than these point
// queries themselves.
import type BetterSqlite3 from 'better-sqlite3';
import { CompiledQuery } from 'kysely';
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
  /** null when the account is not a live member of the vault */
  member_id: string | null;
  /** null when not a member, or the item does not exist */
  data: string | null;
  deleted: number | null;
}

export interface HotStatements {
  /** the session behind a token hash, if live (not revoked, not expired at `now`) */
  findLiveSession(tokenHash: string, now: number): Promise<LiveSessionRow | undefined>;
  /** the account's live membership of the vault LEFT JOIN the item; undefined: not a member */
  findMemberItem(
    vaultId: string,
    itemId: string,
    accountId: string,
  ): Promise<MemberItemRow | undefined>;
  /**
   * Both lookups in one statement (one read transaction; on PostgreSQL one round trip): the live
   * session behind a token hash, LEFT JOIN the account's membership of the vault, LEFT JOIN the
   * item. undefined: no live session.
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
      'select s.account_id as account_id, m.account_id as member_id, i.data as data, ' +
      'i.deleted as deleted from sessions s ' +
      'left join vault_members m on m.vault_id = ? and m.account_id = s.account_id ' +
      'and m.removed_at is null ' +
      'left join items i on i.vault_id = m.vault_id and i.id = ? ' +
      'where s.token_hash = ? and s.revoked_at is null and s.expires_at > ? limit 1',
    postgres:
      'select s.account_id as account_id, m.account_id as member_id, i.data as data, ' +
      'i.deleted as deleted from sessions s ' +
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
  return {
    findLiveSession: (tokenHash, now) => first('session', [tokenHash, now]),
    findMemberItem: (vaultId, itemId, accountId) =>
      first('memberItem', [itemId, vaultId, accountId]),
    findSessionMemberItem: (tokenHash, now, vaultId, itemId) =>
      first('sessionMemberItem', [vaultId, itemId, tokenHash, now]),
  };
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
