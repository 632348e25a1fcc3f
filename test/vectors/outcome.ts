// Maps what a crypto call did to a vector's expected outcome class (docs/vault-format.md §10).
import { KeyholeError } from '../../shared/errors.js';
import type { Expected } from './generate.js';

const CLASSES: Partial<Record<string, Expected>> = {
  DECRYPTION_FAILED: 'decryption_failed',
  UNSUPPORTED_FORMAT: 'unsupported_format',
  KDF_PARAMS_TOO_WEAK: 'kdf_too_weak',
  VAULT_VERIFICATION_FAILED: 'verification_failed',
};

/** Runs `fn`: 'ok' if it returns, the class of a KeyholeError it throws; anything else is rethrown. */
export function outcome(fn: () => unknown): Expected {
  try {
    fn();
    return 'ok';
  } catch (err) {
    const cls = err instanceof KeyholeError ? CLASSES[err.code] : undefined;
    if (cls === undefined) throw err;
    // No oracle: every decryption failure says the same thing.
    if (
      cls === 'decryption_failed' &&
      err instanceof KeyholeError &&
      err.message !== 'Decryption failed.'
    ) {
      throw new Error(`DECRYPTION_FAILED with a non-fixed message: ${err.message}`);
    }
    return cls;
  }
}
