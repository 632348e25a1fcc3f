// Key pairs, vault keys sealed to a member's X25519 public key (§5), and key fingerprints (§6).
import {
  assertBytes,
  bytesEqual,
  concat,
  fromBase64url,
  lengthPrefixed,
  randomBytes,
  toBase64url,
  utf8,
} from './bytes.js';
import type { RandomSource } from './bytes.js';
import { KEY_BYTES } from './envelope.js';
import { decryptionFailed, unsupportedFormat } from './failures.js';
import { lib } from './sodium.js';
import type { Bytes, KeyPair } from './types.js';

export const SEALED_VERSION = 1;
/** crypto_box_seal: X25519 ephemeral key, XSalsa20-Poly1305, nonce = BLAKE2b-192(epk ‖ pk). */
export const ALG_X25519_SEALED_BOX = 2;
export const SEALED_DOMAIN = 'keyhole/v1/sealed-vault-key';
export const FINGERPRINT_DOMAIN = 'keyhole/v1/fingerprint';
const HEADER = new Uint8Array([SEALED_VERSION, ALG_X25519_SEALED_BOX]);
const SEALED_DOMAIN_BYTES = utf8(SEALED_DOMAIN);
const FINGERPRINT_DOMAIN_BYTES = utf8(FINGERPRINT_DOMAIN);
const MAX_GENERATION = 0xffff_ffff;

/** A fresh X25519 key pair; the private key comes from Web Crypto randomness unless given. */
export function generateKeyPair(privateKey: Bytes = randomBytes(KEY_BYTES)): KeyPair {
  assertBytes(privateKey, KEY_BYTES, 'privateKey');
  return { publicKey: lib().crypto_scalarmult_base(privateKey), privateKey };
}

function u32(n: number): Bytes {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n);
  return out;
}

/** The bytes inside the box, before the key: lp(domain) ‖ lp(header) ‖ lp(vaultId) ‖ lp(u32be gen). */
function innerPrefix(vaultId: string, keyGeneration: number): Bytes {
  return lengthPrefixed([SEALED_DOMAIN_BYTES, HEADER, utf8(vaultId), u32(keyGeneration)]);
}

function validGeneration(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0 && n <= MAX_GENERATION;
}

/** Seal a vault key to a member's public key, bound to (vaultId, keyGeneration). */
export function sealVaultKeyTo(
  publicKey: Bytes,
  vaultKey: Bytes,
  vaultId: string,
  keyGeneration: number,
): string {
  return sealVaultKeyToWith(randomBytes, publicKey, vaultKey, vaultId, keyGeneration);
}

/** sealVaultKeyTo with its ephemeral key drawn from `random` (test/vectors/generate.ts). */
export function sealVaultKeyToWith(
  random: RandomSource,
  publicKey: Bytes,
  vaultKey: Bytes,
  vaultId: string,
  keyGeneration: number,
): string {
  assertBytes(publicKey, KEY_BYTES, 'publicKey');
  assertBytes(vaultKey, KEY_BYTES, 'vaultKey');
  if (typeof vaultId !== 'string') throw new TypeError('vaultId must be a string');
  if (!validGeneration(keyGeneration))
    throw new TypeError('keyGeneration must be an integer from 0 to 2^32-1');
  const s = lib();
  const inner = concat([innerPrefix(vaultId, keyGeneration), lengthPrefixed([vaultKey])]);
  // crypto_box_seal spelled out so the ephemeral key comes from `random`; the result is
  // byte-for-byte what crypto_box_seal makes and crypto_box_seal_open opens.
  const ephemeralSecret = random(KEY_BYTES);
  const ephemeralPublic = s.crypto_scalarmult_base(ephemeralSecret);
  const nonce = s.crypto_generichash(
    s.crypto_box_NONCEBYTES,
    concat([ephemeralPublic, publicKey]),
    null,
  );
  const box = s.crypto_box_easy(inner, nonce, publicKey, ephemeralSecret);
  ephemeralSecret.fill(0);
  inner.fill(0);
  return toBase64url(concat([HEADER, ephemeralPublic, box]));
}

/** Open a sealed vault key; it must have been sealed for exactly this vault and generation. */
export function openSealedVaultKey(
  keyPair: KeyPair,
  sealed: string,
  vaultId: string,
  keyGeneration: number,
): Bytes {
  let bytes: Bytes;
  try {
    bytes = fromBase64url(sealed);
  } catch {
    throw decryptionFailed();
  }
  if (bytes.length >= 2 && (bytes[0] !== SEALED_VERSION || bytes[1] !== ALG_X25519_SEALED_BOX)) {
    throw unsupportedFormat();
  }
  if (
    bytes.length < 2 + lib().crypto_box_SEALBYTES ||
    typeof keyPair !== 'object' ||
    keyPair === null ||
    !(keyPair.publicKey instanceof Uint8Array) ||
    !(keyPair.privateKey instanceof Uint8Array) ||
    typeof vaultId !== 'string' ||
    !validGeneration(keyGeneration)
  ) {
    throw decryptionFailed();
  }
  let inner: Bytes;
  try {
    inner = lib().crypto_box_seal_open(bytes.subarray(2), keyPair.publicKey, keyPair.privateKey);
  } catch {
    throw decryptionFailed();
  }
  const prefix = innerPrefix(vaultId, keyGeneration);
  const keyLength = new DataView(inner.buffer, inner.byteOffset, inner.byteLength);
  if (
    inner.length !== prefix.length + 4 + KEY_BYTES ||
    !bytesEqual(inner.subarray(0, prefix.length), prefix) ||
    keyLength.getUint32(prefix.length) !== KEY_BYTES
  ) {
    inner.fill(0);
    throw decryptionFailed();
  }
  const key = inner.slice(prefix.length + 4);
  inner.fill(0);
  return key;
}

/** Short, human-comparable fingerprint: BLAKE2b-80(domain ‖ key), "3F9A-77C1-0B2E-D4A8-91FF". */
export function fingerprint(publicKey: Bytes): string {
  assertBytes(publicKey, KEY_BYTES, 'publicKey');
  const hex = lib().to_hex(
    lib().crypto_generichash(10, concat([FINGERPRINT_DOMAIN_BYTES, publicKey]), null),
  );
  return (hex.toUpperCase().match(/.{4}/g) as string[]).join('-');
}

export const IDENTITY_DOMAIN = 'keyhole/v1/identity';
const IDENTITY_DOMAIN_BYTES = utf8(IDENTITY_DOMAIN);

/**
 * An account's identity fingerprint (§6): BLAKE2b-80(domain ‖ X25519 key ‖ Ed25519 key), so one
 * comparison out of band vouches for both keys. An account without a signing key (made before
 * them, not migrated yet) keeps the X25519-only fingerprint.
 */
export function identityFingerprint(publicKey: Bytes, signPublicKey?: Bytes | null): string {
  if (!signPublicKey) return fingerprint(publicKey);
  assertBytes(publicKey, KEY_BYTES, 'publicKey');
  assertBytes(signPublicKey, KEY_BYTES, 'signPublicKey');
  const hex = lib().to_hex(
    lib().crypto_generichash(10, concat([IDENTITY_DOMAIN_BYTES, publicKey, signPublicKey]), null),
  );
  return (hex.toUpperCase().match(/.{4}/g) as string[]).join('-');
}
