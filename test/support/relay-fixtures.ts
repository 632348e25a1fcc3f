// Shared pieces for the relay-*.test.ts suites: a tiny HTTP client, well-formed fake accounts and
// envelopes (random bytes: the relay never opens them), and the SQLite/PostgreSQL matrix.
import { randomBytes } from 'node:crypto';
import { freshPostgresUrl } from './postgres.js';
import { spawnRelay, type RelayProcess, type SpawnRelayOptions } from './relay-process.js';

export const b64 = (n: number): string => randomBytes(n).toString('base64url');
export const newId = (): string => b64(16);
export const newKey = (): string => b64(32);
/** A fake envelope: well-formed base64url of a plausible size. */
export const fakeEnvelope = (n = 120): string => b64(n);

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any;
}

export async function call(
  base: string,
  method: string,
  path: string,
  opts: { token?: string; body?: unknown; raw?: string } = {},
): Promise<Reply> {
  const headers: Record<string, string> = {};
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let body: string | undefined;
  if (opts.raw !== undefined) body = opts.raw;
  else if (opts.body !== undefined) body = JSON.stringify(opts.body);
  if (body !== undefined) headers['content-type'] = 'application/json';
  return readReply(await fetch(base + path, { method, headers, body }));
}

/** A response as a Reply: its text, and that text parsed as JSON when it is JSON. */
export async function readReply(res: Response): Promise<Reply> {
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

export interface TestAccount {
  email: string;
  authKey: string;
  accountId: string;
  vaultId: string;
  signup: Record<string, unknown>;
}

export function newAccount(email = `u-${b64(6).toLowerCase()}@example.test`): TestAccount {
  const accountId = newId();
  const vaultId = newId();
  const authKey = newKey();
  return {
    email,
    authKey,
    accountId,
    vaultId,
    signup: {
      accountId,
      email,
      authKey,
      keys: {
        kdf: { algorithm: 'argon2id', memLimitBytes: 64 * 1024 * 1024, opsLimit: 3, salt: b64(16) },
        wrappedAccountKey: fakeEnvelope(72),
        publicKey: newKey(),
        wrappedPrivateKey: fakeEnvelope(72),
      },
      personalVault: { id: vaultId, wrappedKey: fakeEnvelope(72) },
    },
  };
}

/** Signs up and logs in; returns the account and its session token. */
export async function signedIn(
  base: string,
  account = newAccount(),
): Promise<TestAccount & { token: string }> {
  const s = await call(base, 'POST', '/v1/auth/signup', { body: account.signup });
  if (s.status !== 201) throw new Error(`signup failed: ${s.status} ${s.text}`);
  const l = await call(base, 'POST', '/v1/auth/login', {
    body: { email: account.email, authKey: account.authKey },
  });
  if (l.status !== 200) throw new Error(`login failed: ${l.status} ${l.text}`);
  return { ...account, token: l.json.token as string };
}

export function write(
  id: string,
  baseRevision: number,
  extra: { deleted?: boolean; data?: string } = {},
) {
  return {
    id,
    baseRevision,
    deleted: extra.deleted ?? false,
    wrappedKey: extra.deleted ? '' : fakeEnvelope(72),
    data: extra.deleted ? '' : (extra.data ?? fakeEnvelope(200)),
    keyGeneration: 0,
  };
}

/** The store matrix every relay suite runs over. */
export interface StoreTarget {
  name: 'sqlite' | 'postgres';
  /** a fresh database for this suite: a temp SQLite path, or a fresh PostgreSQL schema */
  setup(): Promise<{ db: string | undefined; teardown(): Promise<void> }>;
}

export const STORES: StoreTarget[] = [
  {
    name: 'sqlite',
    setup: () => Promise.resolve({ db: undefined, teardown: () => Promise.resolve() }),
  },
  {
    name: 'postgres',
    setup: async () => {
      const pg = await freshPostgresUrl();
      return { db: pg.url, teardown: () => pg.drop() };
    },
  },
];

/** A relay on the given database (undefined = its own temp SQLite file). */
export function relayOn(
  db: string | undefined,
  opts: Omit<SpawnRelayOptions, 'db'> = {},
): Promise<RelayProcess> {
  return spawnRelay(db === undefined ? opts : { ...opts, db });
}
