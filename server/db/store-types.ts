// The Store handle every route receives: one Kysely instance over SQLite or PostgreSQL.
import type BetterSqlite3 from 'better-sqlite3';
import type { Kysely } from 'kysely';
import type { Pool } from 'pg';
import type { RelayCache } from './relay-cache.js';
import type { Database } from './schema.js';

export type StoreDialect = 'sqlite' | 'postgres';

export interface Store {
  db: Kysely<Database>;
  dialect: StoreDialect;
  /** the pg pool (PostgreSQL only), for helpers that speak pg directly (shared rate limits) */
  pgPool?: Pool;
  /**
   * the better-sqlite3 handle under `db` (SQLite only), for the hot-path statements of
   * server/db/hot-statements.ts; anything else goes through `db`
   */
  sqlite?: BetterSqlite3.Database;
  /**
   * the relay's cache of sessions, memberships and envelopes (set by startRelay through
   * cache-events.ts attachCache; absent for stores opened by tests and tools: reads uncached)
   */
  cache?: RelayCache;
  /** where the data lives, safe to print (no password) */
  describe: string;
  close(): Promise<void>;
}
