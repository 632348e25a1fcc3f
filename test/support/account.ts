// Accounts on a relay, two kinds: fake ones (random keys and envelopes, well formed: the relay never
// opens them — cheap, for suites about the relay's API) and real ones made the way a client makes
// them (crypto core + wire schemas), with secrets and forward requests the relay really opens.
import {
  createAccountKeys,
  encryptItem,
  initCrypto,
  newId,
  randomBytes,
  toBase64url,
  wrapVaultKey,
  type Bytes,
  type KdfParams,
} from '../../shared/crypto/index.js';
import type {
  ItemWrite,
  LoginResponse,
  PushResponse,
  SecretPayload,
} from '../../shared/protocol/index.js';
import type { ForwardRequest, RequestTemplate } from '../../shared/protocol/forward.js';
import { FAST_KDF } from './fast-kdf.js';
import { call, ok, type CallOptions } from './http.js';
import { b64, fakeEnvelope, newKey } from './relay-fixtures.js';

/** An account whose keys are random bytes of the right shapes (the relay cannot tell). */
export interface FakeAccount {
  email: string;
  authKey: string;
  accountId: string;
  vaultId: string;
  signup: Record<string, unknown>;
}

export function fakeAccount(email = `u-${b64(6).toLowerCase()}@example.test`): FakeAccount {
  const accountId = b64(16);
  const vaultId = b64(16);
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

/** Signs a fake account up and logs it in; returns it with its session token. */
export async function signedIn(
  base: string,
  account = fakeAccount(),
): Promise<FakeAccount & { token: string }> {
  const s = await call(base, 'POST', '/v1/auth/signup', { body: account.signup });
  if (s.status !== 201) throw new Error(`signup failed: ${s.status} ${s.text}`);
  return { ...account, token: await login(base, account.email, account.authKey) };
}

export interface TestAccount {
  email: string;
  accountId: string;
  authKey: string;
  token: string;
  vaultId: string;
  vaultKey: Bytes;
}

export interface TestSecret {
  name: string;
  value: string;
  itemId: string;
  itemKey: string;
  revision: number;
}

/** The cheapest KDF the crypto core accepts (tests only: 19 MiB, 2 passes). */
function testKdf(): KdfParams {
  return {
    algorithm: 'argon2id',
    ...FAST_KDF,
    salt: toBase64url(randomBytes(16)),
  };
}

export function uniqueEmail(tag: string): string {
  return `${tag}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}@keyhole.test`;
}

/** A signup body and the client-side keys that go with it (no I/O). */
export async function newSignup(email: string = uniqueEmail('rel')) {
  await initCrypto();
  const accountId = newId();
  const { authKey, bundle, unlocked } = createAccountKeys(
    accountId,
    'correct horse battery staple',
    testKdf(),
  );
  const vaultId = newId();
  const vaultKey = randomBytes(32);
  const body = {
    accountId,
    email,
    authKey: toBase64url(authKey),
    keys: bundle,
    personalVault: {
      id: vaultId,
      wrappedKey: wrapVaultKey(unlocked.accountKey, vaultId, vaultKey),
    },
  };
  return {
    body,
    account: {
      email,
      accountId,
      authKey: body.authKey,
      token: '',
      vaultId,
      vaultKey,
    } as TestAccount,
  };
}

/** Sign up (on `base`) and log in (on `loginBase`, default the same relay). */
export async function createAccount(
  base: string,
  opts: { email?: string; loginBase?: string } = {},
): Promise<TestAccount> {
  const { body, account } = await newSignup(opts.email);
  ok(await call(base, 'POST', '/v1/auth/signup', { body }), 'signup');
  account.token = await login(opts.loginBase ?? base, account.email, account.authKey);
  return account;
}

export async function login(base: string, email: string, authKey: string): Promise<string> {
  const res = ok<LoginResponse>(
    await call(base, 'POST', '/v1/auth/login', { body: { email, authKey } }),
    'login',
  );
  return res.token;
}

/** Encrypt one item for the account's personal vault (no I/O). */
export function sealItem(
  account: TestAccount,
  payload: SecretPayload,
  itemId: string = newId(),
): { itemId: string; wrappedKey: string; data: string; itemKey: string } {
  const enc = encryptItem(account.vaultKey, account.vaultId, itemId, payload);
  return { itemId, wrappedKey: enc.wrappedKey, data: enc.data, itemKey: toBase64url(enc.itemKey) };
}

/** A secret's plaintext payload and the push body that stores it (no I/O). */
export function newSecret(
  account: TestAccount,
  opts: { name?: string; value?: string; hosts: string[]; type?: 'plain' | 'bearer' },
): { secret: TestSecret; push: { writes: ItemWrite[] } } {
  const name = opts.name ?? `s${Math.random().toString(36).slice(2, 10)}`;
  const value = opts.value ?? `sk-test-${toBase64url(randomBytes(18))}`;
  const payload: SecretPayload = {
    name,
    type: opts.type ?? 'plain',
    value,
    allowedHosts: opts.hosts,
    allowedOrigins: [],
    description: '',
  };
  const sealed = sealItem(account, payload);
  return {
    secret: { name, value, itemId: sealed.itemId, itemKey: sealed.itemKey, revision: 0 },
    push: {
      writes: [
        {
          id: sealed.itemId,
          baseRevision: 0,
          deleted: false,
          wrappedKey: sealed.wrappedKey,
          data: sealed.data,
          keyGeneration: 0,
        },
      ],
    },
  };
}

/** Store a bearer/plain secret allowed for `hosts`; returns what a forward request needs. */
export async function addSecret(
  base: string,
  account: TestAccount,
  opts: { name?: string; value?: string; hosts: string[]; type?: 'plain' | 'bearer' },
  callOpts: CallOptions = {},
): Promise<TestSecret> {
  const { secret, push } = newSecret(account, opts);
  const res = ok<PushResponse>(
    await call(base, 'POST', `/v1/vaults/${account.vaultId}/items`, {
      ...callOpts,
      body: push,
      token: account.token,
    }),
    'push secret',
  );
  secret.revision = res.items.find((i) => i.id === secret.itemId)?.revision ?? res.revision;
  return secret;
}

/** A forward request using `secret` as `$CLIENT_SECRET` in the Authorization header. */
export function forwardBody(
  account: TestAccount,
  secret: TestSecret,
  request: Partial<RequestTemplate> & { url: string },
  extra: Omit<ForwardRequest, 'request' | 'secrets'> = {},
): ForwardRequest {
  return {
    request: {
      method: 'GET',
      headers: { authorization: 'Bearer $CLIENT_SECRET' },
      ...request,
    },
    secrets: [
      {
        name: secret.name,
        vaultId: account.vaultId,
        itemId: secret.itemId,
        itemKey: secret.itemKey,
      },
    ],
    ...extra,
  };
}
