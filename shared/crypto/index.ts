// The crypto core's public API: the only module tree that imports libsodium.
// Spec: docs/vault-format.md. CONTRACT — other parts code against these signatures;
// the implementation lives in the sibling modules.
//
// All functions except initCrypto() are synchronous and require `await initCrypto()` first.
// Failures throw KeyholeError: KDF_PARAMS_TOO_WEAK, DECRYPTION_FAILED, UNSUPPORTED_FORMAT.
import type { KdfParams, KeyBundle } from '../protocol/index.js';
import type { SecretPayload } from '../protocol/secret.js';

export type { KdfParams, KeyBundle };
export type Bytes = Uint8Array;

export const NOT_IMPLEMENTED = 'crypto core not implemented yet';

export interface KeyPair {
  publicKey: Bytes;
  privateKey: Bytes;
}

/** What an envelope is bound to (its associated data). ids are 22-char base64url ids. */
export interface EnvelopeContext {
  purpose: 'account-key' | 'private-key' | 'vault-key' | 'item-key' | 'item';
  /** account id for account-key/private-key; vault id otherwise */
  ownerId: string;
  /** item id for item-key/item; '' otherwise */
  itemId: string;
}

export interface UnlockedAccount {
  accountId: string;
  accountKey: Bytes;
  keyPair: KeyPair;
}

export interface EncryptedItem {
  wrappedKey: string;
  data: string;
}

export declare function initCrypto(): Promise<void>;
/** 16 random bytes as a 22-char base64url id. */
export declare function newId(): string;
export declare function randomBytes(length: number): Bytes;
export declare function toBase64url(bytes: Bytes): string;
export declare function fromBase64url(text: string): Bytes;

export declare const DEFAULT_KDF: { memLimitBytes: number; opsLimit: number };
export declare function newKdfParams(): KdfParams;
/** Throws KDF_PARAMS_TOO_WEAK under 19 MiB or 2 passes (before any work). */
export declare function assertKdfParams(params: KdfParams): void;
/** NFC-normalises the password, argon2id → 32-byte master key. */
export declare function deriveMasterKey(password: string, params: KdfParams): Bytes;
/** Labelled, independent subkeys of the master key. */
export declare function deriveSubkeys(masterKey: Bytes): { authKey: Bytes; wrappingKey: Bytes };

export declare function sealEnvelope(key: Bytes, plaintext: Bytes, ctx: EnvelopeContext): string;
export declare function openEnvelope(key: Bytes, envelope: string, ctx: EnvelopeContext): Bytes;

export declare function generateKeyPair(): KeyPair;
/** Seal a vault key to a member's public key, bound to (vaultId, keyGeneration). */
export declare function sealVaultKeyTo(
  publicKey: Bytes,
  vaultKey: Bytes,
  vaultId: string,
  keyGeneration: number,
): string;
export declare function openSealedVaultKey(
  keyPair: KeyPair,
  sealed: string,
  vaultId: string,
  keyGeneration: number,
): Bytes;
/** Short, human-comparable fingerprint of a public key, e.g. "3F9A-77C1-0B2E-D4A8-91FF". */
export declare function fingerprint(publicKey: Bytes): string;

/** Signup: fresh account key, key pair and bundle from the master password. */
export declare function createAccountKeys(
  accountId: string,
  password: string,
  kdf?: KdfParams,
): { authKey: Bytes; bundle: KeyBundle; unlocked: UnlockedAccount };
/** Login step 1: the password + the account's KDF params → auth key (sent) and wrapping key (kept). */
export declare function deriveLoginKeys(
  password: string,
  kdf: KdfParams,
): { authKey: Bytes; wrappingKey: Bytes };
/** Login step 2: open the bundle. */
export declare function unlockAccount(
  accountId: string,
  wrappingKey: Bytes,
  bundle: KeyBundle,
): UnlockedAccount;

/** Personal vault key wrapped by the account key (purpose vault-key). */
export declare function wrapVaultKey(accountKey: Bytes, vaultId: string, vaultKey: Bytes): string;
export declare function unwrapVaultKey(accountKey: Bytes, vaultId: string, wrapped: string): Bytes;

/** A fresh item key; item key wrapped by the vault key; the payload encrypted by the item key. */
export declare function encryptItem(
  vaultKey: Bytes,
  vaultId: string,
  itemId: string,
  payload: SecretPayload,
  itemKey?: Bytes,
): EncryptedItem & { itemKey: Bytes };
export declare function unwrapItemKey(
  vaultKey: Bytes,
  vaultId: string,
  itemId: string,
  wrappedKey: string,
): Bytes;
/** What the relay does: open one item's data with its item key alone. */
export declare function decryptItemData(
  itemKey: Bytes,
  vaultId: string,
  itemId: string,
  data: string,
): SecretPayload;
/** Zero a key buffer when done with it (best effort in JS). */
export declare function wipe(bytes: Bytes): void;
