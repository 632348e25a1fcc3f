// Prelogin for an unknown email: KDF parameters that look like a real account's and stay the same
// on every call, every restart and every relay sharing the database (salt = HMAC(server secret, email)).
import { createHmac } from 'node:crypto';
import type { z } from 'zod';
import type { KdfParamsSchema } from '../../shared/protocol/common.js';
import { DEFAULT_KDF } from '../../shared/crypto/kdf.js';

/** The client's default, so an unknown email looks like a fresh account (16-byte salt). */
export const CLIENT_DEFAULT_KDF = { ...DEFAULT_KDF, saltBytes: 16 };

export function fakeKdf(serverSecret: Buffer, email: string): z.infer<typeof KdfParamsSchema> {
  const salt = createHmac('sha256', serverSecret)
    .update(`keyhole prelogin salt\0${email}`)
    .digest()
    .subarray(0, CLIENT_DEFAULT_KDF.saltBytes)
    .toString('base64url');
  return {
    algorithm: 'argon2id',
    memLimitBytes: CLIENT_DEFAULT_KDF.memLimitBytes,
    opsLimit: CLIENT_DEFAULT_KDF.opsLimit,
    salt,
  };
}
