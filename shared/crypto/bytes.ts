// Byte helpers: randomness (Web Crypto), base64url, ids, UTF-8, length-prefixed encoding, wipe.
import { decodeBase64url, encodeBase64url } from './base64url.js';
import type { Bytes } from './types.js';

type RandomSource = (length: number) => Bytes;

/** Requests up to this size are served from a pool refilled 4 KiB at a time. */
const POOL_SIZE = 4096;
const POOLED_MAX = 64;
const pool = new Uint8Array(POOL_SIZE);
let poolOffset = POOL_SIZE;

function fill(out: Bytes): void {
  // getRandomValues fills at most 65,536 bytes a call.
  for (let offset = 0; offset < out.length; offset += 65_536) {
    globalThis.crypto.getRandomValues(out.subarray(offset, Math.min(out.length, offset + 65_536)));
  }
}

/**
 * Web Crypto randomness. Small requests (keys, nonces) come from a pool: in Node each
 * getRandomValues call costs ~5 µs whatever its size, which dominated encrypting many items.
 * Every pooled byte is handed out once and zeroed in the pool as it leaves.
 */
const webRandom: RandomSource = (length) => {
  const out = new Uint8Array(length);
  if (length > POOLED_MAX) {
    fill(out);
    return out;
  }
  if (poolOffset + length > POOL_SIZE) {
    fill(pool);
    poolOffset = 0;
  }
  const slice = pool.subarray(poolOffset, poolOffset + length);
  out.set(slice);
  slice.fill(0);
  poolOffset += length;
  return out;
};

let randomSource: RandomSource = webRandom;

/**
 * FOR TEST-VECTOR GENERATION ONLY (test/vectors/generate.ts): replace the random source so
 * nonces and keys are reproducible. Pass `null` to restore Web Crypto. Not exported from index.ts.
 */
export function setRandomSourceForVectors(source: RandomSource | null): void {
  randomSource = source ?? webRandom;
}

/** `length` random bytes from `globalThis.crypto.getRandomValues` (never libsodium's, ~17x slower in Node). */
export function randomBytes(length: number): Bytes {
  if (!Number.isSafeInteger(length) || length < 0)
    throw new TypeError('length must be a non-negative integer');
  const out = randomSource(length);
  if (out.length !== length) throw new Error('random source returned the wrong length');
  return out;
}

/** Bytes → base64url without padding. */
export function toBase64url(bytes: Bytes): string {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('bytes must be a Uint8Array');
  return encodeBase64url(bytes);
}

/** Strict, canonical base64url without padding → bytes; throws TypeError on anything else. */
export function fromBase64url(text: string): Bytes {
  return decodeBase64url(text);
}

/** 16 random bytes as a 22-character base64url id. */
export function newId(): string {
  return toBase64url(randomBytes(16));
}

const encoder = new TextEncoder();
const strictDecoder = new TextDecoder('utf-8', { fatal: true });

export function utf8(text: string): Bytes {
  return encoder.encode(text);
}

/** UTF-8 → string; throws on invalid UTF-8. */
export function fromUtf8(bytes: Bytes): string {
  return strictDecoder.decode(bytes);
}

export function concat(parts: readonly Bytes[]): Bytes {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** Each part as a 4-byte big-endian length followed by its bytes (docs/vault-format.md §3). */
export function lengthPrefixed(parts: readonly Bytes[]): Bytes {
  let length = 0;
  for (const p of parts) length += 4 + p.length;
  const out = new Uint8Array(length);
  const view = new DataView(out.buffer);
  let offset = 0;
  for (const p of parts) {
    view.setUint32(offset, p.length);
    out.set(p, offset + 4);
    offset += 4 + p.length;
  }
  return out;
}

/** Constant-time equality of two byte strings. */
export function bytesEqual(a: Bytes, b: Bytes): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] as number) ^ (b[i] as number);
  return diff === 0;
}

/** Zero a key buffer when done with it (best effort in JS: copies made elsewhere survive). */
export function wipe(bytes: Bytes): void {
  if (bytes instanceof Uint8Array) bytes.fill(0);
}
