// Building blocks for the wire schemas: ids, base64url blobs, envelopes.
import { z } from 'zod';

/** Client-generated ids (accounts, vaults, items): 16 random bytes, base64url, no padding. */
export const ID_RE = /^[A-Za-z0-9_-]{22}$/;
export const Id = z.string().regex(ID_RE, 'must be a 22-character base64url id');
/**
 * Any base64url blob (keys, envelopes), bounded so nothing unbounded reaches a decoder. The bound
 * fits a maximal item (64 KiB of 3-byte characters ≈ 262,000 characters encrypted) with room for
 * template fields; request bodies are capped at 1 MiB before parsing anyway.
 */
export const B64url = z
  .string()
  .max(1_400_000)
  .regex(/^[A-Za-z0-9_-]*$/, 'must be base64url without padding');
/** A 32-byte key, base64url (43 characters). */
export const KEY32_RE = /^[A-Za-z0-9_-]{43}$/;
export const Key32 = z.string().regex(KEY32_RE, 'must be a 32-byte base64url key');
export const Email = z.string().trim().toLowerCase().max(254).pipe(z.email());
/** Server-assigned, strictly increasing per vault. */
export const Revision = z.number().int().min(0);

export const KdfParamsSchema = z.object({
  algorithm: z.literal('argon2id'),
  memLimitBytes: z.number().int().positive(),
  opsLimit: z.number().int().positive(),
  salt: B64url.max(64),
});

export type KdfParams = z.infer<typeof KdfParamsSchema>;
