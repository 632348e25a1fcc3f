// Sessions: random bearer tokens, stored only as SHA-256 hashes; expiring; revocable.
import { hash, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { invalidating } from './cache-events.js';
import type { Database, SessionsTable } from './schema.js';

export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

export function hashToken(token: string): string {
  return hash('sha256', token, 'hex');
}

export async function createSession(
  db: Kysely<Database>,
  accountId: string,
  now: number,
  ttlMs: number,
): Promise<{ token: string; expiresAt: number }> {
  const token = newToken();
  const expiresAt = now + ttlMs;
  await db
    .insertInto('sessions')
    .values({
      token_hash: hashToken(token),
      account_id: accountId,
      created_at: now,
      expires_at: expiresAt,
      revoked_at: null,
    })
    .execute();
  return { token, expiresAt };
}

/** (The session middleware uses the prepared twin of this query: hot-statements.ts.) */
export async function findLiveSession(
  db: Kysely<Database>,
  tokenHash: string,
  now: number,
): Promise<SessionsTable | undefined> {
  return db
    .selectFrom('sessions')
    .selectAll()
    .where('token_hash', '=', tokenHash)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirst();
}

/** Logout: the relay cache drops the session at once (and every other relay's, at commit). */
export async function revokeSession(
  db: Kysely<Database>,
  tokenHash: string,
  now: number,
): Promise<void> {
  await invalidating(db, [{ kind: 'session', tokenHash }], (tx) =>
    tx
      .updateTable('sessions')
      .set({ revoked_at: now })
      .where('token_hash', '=', tokenHash)
      .where('revoked_at', 'is', null)
      .execute(),
  );
}

/**
 * Housekeeping: drop sessions that expired or were revoked more than `graceMs` ago. (Nothing to
 * invalidate: a revoked session left the cache when it was revoked, an expired one fails the
 * expiry check the cache makes on every use.)
 */
export async function pruneSessions(
  db: Kysely<Database>,
  now: number,
  graceMs = 24 * 3600 * 1000,
): Promise<number> {
  const cutoff = now - graceMs;
  const result = await db
    .deleteFrom('sessions')
    .where((eb) => eb.or([eb('expires_at', '<', cutoff), eb('revoked_at', '<', cutoff)]))
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
