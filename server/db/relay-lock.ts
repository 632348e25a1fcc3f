// One relay process per SQLite file: the relay's cache is exact only while that relay is the only
// writer (relay-cache.ts). The relay holds an exclusive SQLite lock on a companion file,
// `<db>.lock`, for as long as it runs; the kernel releases it when the process ends, even on
// SIGKILL, so there is no stale lock to clean up. The database file itself stays readable by
// other processes (backups, inspection); only a second relay is kept out.
import { realpathSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';

export interface RelayLock {
  path: string;
  release(): void;
}

export class RelayLockedError extends Error {
  constructor(dbFile: string, lockFile: string) {
    super(
      `another relay is already serving ${dbFile} (it holds ${lockFile}). ` +
        'One relay process per SQLite file: its cache is exact only while it is the only ' +
        'writer. Stop the other relay, or use PostgreSQL (KEYHOLE_DB=postgres://…) to run several.',
    );
    this.name = 'RelayLockedError';
  }
}

/** A relay that was just killed may take a moment to die; a live one never lets go. */
const WAIT_MS = 2000;

/**
 * The file's one name: symlinks resolved (the file's, or its directory's when it does not exist
 * yet), so two spellings of one database take the same lock file.
 */
function canonical(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return join(realpathSync(dirname(file)), basename(file));
  }
}

/** Takes the lock of a SQLite database file, or throws RelayLockedError after WAIT_MS. */
export function lockSqliteFile(dbFile: string): RelayLock {
  const path = `${canonical(dbFile)}.lock`;
  const lock = new BetterSqlite3(path, { timeout: WAIT_MS });
  try {
    // No journal file: taking the lock then writes nothing, so a relay restarts on a full disk
    // (and serves reads) instead of failing with SQLITE_FULL before it opens the store.
    lock.pragma('journal_mode = MEMORY');
    // An exclusive transaction that is never committed: SQLite's own (fcntl) lock on the file,
    // also between connections of one process.
    lock.exec('BEGIN EXCLUSIVE');
  } catch (err) {
    lock.close();
    if ((err as { code?: string }).code === 'SQLITE_BUSY') throw new RelayLockedError(dbFile, path);
    throw err;
  }
  return {
    path,
    release() {
      if (!lock.open) return;
      lock.exec('ROLLBACK');
      lock.close();
    },
  };
}
