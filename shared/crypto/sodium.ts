// The one import of libsodium in Keyhole: loads the WebAssembly build once and hands it out.
import sodium from 'libsodium-wrappers-sumo';

/** The part of the raw Emscripten module (sodium.libsodium) that aead.ts calls directly. */
export interface RawSodium {
  HEAPU8: Uint8Array;
  _malloc(size: number): number;
  _free(pointer: number): void;
  // (c, clen_p, m, mlen lo, mlen hi, ad, adlen lo, adlen hi, nsec, npub, k) → 0 on success
  _crypto_aead_xchacha20poly1305_ietf_encrypt(...args: number[]): number;
  // (m, mlen_p, nsec, c, clen lo, clen hi, ad, adlen lo, adlen hi, npub, k) → 0 on success
  _crypto_aead_xchacha20poly1305_ietf_decrypt(...args: number[]): number;
}

let ready = false;
let loading: Promise<void> | undefined;
let rawModule: RawSodium | null = null;

/** Load libsodium (idempotent). Every other crypto function needs this to have resolved. */
export function initCrypto(): Promise<void> {
  loading ??= sodium.ready.then(() => {
    rawModule = findRaw(sodium);
    ready = true;
  });
  return loading;
}

/** The loaded libsodium; throws a clear error when initCrypto() has not resolved yet. */
export function lib(): typeof sodium {
  if (!ready) throw new Error('crypto not initialised: await initCrypto() first');
  return sodium;
}

/**
 * The raw module when this build exposes it (libsodium.js ≥ 0.7 does), else null — callers then
 * use the wrapper functions. Calling it directly skips five malloc/copy/free rounds per AEAD call.
 */
export function raw(): RawSodium | null {
  lib();
  return rawModule;
}

function findRaw(s: typeof sodium): RawSodium | null {
  const candidate = (s as unknown as { libsodium?: Partial<RawSodium> }).libsodium;
  if (
    candidate !== undefined &&
    candidate.HEAPU8 instanceof Uint8Array &&
    typeof candidate._malloc === 'function' &&
    typeof candidate._free === 'function' &&
    typeof candidate._crypto_aead_xchacha20poly1305_ietf_encrypt === 'function' &&
    typeof candidate._crypto_aead_xchacha20poly1305_ietf_decrypt === 'function'
  ) {
    return candidate as RawSodium;
  }
  return null;
}
