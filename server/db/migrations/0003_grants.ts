// Grants (docs/protocol.md "Grants", docs/vault-format.md §11): the sealed grants, the counters
// behind their rate and quota (shared by every relay on the database), and two audit columns.
import type { Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createTable('grants')
    .addColumn('id', 'text', (c) => c.primaryKey())
    /** BLAKE2b-256 of the token (hex): how a forward finds its grant; opens nothing */
    .addColumn('lookup_hash', 'text', (c) => c.notNull().unique())
    /** the creator: their grants end when they leave the vault */
    .addColumn('account_id', 'text', (c) =>
      c.notNull().references('accounts.id').onDelete('cascade'),
    )
    .addColumn('vault_id', 'text', (c) => c.notNull().references('vaults.id').onDelete('cascade'))
    .addColumn('item_id', 'text', (c) => c.notNull())
    .addColumn('wrapped_item_key', 'text', (c) => c.notNull())
    .addColumn('policy', 'text', (c) => c.notNull())
    .addColumn('info', 'text', (c) => c.notNull())
    /** JSON array of origins: only to answer CORS preflights (the sealed policy decides) */
    .addColumn('cors_origins', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('revoked_at', 'bigint')
    .execute();
  await db.schema.createIndex('grants_vault_idx').on('grants').column('vault_id').execute();
  await db.schema.createIndex('grants_account_idx').on('grants').column('account_id').execute();

  await db.schema
    .createTable('grant_counters')
    /** "r:<grant>:<visitor hash>:<minute>" or "q:<grant>:<day>" */
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('count', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('grant_counters_expires_idx')
    .on('grant_counters')
    .column('expires_at')
    .execute();

  await db.schema.alterTable('audit_log').addColumn('grant_id', 'text').execute();
  /** keyed hash (HMAC with the relay's server secret) of the visitor's IP or ID-token subject */
  await db.schema.alterTable('audit_log').addColumn('visitor', 'text').execute();
  await db.schema.createIndex('audit_log_grant_idx').on('audit_log').column('grant_id').execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropIndex('audit_log_grant_idx').ifExists().execute();
  await db.schema.alterTable('audit_log').dropColumn('visitor').execute();
  await db.schema.alterTable('audit_log').dropColumn('grant_id').execute();
  await db.schema.dropTable('grant_counters').ifExists().execute();
  await db.schema.dropTable('grants').ifExists().execute();
}
