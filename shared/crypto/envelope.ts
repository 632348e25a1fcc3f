// The versioned AEAD envelope (docs/vault-format.md §3): XChaCha20-Poly1305-IETF with bound context.
import {
  assertBytes,
  fromBase64url,
  fromUtf8,
  lengthPrefixed,
  randomBytes,
  toBase64url,
  utf8,
  wipe,
} from './bytes.js';
import { decryptionFailed, unsupportedFormat } from './failures.js';
import { aeadDecrypt, aeadEncryptInto } from './aead.js';
import type { Bytes, EnvelopeContext } from './types.js';

export const ENVELOPE_VERSION = 1;
export const ALG_XCHACHA20POLY1305 = 1;
export const AD_DOMAIN = 'keyhole/v1';
export const KEY_BYTES = 32;
export const NONCE_BYTES = 24;
export const TAG_BYTES = 16;
export const HEADER_BYTES = 2;
/** Shortest well-formed envelope: header, nonce and tag around an empty plaintext. */
export const MIN_ENVELOPE_BYTES = HEADER_BYTES + NONCE_BYTES + TAG_BYTES;

const PURPOSES: ReadonlySet<string> = new Set([
  'account-key',
  'private-key',
  'sign-key',
  'vault-key',
  'item-key',
  'item',
  // grants (§11)
  'grant-item-key',
  'grant-policy',
  'grant-info',
]);
const MAX_ID_LENGTH = 256;
const DOMAIN_BYTES = utf8(AD_DOMAIN);
const HEADER = new Uint8Array([ENVELOPE_VERSION, ALG_XCHACHA20POLY1305]);

function checkContext(ctx: EnvelopeContext): boolean {
  return (
    typeof ctx === 'object' &&
    ctx !== null &&
    PURPOSES.has(ctx.purpose) &&
    typeof ctx.ownerId === 'string' &&
    typeof ctx.itemId === 'string' &&
    ctx.ownerId.length <= MAX_ID_LENGTH &&
    ctx.itemId.length <= MAX_ID_LENGTH
  );
}

/** lp(domain) ‖ lp(header) ‖ lp(purpose) for the current header: constant per purpose. */
const AD_PREFIXES: Readonly<Record<string, Bytes>> = Object.fromEntries(
  [...PURPOSES].map((purpose) => [purpose, lengthPrefixed([DOMAIN_BYTES, HEADER, utf8(purpose)])]),
);

/**
 * Writes u32be length ‖ `text` at `offset` if `text` is ASCII (TextEncoder costs ~1 µs for a
 * short id); returns the next offset, or -1 on a non-ASCII character.
 */
function writeAscii(out: Bytes, offset: number, text: string): number {
  const n = text.length;
  out[offset] = n >>> 24;
  out[offset + 1] = (n >>> 16) & 255;
  out[offset + 2] = (n >>> 8) & 255;
  out[offset + 3] = n & 255;
  const start = offset + 4;
  let high = 0;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    high |= c;
    out[start + i] = c;
  }
  return high > 127 ? -1 : start + n;
}

/** AD = lp(domain) ‖ lp(header) ‖ lp(purpose) ‖ lp(ownerId) ‖ lp(itemId), lp = u32be length ‖ bytes (§3.3). */
export function associatedData(header: Bytes, ctx: EnvelopeContext): Bytes {
  const current =
    header.length === 2 && header[0] === ENVELOPE_VERSION && header[1] === ALG_XCHACHA20POLY1305;
  const prefix = current ? AD_PREFIXES[ctx.purpose] : undefined;
  if (prefix !== undefined) {
    const out = new Uint8Array(prefix.length + 8 + ctx.ownerId.length + ctx.itemId.length);
    out.set(prefix, 0);
    const next = writeAscii(out, prefix.length, ctx.ownerId);
    if (next !== -1 && writeAscii(out, next, ctx.itemId) !== -1) return out;
  }
  return lengthPrefixed([
    DOMAIN_BYTES,
    header,
    utf8(ctx.purpose),
    utf8(ctx.ownerId),
    utf8(ctx.itemId),
  ]);
}

/** Encrypt `plaintext` under a 32-byte key, bound to `ctx`; returns the base64url envelope. */
export function sealEnvelope(key: Bytes, plaintext: Bytes, ctx: EnvelopeContext): string {
  return sealEnvelopeWithNonce(key, plaintext, ctx, randomBytes(NONCE_BYTES));
}

/**
 * sealEnvelope with the nonce given by the caller: what sealEnvelope and the sealing functions'
 * `…With(random, …)` forms use, and how test/vectors/generate.ts makes reproducible envelopes.
 * A nonce must never repeat under one key: anything but a fresh random nonce is for vectors only.
 */
export function sealEnvelopeWithNonce(
  key: Bytes,
  plaintext: Bytes,
  ctx: EnvelopeContext,
  nonce: Bytes,
): string {
  assertBytes(key, KEY_BYTES, 'key');
  if (!(plaintext instanceof Uint8Array)) throw new TypeError('plaintext must be a Uint8Array');
  if (!checkContext(ctx))
    throw new TypeError('ctx must have a known purpose and string ownerId/itemId');
  assertBytes(nonce, NONCE_BYTES, 'nonce');
  const out = new Uint8Array(HEADER_BYTES + NONCE_BYTES + plaintext.length + TAG_BYTES);
  out.set(HEADER, 0);
  out.set(nonce, HEADER_BYTES);
  aeadEncryptInto(
    out,
    HEADER_BYTES + NONCE_BYTES,
    key,
    nonce,
    associatedData(HEADER, ctx),
    plaintext,
  );
  return toBase64url(out);
}

/**
 * Opens a wrapped 32-byte key (item, vault, grant item key): openEnvelope, and anything but
 * 32 bytes inside is DECRYPTION_FAILED like any other tampering (§3.4).
 */
export function openKey(key: Bytes, envelope: string, ctx: EnvelopeContext): Bytes {
  const inner = openEnvelope(key, envelope, ctx);
  if (inner.length !== KEY_BYTES) {
    wipe(inner);
    throw decryptionFailed();
  }
  return inner;
}

/**
 * Opens an envelope whose plaintext is UTF-8 JSON (item records, grant policies) and parses it;
 * the plaintext bytes are wiped. Bad UTF-8 or JSON is DECRYPTION_FAILED, as tampering is (§3.4):
 * the caller still checks the shape against its schema.
 */
export function openJson(key: Bytes, envelope: string | Bytes, ctx: EnvelopeContext): unknown {
  const plaintext = openEnvelope(key, envelope, ctx);
  try {
    return JSON.parse(fromUtf8(plaintext));
  } catch {
    throw decryptionFailed();
  } finally {
    wipe(plaintext);
  }
}

/**
 * Open an envelope made by sealEnvelope with the same key and context.
 * Unknown version/algorithm → UNSUPPORTED_FORMAT; anything else wrong → DECRYPTION_FAILED.
 */
export function openEnvelope(key: Bytes, envelope: string | Bytes, ctx: EnvelopeContext): Bytes {
  let bytes: Bytes;
  // Already-decoded bytes are accepted so that a caller that also hashes them decodes once.
  if (envelope instanceof Uint8Array) bytes = envelope;
  else {
    try {
      bytes = fromBase64url(envelope);
    } catch {
      throw decryptionFailed();
    }
  }
  // The header is read first so a newer format is reported as such, not as tampering (§3.4).
  if (
    bytes.length >= HEADER_BYTES &&
    (bytes[0] !== ENVELOPE_VERSION || bytes[1] !== ALG_XCHACHA20POLY1305)
  ) {
    throw unsupportedFormat();
  }
  if (
    bytes.length < MIN_ENVELOPE_BYTES ||
    !(key instanceof Uint8Array) ||
    key.length !== KEY_BYTES ||
    !checkContext(ctx)
  ) {
    throw decryptionFailed();
  }
  const plaintext = aeadDecrypt(
    key,
    bytes.subarray(HEADER_BYTES, HEADER_BYTES + NONCE_BYTES),
    associatedData(bytes.subarray(0, HEADER_BYTES), ctx),
    bytes.subarray(HEADER_BYTES + NONCE_BYTES),
  );
  if (plaintext === null) throw decryptionFailed();
  return plaintext;
}
