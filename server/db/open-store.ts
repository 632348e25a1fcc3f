// Opens the store: better-sqlite3 for a file path, pg for a postgres:// URL; runs migrations.
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import { KeyholeError } from '../../shared/errors.js';
import { MIGRATIONS } from './migrations/index.js';
import type { Database } from './schema.js';
import type { Store } from './store-types.js';

export function isPostgresUrl(target: string): boolean {
  return /^postgres(ql)?:\/\//i.test(target);
}

/** The SQLite file a store target names (undefined: PostgreSQL, or an in-memory database). */
export function sqliteFileOf(target: string): string | undefined {
  if (isPostgresUrl(target)) return undefined;
  const file = target.startsWith('sqlite:') ? target.slice('sqlite:'.length) : target;
  return file === ':memory:' || file === '' ? undefined : resolve(file);
}

/** Opens (and migrates) the store named by a SQLite path or a postgres:// URL. */
export async function openStore(target: string): Promise<Store> {
  const store = isPostgresUrl(target) ? await openPostgres(target) : openSqlite(target);
  try {
    await migrate(
      store.db,
      store.dialect === 'postgres' ? await currentSchema(store.db) : undefined,
    );
  } catch (err) {
    await store.close().catch(() => undefined);
    throw err;
  }
  return store;
}

/**
 * Runs pending migrations. On PostgreSQL pass the schema in use: Kysely looks for its own tables
 * across all schemas otherwise, and would find another schema's on a shared database.
 */
export async function migrate(db: Kysely<Database>, schema?: string): Promise<void> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: () => Promise.resolve(MIGRATIONS) },
    ...(schema ? { migrationTableSchema: schema } : {}),
  });
  const { error } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error('migration failed');
}

async function currentSchema(db: Kysely<Database>): Promise<string> {
  const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
  const schema = rows[0]?.schema;
  if (!schema) throw new Error('PostgreSQL has no current schema: check search_path');
  return schema;
}

function openSqlite(path: string): Store {
  const file = path.startsWith('sqlite:') ? path.slice('sqlite:'.length) : path;
  if (file !== ':memory:') mkdirSync(dirname(resolve(file)), { recursive: true });
  const sqlite = new BetterSqlite3(file);
  sqlite.pragma('journal_mode = WAL');
  // FULL: a write is on disk (WAL fsynced) before the relay acknowledges it, so an acknowledged
  // push survives power loss, not only a crash. NORMAL would be crash-safe but could drop the last
  // commits on power loss; the cost of FULL is one fsync per transaction, which the push batch
  // amortises (docs/protocol.md, "Durability").
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  cachePreparedStatements(sqlite);
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  return {
    db,
    dialect: 'sqlite',
    sqlite,
    describe: `sqlite ${file}`,
    close: () => db.destroy(),
  };
}

/**
 * Kysely's SQLite driver prepares every query anew (~70 µs each); hot routes run the same few
 * statements, so keep them (bounded). Safe for all()/run(); Kysely's streamQuery (iterate) is
 * not used by the relay. (Added by the forward engineer for the relay's per-request cost.)
 */
function cachePreparedStatements(sqlite: BetterSqlite3.Database): void {
  const prepare = sqlite.prepare.bind(sqlite);
  const cache = new Map<string, BetterSqlite3.Statement>();
  sqlite.prepare = ((source: string) => {
    let stmt = cache.get(source);
    if (!stmt) {
      if (cache.size >= 500) cache.clear();
      stmt = prepare(source);
      cache.set(source, stmt);
    }
    return stmt;
  }) as typeof sqlite.prepare;
}

const INT8_OID = 20;
const NUMERIC_OID = 1700;

async function openPostgres(url: string): Promise<Store> {
  const parsed = new URL(url);
  const schema = parsed.searchParams.get('schema');
  parsed.searchParams.delete('schema');
  if (schema !== null && !/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(schema)) {
    throw new KeyholeError(
      'INVALID_REQUEST',
      'the ?schema= parameter must be a plain SQL identifier',
    );
  }
  const pool = new pg.Pool({
    connectionString: parsed.toString(),
    max: 10,
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
    types: {
      // bigint columns hold millisecond times and revisions, far below 2^53: give them as numbers.
      getTypeParser: ((oid: number, format?: string) =>
        oid === INT8_OID || oid === NUMERIC_OID
          ? (v: string) => Number(v)
          : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
    },
  });
  pool.on('error', () => undefined); // idle-client errors surface on the next query instead
  // A checked-out client (e.g. between the statements of a transaction) emits 'error' itself when
  // the server goes away; unhandled, that kills the relay (test/reliability pg-restart). The
  // statement in flight fails anyway, and the pool drops the broken client on release.
  pool.on('connect', (client) => client.on('error', () => undefined));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  if (schema) {
    try {
      await sql`create schema if not exists ${sql.id(schema)}`.execute(db);
    } catch (err) {
      // Two relays starting together may race to create it; the loser sees a duplicate.
      const code = (err as { code?: string }).code;
      if (code !== '23505' && code !== '42P06') {
        await db.destroy();
        throw err;
      }
    }
  }
  const host = `${parsed.hostname}${parsed.port ? `:${parsed.port}` : ''}${parsed.pathname}`;
  return {
    db,
    dialect: 'postgres',
    pgPool: pool,
    describe: `postgres ${host}${schema ? ` schema ${schema}` : ''}`,
    close: () => db.destroy(),
  };
}
