// The Store handle every route receives: one Kysely instance over SQLite or PostgreSQL.
import type { Kysely } from 'kysely';
import type { Pool } from 'pg';
import type { Database } from './schema.js';

export type StoreDialect = 'sqlite' | 'postgres';

export interface Store {
  db: Kysely<Database>;
  dialect: StoreDialect;
  /** the pg pool (PostgreSQL only), for helpers that speak pg directly (shared rate limits) */
  pgPool?: Pool;
  /** where the data lives, safe to print (no password) */
  describe: string;
  close(): Promise<void>;
}
