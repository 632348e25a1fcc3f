// Rows of forward_requests (queued / polled requests): insert with a per-queue sequence, claim in
// order, finish, read for polling, purge lazily.
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { ForwardTicket } from '../../shared/protocol/forward.js';
import type { Database } from './schema.js';

export interface ForwardRequestsTable {
  id: string;
  account_id: string;
  queue_key: string | null;
  seq: number;
  state: ForwardTicket['state'];
  created_at: number;
  expires_at: number;
  lease_until: number;
  finished_at: number | null;
  response_status: number | null;
  response_headers: string | null;
  response_body: string | null;
  error_code: string | null;
  error_message: string | null;
}

declare module '../db/schema.js' {
  interface Database {
    forward_requests: ForwardRequestsTable;
  }
}

type Db = Kysely<Database>;

export function newRequestId(): string {
  return randomBytes(16).toString('base64url');
}

function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return (
    code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    code === 'SQLITE_CONSTRAINT_PRIMARYKEY' ||
    code === '23505'
  );
}

/** Inserts a request; queued ones get the next sequence number of their queue (retried on a race). */
export async function insertRequest(
  db: Db,
  row: {
    id: string;
    accountId: string;
    queueKey: string | null;
    now: number;
    expiresAt: number;
    leaseUntil: number;
  },
): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    let seq = 0;
    if (row.queueKey !== null) {
      const last = await db
        .selectFrom('forward_requests')
        .select((eb) => eb.fn.max('seq').as('max'))
        .where('queue_key', '=', row.queueKey)
        .executeTakeFirst();
      seq = Number(last?.max ?? 0) + 1;
    }
    try {
      await db
        .insertInto('forward_requests')
        .values({
          id: row.id,
          account_id: row.accountId,
          queue_key: row.queueKey,
          seq,
          state: 'queued',
          created_at: row.now,
          expires_at: row.expiresAt,
          lease_until: row.leaseUntil,
          finished_at: null,
          response_status: null,
          response_headers: null,
          response_body: null,
          error_code: null,
          error_message: null,
        })
        .execute();
      return seq;
    } catch (err) {
      if (attempt < 20 && isUniqueViolation(err)) continue; // another relay took that number
      throw err;
    }
  }
}

/**
 * Moves a queued request to running when no earlier request of its queue is still alive
 * (queued or running, lease not lapsed, not expired). One statement: the database decides.
 */
export async function claimTurn(
  db: Db,
  id: string,
  queueKey: string | null,
  seq: number,
  now: number,
  leaseUntil: number,
): Promise<boolean> {
  let query = db
    .updateTable('forward_requests')
    .set({ state: 'running', lease_until: leaseUntil })
    .where('id', '=', id)
    .where('state', '=', 'queued');
  if (queueKey !== null) {
    query = query.where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('forward_requests as p')
            .select('p.id')
            .where('p.queue_key', '=', queueKey)
            .where('p.seq', '<', seq)
            .where('p.state', 'in', ['queued', 'running'])
            .where('p.lease_until', '>', now)
            .where('p.expires_at', '>', now),
        ),
      ),
    );
  }
  const result = await query.executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function renewLeases(
  db: Db,
  ids: readonly string[],
  leaseUntil: number,
): Promise<void> {
  if (ids.length === 0) return;
  await db
    .updateTable('forward_requests')
    .set({ lease_until: leaseUntil })
    .where('id', 'in', ids)
    .execute();
}

export async function finishRequest(
  db: Db,
  id: string,
  now: number,
  result:
    | { state: 'done'; status: number; headers: Record<string, string>; body: string }
    | { state: 'failed'; code: string; message: string },
): Promise<void> {
  const values =
    result.state === 'done'
      ? {
          state: 'done' as const,
          response_status: result.status,
          response_headers: JSON.stringify(result.headers),
          response_body: result.body,
        }
      : { state: 'failed' as const, error_code: result.code, error_message: result.message };
  await db
    .updateTable('forward_requests')
    .set({ ...values, finished_at: now, lease_until: now })
    .where('id', '=', id)
    .execute();
}

export async function findRequest(
  db: Db,
  id: string,
  accountId: string,
): Promise<ForwardRequestsTable | undefined> {
  return db
    .selectFrom('forward_requests')
    .selectAll()
    .where('id', '=', id)
    .where('account_id', '=', accountId)
    .executeTakeFirst();
}

/** Expired rows lose their answer at once and are deleted a day later (410 until then, 404 after). */
export async function purgeExpired(db: Db, now: number): Promise<void> {
  await db
    .updateTable('forward_requests')
    .set({ response_body: null, response_headers: null })
    .where('expires_at', '<=', now)
    .where('response_body', 'is not', null)
    .execute();
  await db
    .deleteFrom('forward_requests')
    .where('expires_at', '<=', now - 24 * 3600 * 1000)
    .execute();
}

export function toTicket(row: ForwardRequestsTable): ForwardTicket {
  const ticket: ForwardTicket = {
    requestId: row.id,
    state: row.state,
    expiresAt: Number(row.expires_at),
  };
  if (row.state === 'done' && row.response_status !== null) {
    ticket.response = {
      status: Number(row.response_status),
      headers: row.response_headers
        ? (JSON.parse(row.response_headers) as Record<string, string>)
        : {},
      body: row.response_body ?? '',
    };
  }
  if (row.state === 'failed' && row.error_code) {
    ticket.error = { code: row.error_code, message: row.error_message ?? '' };
  }
  return ticket;
}
