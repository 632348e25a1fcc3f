// Account keys (§4): signup bundle, login key derivation, unlocking, personal vault key wrapping.
import type { KeyholeError } from '../errors.js';
import { bytesEqual, fromBase64url, randomBytes, toBase64url, wipe } from './bytes.js';
import { KEY_BYTES, openEnvelope, sealEnvelope } from './envelope.js';
import { decryptionFailed } from './failures.js';
import { deriveMasterKey, deriveSubkeys, newKdfParams } from './kdf.js';
import { generateKeyPair } from './sealed-key.js';
import { generateSignKeyPair, unwrapSignKey, wrapSignKey } from './signing.js';
import { lib } from './sodium.js';
import type { Bytes, KdfParams, KeyBundle, UnlockedAccount } from './types.js';

/** Login step 1: the password + the account's KDF params → auth key (sent) and wrapping key (kept). */
export function deriveLoginKeys(
  password: string,
  kdf: KdfParams,
): { authKey: Bytes; wrappingKey: Bytes } {
  const masterKey = deriveMasterKey(password, kdf);
  try {
    return deriveSubkeys(masterKey);
  } finally {
    wipe(masterKey);
  }
}

/** Signup: fresh account key, key pair and bundle from the master password. */
export function createAccountKeys(
  accountId: string,
  password: string,
  kdf: KdfParams = newKdfParams(),
): { authKey: Bytes; bundle: KeyBundle; unlocked: UnlockedAccount } {
  if (typeof accountId !== 'string') throw new TypeError('accountId must be a string');
  const { authKey, wrappingKey } = deriveLoginKeys(password, kdf);
  const accountKey = randomBytes(KEY_BYTES);
  const keyPair = generateKeyPair();
  const signKeys = generateSignKeyPair();
  const bundle: KeyBundle = {
    kdf: { ...kdf },
    wrappedAccountKey: sealEnvelope(wrappingKey, accountKey, {
      purpose: 'account-key',
      ownerId: accountId,
      itemId: '',
    }),
    publicKey: toBase64url(keyPair.publicKey),
    wrappedPrivateKey: sealEnvelope(accountKey, keyPair.privateKey, {
      purpose: 'private-key',
      ownerId: accountId,
      itemId: '',
    }),
    signPublicKey: toBase64url(signKeys.publicKey),
    wrappedSignKey: wrapSignKey(accountKey, accountId, signKeys),
  };
  wipe(wrappingKey);
  return { authKey, bundle, unlocked: { accountId, accountKey, keyPair, signKeys } };
}

/** Login step 2: open the bundle. The public key must match the private key inside it. */
export function unlockAccount(
  accountId: string,
  wrappingKey: Bytes,
  bundle: KeyBundle,
): UnlockedAccount {
  if (typeof bundle !== 'object' || bundle === null) throw decryptionFailed();
  const accountKey = openEnvelope(wrappingKey, bundle.wrappedAccountKey, {
    purpose: 'account-key',
    ownerId: accountId,
    itemId: '',
  });
  if (accountKey.length !== KEY_BYTES) throw fail(accountKey);
  let privateKey: Bytes;
  try {
    privateKey = openEnvelope(accountKey, bundle.wrappedPrivateKey, {
      purpose: 'private-key',
      ownerId: accountId,
      itemId: '',
    });
  } catch (err) {
    wipe(accountKey);
    throw err;
  }
  if (privateKey.length !== KEY_BYTES) throw fail(accountKey, privateKey);
  let publicKey: Bytes;
  try {
    publicKey = fromBase64url(bundle.publicKey);
  } catch {
    throw fail(accountKey, privateKey);
  }
  // A relay that swapped the public key would have members seal team keys to its own key.
  if (!bytesEqual(publicKey, lib().crypto_scalarmult_base(privateKey)))
    throw fail(accountKey, privateKey);
  const unlocked: UnlockedAccount = { accountId, accountKey, keyPair: { publicKey, privateKey } };
  // A bundle from before signing keys has neither field (migrated at this unlock by the SDK); one
  // field without the other, or a published key that is not the seed's, is tampering.
  if (bundle.wrappedSignKey !== undefined || bundle.signPublicKey !== undefined) {
    if (bundle.wrappedSignKey === undefined || bundle.signPublicKey === undefined)
      throw fail(accountKey, privateKey);
    try {
      unlocked.signKeys = unwrapSignKey(
        accountKey,
        accountId,
        bundle.wrappedSignKey,
        bundle.signPublicKey,
      );
    } catch {
      throw fail(accountKey, privateKey);
    }
  }
  return unlocked;
}

function fail(...keys: Bytes[]): KeyholeError {
  for (const k of keys) wipe(k);
  return decryptionFailed();
}

/** Personal vault key wrapped by the account key (purpose vault-key). */
export function wrapVaultKey(accountKey: Bytes, vaultId: string, vaultKey: Bytes): string {
  if (!(vaultKey instanceof Uint8Array) || vaultKey.length !== KEY_BYTES) {
    throw new TypeError('vaultKey must be 32 bytes');
  }
  return sealEnvelope(accountKey, vaultKey, { purpose: 'vault-key', ownerId: vaultId, itemId: '' });
}

export function unwrapVaultKey(accountKey: Bytes, vaultId: string, wrapped: string): Bytes {
  const key = openEnvelope(accountKey, wrapped, {
    purpose: 'vault-key',
    ownerId: vaultId,
    itemId: '',
  });
  if (key.length !== KEY_BYTES) throw fail(key);
  return key;
}
