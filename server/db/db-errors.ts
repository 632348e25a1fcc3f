// Recognising database errors the same way on SQLite and PostgreSQL.

export function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return (
    code === '23505' ||
    code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
  );
}

const STORE_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'SQLITE_BUSY',
  'SQLITE_FULL',
  'SQLITE_IOERR',
  'SQLITE_CANTOPEN',
  'SQLITE_READONLY',
  '57P01', // admin_shutdown
  '57P03', // cannot_connect_now
  '53300', // too_many_connections
  '53100', // disk_full
]);

/** The database is unreachable, full, busy or shutting down: STORE_UNAVAILABLE, not INTERNAL. */
export function isStoreFailure(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && (STORE_ERROR_CODES.has(code) || code.startsWith('SQLITE_IOERR')))
    return true;
  // SQLite rolls a transaction back by itself on SQLITE_FULL/IOERR/BUSY; Kysely's own rollback
  // then fails with this message, which hides the original error (test/reliability disk-full).
  return (
    err instanceof Error &&
    /Connection terminated|timeout exceeded when trying to connect|not queryable|cannot rollback - no transaction is active/i.test(
      err.message,
    )
  );
}
