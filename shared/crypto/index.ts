// The crypto core's public API: the only module tree that imports libsodium.
// Spec: docs/vault-format.md. CONTRACT — other parts code against these names and signatures;
// the implementation lives in the sibling modules (one job each).
//
// All functions except initCrypto() are synchronous and require `await initCrypto()` first.
// Failures throw KeyholeError: KDF_PARAMS_TOO_WEAK, DECRYPTION_FAILED, UNSUPPORTED_FORMAT
// (plus INVALID_REQUEST from encryptItem for a payload that fails the SecretPayload schema).
// Programming errors on the sealing side (a 31-byte key, a bad context) throw TypeError.
export type {
  Bytes,
  EncryptedItem,
  EnvelopeContext,
  KdfParams,
  KeyBundle,
  KeyPair,
  UnlockedAccount,
} from './types.js';

export { initCrypto } from './sodium.js';
export { fromBase64url, newId, randomBytes, toBase64url, wipe } from './bytes.js';
export {
  DEFAULT_KDF,
  assertKdfParams,
  deriveMasterKey,
  deriveSubkeys,
  newKdfParams,
} from './kdf.js';
export { openEnvelope, sealEnvelope } from './envelope.js';
export { fingerprint, generateKeyPair, openSealedVaultKey, sealVaultKeyTo } from './sealed-key.js';
export {
  createAccountKeys,
  deriveLoginKeys,
  unlockAccount,
  unwrapVaultKey,
  wrapVaultKey,
} from './account.js';
export { decryptItemData, encryptItem, unwrapItemKey } from './item.js';
export {
  newGrantToken,
  openGrantInfo,
  openGrantPolicy,
  parseGrantToken,
  sealGrant,
  unwrapGrantItemKey,
  type GrantToken,
  type SealedGrant,
} from './grant.js';
