// XChaCha20-Poly1305-IETF through one reused, zeroed scratch region of the WebAssembly heap.
import { lib, raw, type RawSodium } from './sodium.js';
import type { Bytes } from './types.js';

const KEY = 32;
const NONCE = 24;
export const TAG = 16;

let scratch = 0;
let scratchSize = 0;

/** A heap region of at least `size` bytes (grown, never shrunk; zeroed after every use). */
function region(r: RawSodium, size: number): number {
  if (size > scratchSize) {
    if (scratch !== 0) r._free(scratch);
    const want = Math.max(4096, 2 ** Math.ceil(Math.log2(size)));
    scratch = r._malloc(want);
    if (scratch === 0) {
      scratchSize = 0;
      throw new Error('libsodium heap exhausted');
    }
    scratchSize = want;
  }
  return scratch;
}

/** Writes ciphertext ‖ tag of `plaintext` into `out` at `offset` (out must have room). */
export function aeadEncryptInto(
  out: Bytes,
  offset: number,
  key: Bytes,
  nonce: Bytes,
  ad: Bytes,
  plaintext: Bytes,
): void {
  const r = raw();
  if (r === null) {
    out.set(
      lib().crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, ad, null, nonce, key),
      offset,
    );
    return;
  }
  const total = KEY + NONCE + ad.length + plaintext.length * 2 + TAG;
  const base = region(r, total);
  const k = base;
  const npub = k + KEY;
  const a = npub + NONCE;
  const m = a + ad.length;
  const c = m + plaintext.length;
  let heap = r.HEAPU8;
  heap.set(key, k);
  heap.set(nonce, npub);
  heap.set(ad, a);
  heap.set(plaintext, m);
  const rc = r._crypto_aead_xchacha20poly1305_ietf_encrypt(
    c,
    0,
    m,
    plaintext.length,
    0,
    a,
    ad.length,
    0,
    0,
    npub,
    k,
  );
  heap = r.HEAPU8;
  if (rc === 0) out.set(heap.subarray(c, c + plaintext.length + TAG), offset);
  heap.fill(0, base, base + total);
  if (rc !== 0) throw new Error('encryption failed');
}

/** Opens ciphertext ‖ tag; null when authentication fails. */
export function aeadDecrypt(key: Bytes, nonce: Bytes, ad: Bytes, sealed: Bytes): Bytes | null {
  if (sealed.length < TAG) return null;
  const r = raw();
  if (r === null) {
    try {
      return lib().crypto_aead_xchacha20poly1305_ietf_decrypt(null, sealed, ad, nonce, key);
    } catch {
      return null;
    }
  }
  const plainLength = sealed.length - TAG;
  const total = KEY + NONCE + ad.length + sealed.length + plainLength;
  const base = region(r, total);
  const k = base;
  const npub = k + KEY;
  const a = npub + NONCE;
  const c = a + ad.length;
  const m = c + sealed.length;
  let heap = r.HEAPU8;
  heap.set(key, k);
  heap.set(nonce, npub);
  heap.set(ad, a);
  heap.set(sealed, c);
  const rc = r._crypto_aead_xchacha20poly1305_ietf_decrypt(
    m,
    0,
    0,
    c,
    sealed.length,
    0,
    a,
    ad.length,
    0,
    npub,
    k,
  );
  heap = r.HEAPU8;
  const out = rc === 0 ? heap.slice(m, m + plainLength) : null;
  heap.fill(0, base, base + total);
  return out;
}
