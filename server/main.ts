// Starts the relay: `node --import tsx server/main.ts [--port N] [--host H] [--db PATH|postgres://URL]`
// or startRelay() from the CLI (`keyhole relay`) and tests. Prints one line when it listens.
import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type pino from 'pino';
import { createRelay } from './app.js';
import { loadConfig, type RelayConfig } from './config.js';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { sql } from 'kysely';
import type pg from 'pg';
import { attachCache } from './db/cache-events.js';
import { startCheckpointer, type Checkpointer } from './db/checkpointer.js';
import { openStore, sqliteFileOf } from './db/open-store.js';
import { channelFor, PgInvalidation } from './db/pg-invalidation.js';
import { RelayCache } from './db/relay-cache.js';
import { lockSqliteFile, type RelayLock } from './db/relay-lock.js';
import { pruneSessions } from './db/sessions-repo.js';
import type { Store } from './db/store-types.js';
import { createLogger } from './logger.js';

export interface StartRelayOptions {
  port?: number;
  host?: string;
  /** SQLite path or postgres:// URL */
  db?: string;
  /** defaults to process.env */
  env?: Record<string, string | undefined>;
  /** further config overrides (tests) */
  config?: Partial<RelayConfig>;
  logger?: pino.Logger;
  /** where the "listening" line goes; default stdout */
  announce?: (line: string) => void;
}

export interface RunningRelay {
  url: string;
  port: number;
  store: Store;
  config: RelayConfig;
  /** PostgreSQL: the cache's invalidation listener (tests cut its connection) */
  invalidation?: PgInvalidation;
  /** stop accepting, let in-flight requests finish (10 s at most), close the store */
  close(): Promise<void>;
}

const DRAIN_MS = 10_000;
/** Pending connections the kernel may hold for us (capped by net.core.somaxconn). */
const LISTEN_BACKLOG = 4096;

export async function startRelay(options: StartRelayOptions = {}): Promise<RunningRelay> {
  const overrides: Partial<RelayConfig> = { ...options.config };
  if (options.port !== undefined) overrides.port = options.port;
  if (options.host !== undefined) overrides.host = options.host;
  if (options.db !== undefined) overrides.db = options.db;
  const config = loadConfig(options.env ?? process.env, overrides);
  const logger = options.logger ?? createLogger({ level: config.logLevel });
  // One relay per SQLite file, checked before anything is written (migrations included).
  const file = sqliteFileOf(config.db);
  let lock: RelayLock | undefined;
  if (file) {
    mkdirSync(dirname(file), { recursive: true });
    lock = lockSqliteFile(file);
  }
  let store: Store;
  let invalidation: PgInvalidation | undefined;
  let checkpointer: Checkpointer | undefined;
  try {
    store = await openStore(config.db);
    if (config.cache) invalidation = await startCache(store, logger);
    if (file && store.sqlite) checkpointer = startCheckpointer(store.sqlite, file, logger);
  } catch (err) {
    lock?.release();
    throw err;
  }
  const relay = createRelay({ store, config, logger });

  let server: Server;
  try {
    server = await new Promise<Server>((resolve, reject) => {
      // listen() ourselves for the backlog: Node's default (511) overflows when hundreds of clients
      // connect at once to a busy relay, and each dropped handshake costs the client 1-31 s of
      // SYN/ACK retries (measured: test/reliability load, `nstat TcpExtListenOverflows`).
      const s = createServer(relay.listener);
      s.listen({ port: config.port, host: config.host, backlog: LISTEN_BACKLOG });
      s.once('listening', () => resolve(s));
      s.once('error', reject);
    });
  } catch (err) {
    await invalidation?.close();
    await checkpointer?.stop();
    await store.close();
    lock?.release();
    throw err;
  }
  server.headersTimeout = 30_000;
  server.requestTimeout = 120_000;

  const { port } = server.address() as AddressInfo;
  const hostForUrl = config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `http://${hostForUrl}:${port}`;
  (options.announce ?? ((line) => process.stdout.write(`${line}\n`)))(
    `keyhole relay listening on ${url} (${store.describe})`,
  );

  const prune = setInterval(
    () => {
      pruneSessions(store.db, Date.now()).catch((err: unknown) =>
        logger.warn({ err }, 'session pruning failed'),
      );
    },
    60 * 60 * 1000,
  );
  prune.unref();

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      clearInterval(prune);
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => server.closeAllConnections(), DRAIN_MS);
        force.unref();
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
        server.closeIdleConnections();
      });
      // Audit rows are batched (every 250 ms): write what is pending before the store goes.
      await relay.close().catch((err: unknown) => logger.error({ err }, 'forwarder close failed'));
      await invalidation?.close();
      await checkpointer?.stop();
      await store.close();
      lock?.release();
      await new Promise<void>((resolve) => logger.flush(() => resolve()));
    })();
    return closing;
  };
  return { url, port, store, config, close, ...(invalidation ? { invalidation } : {}) };
}

/**
 * The relay cache (server/db/relay-cache.ts): on SQLite always valid (this process holds the
 * file's lock, so every write goes through it); on PostgreSQL valid only while listening.
 */
async function startCache(store: Store, logger: pino.Logger): Promise<PgInvalidation | undefined> {
  if (store.dialect === 'sqlite') {
    attachCache(store, new RelayCache(true));
    return undefined;
  }
  const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(
    store.db,
  );
  const cache = new RelayCache(false);
  const listener = new PgInvalidation(
    (store.pgPool as unknown as { options: pg.ClientConfig }).options,
    channelFor(rows[0]?.schema ?? 'public'),
    cache,
    logger,
  );
  attachCache(store, cache);
  await listener.start();
  return listener;
}

/**
 * The command line: parses --port/--host/--db, starts the relay and shuts it down cleanly on
 * SIGTERM/SIGINT (exit 0). `keyhole relay` can call this with its own argv.
 */
export async function runRelayCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { port: { type: 'string' }, host: { type: 'string' }, db: { type: 'string' } },
    strict: true,
  });
  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535))
    throw new Error('--port must be 0-65535');
  const relay = await startRelay({ port, host: values.host, db: values.db });
  const stop = (signal: string): void => {
    process.stdout.write(`keyhole relay: ${signal}, shutting down\n`);
    relay.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

const entry = process.argv[1];
if (entry && import.meta.url === pathToFileURL(entry).href) {
  runRelayCommand(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`keyhole relay: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
