// relay_meta: small key/value facts about this deployment, e.g. the server secret that makes fake
// prelogin answers stable across restarts and across several relays on one database.
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

const SERVER_SECRET = 'server_secret';

/** Creates the secret on first use (first writer wins), then always returns the stored one. */
export async function getOrCreateServerSecret(db: Kysely<Database>): Promise<Buffer> {
  await db
    .insertInto('relay_meta')
    .values({ key: SERVER_SECRET, value: randomBytes(32).toString('base64url') })
    .onConflict((oc) => oc.column('key').doNothing())
    .execute();
  const row = await db
    .selectFrom('relay_meta')
    .select('value')
    .where('key', '=', SERVER_SECRET)
    .executeTakeFirstOrThrow();
  return Buffer.from(row.value, 'base64url');
}
