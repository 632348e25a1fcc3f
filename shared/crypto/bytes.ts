// Byte helpers: randomness (Web Crypto), base64url, ids, UTF-8, length-prefixed encoding, wipe.
import { decodeBase64url, encodeBase64url } from './base64url.js';
import type { Bytes } from './types.js';

/**
 * Where a function that makes keys or nonces takes its bytes from. Production passes
 * randomBytes; only test/vectors/generate.ts passes a seeded stream, to each call explicitly
 * (docs/vault-format.md §10), so nothing global can make production randomness predictable.
 */
export type RandomSource = (length: number) => Bytes;

/**
 * `length` bytes straight from `globalThis.crypto.getRandomValues` (never libsodium's, ~17x
 * slower in Node). No pool: docs/vault-format.md §1 says why.
 */
export function randomBytes(length: number): Bytes {
  if (!Number.isSafeInteger(length) || length < 0)
    throw new TypeError('length must be a non-negative integer');
  const out = new Uint8Array(length);
  if (length <= 65_536) return globalThis.crypto.getRandomValues(out);
  // getRandomValues fills at most 65,536 bytes a call.
  for (let offset = 0; offset < length; offset += 65_536) {
    globalThis.crypto.getRandomValues(out.subarray(offset, Math.min(length, offset + 65_536)));
  }
  return out;
}

/** Throws TypeError naming `name` unless `value` is a Uint8Array of exactly `length` bytes. */
export function assertBytes(value: unknown, length: number, name: string): asserts value is Bytes {
  if (!(value instanceof Uint8Array) || value.length !== length)
    throw new TypeError(`${name} must be ${length} bytes`);
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
  return newIdWith(randomBytes);
}

/** newId with its bytes drawn from `random` (test/vectors/generate.ts). */
export function newIdWith(random: RandomSource): string {
  return toBase64url(random(16));
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
