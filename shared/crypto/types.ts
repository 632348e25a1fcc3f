// Types shared by the crypto modules (the public ones are re-exported from index.ts).
import type { z } from 'zod';
import type { KdfParamsSchema, KeyBundle } from '../protocol/index.js';

export type { KeyBundle };
/** argon2id parameters as stored with the account (shared/protocol/common.ts KdfParamsSchema). */
export type KdfParams = z.infer<typeof KdfParamsSchema>;
export type Bytes = Uint8Array;

export interface KeyPair {
  publicKey: Bytes;
  privateKey: Bytes;
}

/** What an envelope is bound to (its associated data). ids are 22-char base64url ids. */
export interface EnvelopeContext {
  purpose:
    | 'account-key'
    | 'private-key'
    | 'sign-key'
    | 'vault-key'
    | 'item-key'
    | 'item'
    | 'grant-item-key'
    | 'grant-policy'
    | 'grant-info';
  /** account id for account-key/private-key; grant id for grant-item-key/grant-policy; vault id otherwise */
  ownerId: string;
  /** item id for item-key/item; '' otherwise */
  itemId: string;
}

/** Ed25519: `secretKey` is libsodium's 64-byte form, `seed` the 32 bytes it expands from. */
export interface SignKeyPair {
  publicKey: Bytes;
  secretKey: Bytes;
  seed: Bytes;
}

export interface UnlockedAccount {
  accountId: string;
  accountKey: Bytes;
  keyPair: KeyPair;
  /** absent only for an account made before signing keys, until its next unlock migrates it */
  signKeys?: SignKeyPair;
}

export interface EncryptedItem {
  wrappedKey: string;
  data: string;
}
