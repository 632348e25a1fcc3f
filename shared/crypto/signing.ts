// Ed25519 signing keys (docs/vault-format.md §11): each account's key signs vault manifests and
// team statements. The 32-byte seed is the secret (wrapped by the account key, purpose sign-key);
// libsodium's crypto_sign_seed_keypair expands it. Signatures are over domain ‖ 0x00 ‖ body.
import { KeyholeError } from '../errors.js';
import {
  assertBytes,
  concat,
  fromBase64url,
  randomBytes,
  toBase64url,
  utf8,
  wipe,
} from './bytes.js';
import type { RandomSource } from './bytes.js';
import { KEY_BYTES, NONCE_BYTES, openKey, sealEnvelopeWithNonce } from './envelope.js';
import { decryptionFailed } from './failures.js';
import { lib } from './sodium.js';
import type { Bytes, SignKeyPair } from './types.js';

export const SIGNATURE_BYTES = 64;

/** A fresh Ed25519 key pair from a Web Crypto seed. */
export function generateSignKeyPair(seed: Bytes = randomBytes(KEY_BYTES)): SignKeyPair {
  assertBytes(seed, KEY_BYTES, 'seed');
  const kp = lib().crypto_sign_seed_keypair(seed);
  return { publicKey: kp.publicKey, secretKey: kp.privateKey, seed: seed.slice() };
}

/** The seed wrapped by the account key (envelope purpose sign-key, owner = account id). */
export function wrapSignKey(accountKey: Bytes, accountId: string, keys: SignKeyPair): string {
  return wrapSignKeyWith(randomBytes, accountKey, accountId, keys);
}

/** wrapSignKey with its nonce drawn from `random` (test/vectors/generate.ts; see RandomSource). */
export function wrapSignKeyWith(
  random: RandomSource,
  accountKey: Bytes,
  accountId: string,
  keys: SignKeyPair,
): string {
  return sealEnvelopeWithNonce(
    accountKey,
    keys.seed,
    { purpose: 'sign-key', ownerId: accountId, itemId: '' },
    random(NONCE_BYTES),
  );
}

/**
 * Opens a wrapped signing seed; the published public key must be the seed's (a relay that
 * swapped it is caught here, as for the X25519 key).
 */
export function unwrapSignKey(
  accountKey: Bytes,
  accountId: string,
  wrapped: string,
  publicKey: string,
): SignKeyPair {
  const seed = openKey(accountKey, wrapped, {
    purpose: 'sign-key',
    ownerId: accountId,
    itemId: '',
  });
  const keys = generateSignKeyPair(seed);
  wipe(seed);
  let published: Bytes;
  try {
    published = fromBase64url(publicKey);
  } catch {
    throw decryptionFailed();
  }
  if (toBase64url(published) !== toBase64url(keys.publicKey)) {
    wipe(keys.secretKey);
    wipe(keys.seed);
    throw decryptionFailed();
  }
  return keys;
}

function message(domain: string, body: string): Bytes {
  return concat([utf8(domain), new Uint8Array([0]), utf8(body)]);
}

/** b64url Ed25519 signature of domain ‖ 0x00 ‖ utf8(body). */
export function signBody(keys: SignKeyPair, domain: string, body: string): string {
  return toBase64url(lib().crypto_sign_detached(message(domain, body), keys.secretKey));
}

/** Whether `signature` is `publicKey`'s signature of domain ‖ 0x00 ‖ body. Never throws. */
export function verifyBody(
  publicKey: string | Bytes,
  domain: string,
  body: string,
  signature: string,
): boolean {
  try {
    const pk = typeof publicKey === 'string' ? fromBase64url(publicKey) : publicKey;
    const sig = fromBase64url(signature);
    if (pk.length !== KEY_BYTES || sig.length !== SIGNATURE_BYTES) return false;
    return lib().crypto_sign_verify_detached(sig, message(domain, body), pk);
  } catch {
    return false;
  }
}

/** BLAKE2b-256 of domain ‖ 0x00 ‖ body, b64url: what chains and seen-state refer to. */
export function bodyHash(domain: string, body: string): string {
  return toBase64url(lib().crypto_generichash(32, message(domain, body), null));
}

export function verificationFailed(message: string): KeyholeError {
  return new KeyholeError('VAULT_VERIFICATION_FAILED', message);
}
