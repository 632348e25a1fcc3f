// Signed vault state (issue #13, docs/vault-format.md §11–13): each account's Ed25519 key, each
// vault's latest signed manifest and its sequence, and each team's chain of membership statements.
// Everything here is public or ciphertext; the relay checks sequences, clients check signatures.
import type { Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

export async function up(db: AnyDb): Promise<void> {
  await db.schema.alterTable('accounts').addColumn('sign_public_key', 'text').execute();
  await db.schema.alterTable('accounts').addColumn('wrapped_sign_key', 'text').execute();
  /** JSON text of { body, signature }; null until the vault's first signed write */
  await db.schema.alterTable('vaults').addColumn('manifest', 'text').execute();
  await db.schema
    .alterTable('vaults')
    .addColumn('manifest_seq', 'bigint', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .createTable('team_statements')
    .addColumn('vault_id', 'text', (c) => c.notNull().references('vaults.id').onDelete('cascade'))
    .addColumn('seq', 'bigint', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('signature', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('team_statements_pk', ['vault_id', 'seq'])
    .execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropTable('team_statements').ifExists().execute();
  await db.schema.alterTable('vaults').dropColumn('manifest_seq').execute();
  await db.schema.alterTable('vaults').dropColumn('manifest').execute();
  await db.schema.alterTable('accounts').dropColumn('wrapped_sign_key').execute();
  await db.schema.alterTable('accounts').dropColumn('sign_public_key').execute();
}
