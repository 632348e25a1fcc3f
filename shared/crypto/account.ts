// Account keys (§4): signup bundle, login key derivation, unlocking, personal vault key wrapping.
import type { KeyholeError } from '../errors.js';
import { assertBytes, bytesEqual, fromBase64url, randomBytes, toBase64url, wipe } from './bytes.js';
import type { RandomSource } from './bytes.js';
import { KEY_BYTES, NONCE_BYTES, openKey, sealEnvelopeWithNonce } from './envelope.js';
import { decryptionFailed } from './failures.js';
import { deriveMasterKey, deriveSubkeys, newKdfParams } from './kdf.js';
import { generateKeyPair } from './sealed-key.js';
import { generateSignKeyPair, unwrapSignKey, wrapSignKeyWith } from './signing.js';
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
  return createAccountKeysWith(randomBytes, accountId, password, kdf);
}

/** createAccountKeys with its keys and nonces drawn from `random` (test/vectors/generate.ts). */
export function createAccountKeysWith(
  random: RandomSource,
  accountId: string,
  password: string,
  kdf: KdfParams,
): { authKey: Bytes; bundle: KeyBundle; unlocked: UnlockedAccount } {
  if (typeof accountId !== 'string') throw new TypeError('accountId must be a string');
  const { authKey, wrappingKey } = deriveLoginKeys(password, kdf);
  const accountKey = random(KEY_BYTES);
  const keyPair = generateKeyPair(random(KEY_BYTES));
  const signKeys = generateSignKeyPair(random(KEY_BYTES));
  const bundle: KeyBundle = {
    kdf: { ...kdf },
    wrappedAccountKey: sealEnvelopeWithNonce(
      wrappingKey,
      accountKey,
      { purpose: 'account-key', ownerId: accountId, itemId: '' },
      random(NONCE_BYTES),
    ),
    publicKey: toBase64url(keyPair.publicKey),
    wrappedPrivateKey: sealEnvelopeWithNonce(
      accountKey,
      keyPair.privateKey,
      { purpose: 'private-key', ownerId: accountId, itemId: '' },
      random(NONCE_BYTES),
    ),
    signPublicKey: toBase64url(signKeys.publicKey),
    wrappedSignKey: wrapSignKeyWith(random, accountKey, accountId, signKeys),
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
  const accountKey = openKey(wrappingKey, bundle.wrappedAccountKey, {
    purpose: 'account-key',
    ownerId: accountId,
    itemId: '',
  });
  let privateKey: Bytes;
  try {
    privateKey = openKey(accountKey, bundle.wrappedPrivateKey, {
      purpose: 'private-key',
      ownerId: accountId,
      itemId: '',
    });
  } catch (err) {
    wipe(accountKey);
    throw err;
  }
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
  return wrapVaultKeyWith(randomBytes, accountKey, vaultId, vaultKey);
}

/** wrapVaultKey with its nonce drawn from `random` (test/vectors/generate.ts). */
export function wrapVaultKeyWith(
  random: RandomSource,
  accountKey: Bytes,
  vaultId: string,
  vaultKey: Bytes,
): string {
  assertBytes(vaultKey, KEY_BYTES, 'vaultKey');
  return sealEnvelopeWithNonce(
    accountKey,
    vaultKey,
    { purpose: 'vault-key', ownerId: vaultId, itemId: '' },
    random(NONCE_BYTES),
  );
}

export function unwrapVaultKey(accountKey: Bytes, vaultId: string, wrapped: string): Bytes {
  return openKey(accountKey, wrapped, { purpose: 'vault-key', ownerId: vaultId, itemId: '' });
}
