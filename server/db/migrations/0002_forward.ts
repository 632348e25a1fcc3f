// Forward requests kept for polling and queueing (Skapi poll / expires / queue): one row per
// request, ordered per queue by a sequence number the database keeps unique.
import type { Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createTable('forward_requests')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull())
    /** SHA-256 of (account, method, url as templated, queue); null when not queued */
    .addColumn('queue_key', 'text')
    /** position within its queue (1, 2, …); 0 when not queued */
    .addColumn('seq', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    /** the accepting relay renews this while it holds the request; a dead relay's rows lapse */
    .addColumn('lease_until', 'bigint', (c) => c.notNull())
    .addColumn('finished_at', 'bigint')
    .addColumn('response_status', 'integer')
    /** JSON text of the scrubbed, filtered response headers */
    .addColumn('response_headers', 'text')
    /** the scrubbed response body as text (capped) */
    .addColumn('response_body', 'text')
    .addColumn('error_code', 'text')
    .addColumn('error_message', 'text')
    .execute();
  await db.schema
    .createIndex('forward_requests_queue_idx')
    .on('forward_requests')
    .columns(['queue_key', 'seq'])
    .unique()
    .execute();
  await db.schema
    .createIndex('forward_requests_expires_idx')
    .on('forward_requests')
    .column('expires_at')
    .execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropTable('forward_requests').ifExists().execute();
}
