// Accounts and sessions: prelogin, signup, login, logout (docs/protocol.md, "Auth").
import { z } from 'zod';
import { B64url, Email, Id, KdfParamsSchema, Key32 } from './common.js';

export const PreloginRequest = z.object({ email: Email });
export const PreloginResponse = z.object({ kdf: KdfParamsSchema });

/** What the client keeps encrypted on the relay to unlock on any device. */
export const KeyBundleSchema = z.object({
  kdf: KdfParamsSchema,
  /** account key wrapped by the wrapping key (envelope, purpose account-key) */
  wrappedAccountKey: B64url,
  /** X25519 public key, base64url */
  publicKey: Key32,
  /** X25519 private key wrapped by the account key (envelope, purpose private-key) */
  wrappedPrivateKey: B64url,
  /** Ed25519 public key (signs vault manifests and team statements); absent before migration */
  signPublicKey: Key32.optional(),
  /** its 32-byte seed wrapped by the account key (envelope, purpose sign-key) */
  wrappedSignKey: B64url.optional(),
});

/** POST /v1/accounts/sign-key: an account made before signing keys adds one, once. */
export const SetSignKeyRequest = z.object({ signPublicKey: Key32, wrappedSignKey: B64url.min(1) });

export const SignupRequest = z.object({
  accountId: Id,
  email: Email,
  /** derived from the master key; the relay stores only an argon2id hash of it */
  authKey: Key32,
  keys: KeyBundleSchema,
  /** the personal vault, created with the account: its key wrapped by the account key */
  personalVault: z.object({ id: Id, wrappedKey: B64url }),
});
export const SignupResponse = z.object({ accountId: Id });

export const LoginRequest = z.object({ email: Email, authKey: Key32 });
export const LoginResponse = z.object({
  token: z.string(),
  expiresAt: z.number().int(),
  accountId: Id,
  email: Email,
  keys: KeyBundleSchema,
});

export type PreloginRequest = z.infer<typeof PreloginRequest>;
export type PreloginResponse = z.infer<typeof PreloginResponse>;
export type KeyBundle = z.infer<typeof KeyBundleSchema>;
export type SignupRequest = z.infer<typeof SignupRequest>;
export type SignupResponse = z.infer<typeof SignupResponse>;
export type LoginRequest = z.infer<typeof LoginRequest>;
export type LoginResponse = z.infer<typeof LoginResponse>;
export type SetSignKeyRequest = z.infer<typeof SetSignKeyRequest>;
