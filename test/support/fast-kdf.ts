// The cheapest argon2id cost the crypto core accepts (its floor: 19 MiB, 2 passes), for test
// accounts: the same code path as real signups, a faster suite.
import { KDF_LIMITS } from '../../shared/crypto/kdf.js';

export const FAST_KDF: { memLimitBytes: number; opsLimit: number } = Object.freeze({
  memLimitBytes: KDF_LIMITS.minMemLimitBytes,
  opsLimit: KDF_LIMITS.minOpsLimit,
});
