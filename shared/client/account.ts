// Signup and login on the client side: every key is made or opened here; the relay only ever sees
// the auth key, public keys and ciphertext (docs/vault-format.md §2, "Key hierarchy").
import {
  assertKdfParams,
  generateSignKeyPair,
  wrapSignKey,
  createAccountKeys,
  deriveLoginKeys,
  initCrypto,
  newId,
  newKdfParams,
  randomBytes,
  toBase64url,
  unlockAccount,
  wipe,
  wrapVaultKey,
  type KdfParams,
  type UnlockedAccount,
} from '../crypto/index.js';
import { z } from 'zod';
import { KeyholeError } from '../errors.js';
import { Email, type KeyBundle, type LoginResponse } from '../protocol/index.js';
import { RelayClient } from './relay-client.js';

/** An unlocked, signed-in account. `unlocked` holds raw keys: keep it in memory only. */
export interface Session {
  relayUrl: string;
  token: string;
  expiresAt: number;
  accountId: string;
  email: string;
  /** the encrypted key bundle (safe to cache: ciphertext + public key + KDF params) */
  keys: KeyBundle;
  unlocked: UnlockedAccount;
}

export interface SignupOptions {
  /** argon2id cost for the new account (never under the floor; default: crypto's DEFAULT_KDF) */
  kdf?: { memLimitBytes?: number; opsLimit?: number };
  fetch?: typeof fetch;
}

export const MIN_PASSWORD_LENGTH = 8;

/** Creates the account and its personal vault, then logs in. */
export async function signup(
  relayUrl: string,
  email: string,
  password: string,
  options: SignupOptions = {},
): Promise<Session> {
  const normalisedEmail = normaliseEmail(email);
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw new KeyholeError(
      'INVALID_REQUEST',
      `The master password must have at least ${MIN_PASSWORD_LENGTH} characters.`,
    );
  }
  await initCrypto();
  const kdf: KdfParams = { ...newKdfParams(), ...definedOnly(options.kdf) };
  assertKdfParams(kdf);
  const accountId = newId();
  const vaultId = newId();
  const { authKey, bundle, unlocked } = createAccountKeys(accountId, password, kdf);
  const vaultKey = randomBytes(32);
  const relay = new RelayClient({ baseUrl: relayUrl, fetch: options.fetch });
  try {
    await relay.signup({
      accountId,
      email: normalisedEmail,
      authKey: toBase64url(authKey),
      keys: bundle,
      personalVault: {
        id: vaultId,
        wrappedKey: wrapVaultKey(unlocked.accountKey, vaultId, vaultKey),
      },
    });
    // Same auth key, same unlocked keys: no second argon2id run.
    const res = await relay.login({ email: normalisedEmail, authKey: toBase64url(authKey) });
    return sessionOf(relay, res, unlocked);
  } finally {
    wipe(authKey);
    wipe(vaultKey);
  }
}

/** prelogin → derive (weak params refused before any work) → login → unlock. */
export async function login(
  relayUrl: string,
  email: string,
  password: string,
  options: { fetch?: typeof fetch } = {},
): Promise<Session> {
  const normalisedEmail = normaliseEmail(email);
  await initCrypto();
  const relay = new RelayClient({ baseUrl: relayUrl, fetch: options.fetch });
  const { kdf } = await relay.prelogin(normalisedEmail);
  return loginWithKeys(relay, normalisedEmail, password, kdf);
}

async function loginWithKeys(
  relay: RelayClient,
  email: string,
  password: string,
  kdf: KdfParams,
): Promise<Session> {
  assertKdfParams(kdf);
  const { authKey, wrappingKey } = deriveLoginKeys(password, kdf);
  try {
    const res = await relay.login({ email, authKey: toBase64url(authKey) });
    return sessionOf(relay, res, unlockAccount(res.accountId, wrappingKey, res.keys));
  } finally {
    wipe(authKey);
    wipe(wrappingKey);
  }
}

/** The session a login answer opens, with the keys the client unlocked for it. */
function sessionOf(relay: RelayClient, res: LoginResponse, unlocked: UnlockedAccount): Session {
  return {
    relayUrl: relay.baseUrl,
    token: res.token,
    expiresAt: res.expiresAt,
    accountId: res.accountId,
    email: res.email,
    keys: res.keys,
    unlocked,
  };
}

/**
 * Unlocks with a cached key bundle, without the relay (a wrong password → INVALID_CREDENTIALS).
 * Also returns the auth key so that the caller can log in again if the session expired.
 */
export function unlockOffline(
  accountId: string,
  password: string,
  keys: KeyBundle,
): { unlocked: UnlockedAccount; authKey: Uint8Array } {
  assertKdfParams(keys.kdf);
  const { authKey, wrappingKey } = deriveLoginKeys(password, keys.kdf);
  try {
    return { unlocked: unlockAccount(accountId, wrappingKey, keys), authKey };
  } catch (err) {
    wipe(authKey);
    if (err instanceof KeyholeError && err.code === 'DECRYPTION_FAILED') {
      throw new KeyholeError('INVALID_CREDENTIALS', 'Wrong master password.');
    }
    throw err;
  } finally {
    wipe(wrappingKey);
  }
}

export function normaliseEmail(email: string): string {
  const parsed = Email.safeParse(email);
  if (!parsed.success)
    throw new KeyholeError('INVALID_REQUEST', 'That is not a valid email address.');
  return parsed.data;
}

function definedOnly<T extends object>(value: T | undefined): Partial<T> {
  const out: Partial<T> = {};
  if (!value) return out;
  for (const [k, v] of Object.entries(value))
    if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

/**
 * Migration in place: an account made before signing keys gets its Ed25519 key at its next unlock
 * (sealed by the account key like its X25519 key). Returns the bundle to cache from now on; when
 * another device of the account won the race, this one keeps the old bundle until its next login.
 */
export async function ensureSignKeys(
  relay: RelayClient,
  unlocked: UnlockedAccount,
  bundle: KeyBundle,
): Promise<KeyBundle> {
  if (unlocked.signKeys) return bundle;
  const keys = generateSignKeyPair();
  const signPublicKey = toBase64url(keys.publicKey);
  const wrappedSignKey = wrapSignKey(unlocked.accountKey, unlocked.accountId, keys);
  try {
    await relay.request('POST', '/v1/accounts/sign-key', SetSignKeyResponse, {
      signPublicKey,
      wrappedSignKey,
    });
  } catch (err) {
    wipe(keys.secretKey);
    wipe(keys.seed);
    if (err instanceof KeyholeError && err.code === 'CONFLICT') return bundle;
    throw err;
  }
  unlocked.signKeys = keys;
  return { ...bundle, signPublicKey, wrappedSignKey };
}

const SetSignKeyResponse = z.object({ ok: z.literal(true) });
