// SQLite WAL checkpoints off the event loop. A checkpoint copies the WAL into the database file
// and fsyncs both; run by SQLite's autocheckpoint it happens inside whichever commit crosses 1000
// pages — an audit batch, on the relay's only thread — and stalls every request for the length of
// two fsyncs (tens of ms on a busy disk: the paced bench's tail). Here a worker thread with its own
// connection runs PASSIVE checkpoints (never blocking readers or writers) every second, and the
// relay's connection stops checkpointing itself. If the worker fails, autocheckpoint comes back.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type BetterSqlite3 from 'better-sqlite3';
import type pino from 'pino';

const INTERVAL_MS = 1000;
const AUTOCHECKPOINT_PAGES = 1000; // SQLite's default

const WORKER = `
const { workerData, parentPort } = require('node:worker_threads');
const Database = require(workerData.module);
const db = new Database(workerData.file, { timeout: 5000 });
db.pragma('busy_timeout = 5000');
const timer = setInterval(() => {
  try { db.pragma('wal_checkpoint(PASSIVE)'); } catch (err) { parentPort.postMessage(String(err)); }
}, workerData.intervalMs);
parentPort.on('message', () => { clearInterval(timer); db.close(); process.exit(0); });
`;

export interface Checkpointer {
  stop(): Promise<void>;
}

export function startCheckpointer(
  sqlite: BetterSqlite3.Database,
  file: string,
  logger: pino.Logger,
): Checkpointer {
  const module = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER, {
    eval: true,
    workerData: { module, file, intervalMs: INTERVAL_MS },
  });
  worker.unref();
  sqlite.pragma('wal_autocheckpoint = 0');
  let stopping = false;
  const fallBack = (err: unknown): void => {
    if (stopping) return;
    logger.warn({ err }, 'WAL checkpoint worker failed: checkpoints run inline again');
    if (sqlite.open) sqlite.pragma(`wal_autocheckpoint = ${AUTOCHECKPOINT_PAGES}`);
  };
  worker.on('error', fallBack);
  worker.on('exit', (code) => {
    if (code !== 0) fallBack(new Error(`exit ${code}`));
  });
  worker.on('message', (msg) => logger.warn({ msg }, 'WAL checkpoint failed'));
  return {
    async stop() {
      stopping = true;
      const exited = new Promise((r) => worker.once('exit', r));
      worker.postMessage('stop');
      await exited;
      if (sqlite.open) sqlite.pragma(`wal_autocheckpoint = ${AUTOCHECKPOINT_PAGES}`);
    },
  };
}
