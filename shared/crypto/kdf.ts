// Password → master key (argon2id, libsodium crypto_pwhash) and its labelled subkeys (§2).
import { fromBase64url, randomBytes, toBase64url, utf8, wipe } from './bytes.js';
import { kdfTooWeak } from './failures.js';
import { lib } from './sodium.js';
import type { Bytes, KdfParams } from './types.js';

const MIB = 1024 * 1024;

/** Defaults for new accounts: 64 MiB, 3 passes (argon2id, one lane). */
export const DEFAULT_KDF: { memLimitBytes: number; opsLimit: number } = Object.freeze({
  memLimitBytes: 64 * MIB,
  opsLimit: 3,
});
/** Floor (OWASP minimum for argon2id) and ceiling (so a hostile relay cannot DoS a client). */
export const KDF_LIMITS = Object.freeze({
  minMemLimitBytes: 19 * MIB,
  maxMemLimitBytes: 1024 * MIB,
  minOpsLimit: 2,
  maxOpsLimit: 10,
  saltBytes: 16,
});
export const MASTER_KEY_BYTES = 32;

/** Fresh params for a new account: the defaults and a random 16-byte salt. */
export function newKdfParams(): KdfParams {
  return {
    algorithm: 'argon2id',
    ...DEFAULT_KDF,
    salt: toBase64url(randomBytes(KDF_LIMITS.saltBytes)),
  };
}

/** Throws KDF_PARAMS_TOO_WEAK for anything outside the floor/ceiling — before any work is done. */
export function assertKdfParams(params: KdfParams): void {
  if (typeof params !== 'object' || params === null) throw kdfTooWeak('missing');
  if (params.algorithm !== 'argon2id') throw kdfTooWeak('algorithm must be argon2id');
  const { memLimitBytes: m, opsLimit: t } = params;
  if (
    !Number.isSafeInteger(m) ||
    m < KDF_LIMITS.minMemLimitBytes ||
    m > KDF_LIMITS.maxMemLimitBytes
  ) {
    throw kdfTooWeak('memLimitBytes must be an integer from 19 MiB to 1 GiB');
  }
  if (m % 1024 !== 0) throw kdfTooWeak('memLimitBytes must be a whole number of KiB');
  if (!Number.isSafeInteger(t) || t < KDF_LIMITS.minOpsLimit || t > KDF_LIMITS.maxOpsLimit) {
    throw kdfTooWeak('opsLimit must be an integer from 2 to 10');
  }
  let salt: Bytes;
  try {
    salt = fromBase64url(params.salt);
  } catch {
    throw kdfTooWeak('salt must be base64url');
  }
  if (salt.length !== KDF_LIMITS.saltBytes) throw kdfTooWeak('salt must be 16 bytes');
}

/** NFC-normalises the password, argon2id → 32-byte master key. */
export function deriveMasterKey(password: string, params: KdfParams): Bytes {
  if (typeof password !== 'string') throw new TypeError('password must be a string');
  assertKdfParams(params);
  const s = lib();
  const passwordBytes = utf8(password.normalize('NFC'));
  try {
    return s.crypto_pwhash(
      MASTER_KEY_BYTES,
      passwordBytes,
      fromBase64url(params.salt),
      params.opsLimit,
      params.memLimitBytes,
      s.crypto_pwhash_ALG_ARGON2ID13,
    );
  } finally {
    wipe(passwordBytes);
  }
}

/** crypto_kdf (BLAKE2b) contexts: each subkey has its own 8-byte label and id (§2.2). */
export const SUBKEY_LABELS = Object.freeze({
  auth: { context: 'kh-auth1', id: 1 },
  wrapping: { context: 'kh-wrap1', id: 2 },
});

/** Labelled, independent subkeys of the master key: neither can be computed from the other. */
export function deriveSubkeys(masterKey: Bytes): { authKey: Bytes; wrappingKey: Bytes } {
  if (!(masterKey instanceof Uint8Array) || masterKey.length !== MASTER_KEY_BYTES) {
    throw new TypeError('masterKey must be 32 bytes');
  }
  const s = lib();
  const { auth, wrapping } = SUBKEY_LABELS;
  return {
    authKey: s.crypto_kdf_derive_from_key(32, auth.id, auth.context, masterKey),
    wrappingKey: s.crypto_kdf_derive_from_key(32, wrapping.id, wrapping.context, masterKey),
  };
}
