// The crypto core's three failure kinds, thrown as KeyholeError with fixed messages (no oracle).
import { KeyholeError } from '../errors.js';

/** Every decryption failure: bad encoding, truncated, tampered, wrong key, wrong context. */
export function decryptionFailed(): KeyholeError {
  return new KeyholeError('DECRYPTION_FAILED');
}

/** An envelope or sealed key whose version or algorithm byte this build does not know. */
export function unsupportedFormat(): KeyholeError {
  return new KeyholeError('UNSUPPORTED_FORMAT');
}

export function kdfTooWeak(detail: string): KeyholeError {
  return new KeyholeError(
    'KDF_PARAMS_TOO_WEAK',
    `The key-derivation parameters are refused: ${detail}.`,
  );
}
