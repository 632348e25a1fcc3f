// The crypto core's public API: the only module tree that imports libsodium.
// Spec: docs/vault-format.md. CONTRACT — other parts code against these names and signatures;
// the implementation lives in the sibling modules (one job each).
//
// All functions except initCrypto() are synchronous and require `await initCrypto()` first.
// Failures throw KeyholeError: KDF_PARAMS_TOO_WEAK, DECRYPTION_FAILED, UNSUPPORTED_FORMAT
// (plus INVALID_REQUEST from encryptItem for a payload that fails the SecretPayload schema).
// Programming errors on the sealing side (a 31-byte key, a bad context) throw TypeError.
// Not exported here on purpose: the explicit-randomness twins (sealEnvelopeWithNonce,
// encryptItemWith, …) that test/vectors/generate.ts uses (docs/vault-format.md §1).
export type {
  Bytes,
  EncryptedItem,
  EnvelopeContext,
  KdfParams,
  KeyBundle,
  KeyPair,
  SignKeyPair,
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
export {
  fingerprint,
  generateKeyPair,
  identityFingerprint,
  openSealedVaultKey,
  sealVaultKeyTo,
} from './sealed-key.js';
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
export {
  decryptItemRecord,
  encryptItemRecord,
  itemHash,
  itemHashBytes,
  ITEM_RECORD_TAG,
  type ItemRecordPlain,
} from './item.js';
export {
  bodyHash,
  generateSignKeyPair,
  signBody,
  unwrapSignKey,
  verifyBody,
  wrapSignKey,
} from './signing.js';
export {
  MANIFEST_DOMAIN,
  openManifest,
  peekManifest,
  signManifest,
  vaultFingerprint,
  type ManifestEntry,
  type SignedManifest,
  type VerifiedManifest,
} from './manifest.js';
export {
  STATEMENT_DOMAIN,
  signStatement,
  statementHash,
  verifyChain,
  type ChainMember,
  type SignedStatement,
  type StatementInput,
  type TeamRole,
  type VerifiedChain,
} from './membership.js';
