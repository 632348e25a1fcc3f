// Test helper: a fresh, empty PostgreSQL schema per caller on the local test database, so suites
// (and several relays inside one suite) can share the server without seeing each other's data.
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** Base URL of the test database; KEYHOLE_TEST_PG overrides it. */
export const TEST_PG_URL = process.env.KEYHOLE_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';

/**
 * Whether the test database answers. Suites that also run without PostgreSQL skip on false — but
 * never silently: the skip is printed, and where PostgreSQL is expected (CI, or
 * KEYHOLE_REQUIRE_POSTGRES=1) its absence fails the run instead.
 */
export async function isPostgresAvailable(): Promise<boolean> {
  const up = await answers();
  if (up) return true;
  const where = new URL(TEST_PG_URL).host;
  if (process.env.CI === 'true' || process.env.KEYHOLE_REQUIRE_POSTGRES === '1') {
    throw new Error(
      `PostgreSQL is required here (CI or KEYHOLE_REQUIRE_POSTGRES=1) but ${where} does not answer: start it, or point KEYHOLE_TEST_PG at one`,
    );
  }
  console.warn(
    `PostgreSQL at ${where} does not answer: its suites are SKIPPED (set KEYHOLE_TEST_PG)`,
  );
  return false;
}

async function answers(): Promise<boolean> {
  const client = new pg.Client({ connectionString: TEST_PG_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Creates schema kh_<random> and returns a URL whose ?schema= selects it; drop() removes it. */
export async function freshPostgresUrl(): Promise<{
  url: string;
  schema: string;
  drop(): Promise<void>;
}> {
  const schema = `kh_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: TEST_PG_URL });
  // Suites that always run on PostgreSQL (the store matrix, scale-out) fail here when it is
  // absent — never skip — so the failure says what to do.
  await client.connect().catch((err: unknown) => {
    throw new Error(
      `PostgreSQL at ${new URL(TEST_PG_URL).host} does not answer (${err instanceof Error ? err.message : String(err)}): this suite needs it — start it, or point KEYHOLE_TEST_PG at one`,
    );
  });
  try {
    await client.query(`create schema "${schema}"`);
  } finally {
    await client.end();
  }
  const url = new URL(TEST_PG_URL);
  url.searchParams.set('schema', schema);
  return {
    url: url.toString(),
    schema,
    async drop() {
      const c = new pg.Client({ connectionString: TEST_PG_URL });
      await c.connect();
      try {
        await c.query(`drop schema if exists "${schema}" cascade`);
      } finally {
        await c.end();
      }
    },
  };
}
