// Unit tests for signup, login and personal vault key wrapping.
import { beforeAll, describe, expect, it } from 'vitest';
import { KeyBundleSchema } from '../protocol/auth.js';
import { KeyholeError } from '../errors.js';
import {
  createAccountKeys,
  deriveLoginKeys,
  unlockAccount,
  unwrapVaultKey,
  wrapVaultKey,
} from './account.js';
import { fromBase64url, newId, randomBytes, toBase64url, wipe } from './bytes.js';
import { newKdfParams } from './kdf.js';
import { initCrypto } from './sodium.js';
import type { KdfParams } from './types.js';

const fast = (): KdfParams => ({ ...newKdfParams(), memLimitBytes: 19 * 1024 * 1024, opsLimit: 2 });
const code = (fn: () => unknown): string | undefined => {
  try {
    fn();
    return undefined;
  } catch (err) {
    return err instanceof KeyholeError ? err.code : String(err);
  }
};

beforeAll(async () => {
  await initCrypto();
});

describe('accounts (docs/vault-format.md §4)', () => {
  it('signup makes a wire-valid bundle that login unlocks', () => {
    const accountId = newId();
    const kdf = fast();
    const { authKey, bundle, unlocked } = createAccountKeys(accountId, 'hunter2 ✓', kdf);
    expect(KeyBundleSchema.parse(bundle)).toEqual(bundle);
    expect(authKey).toHaveLength(32);
    expect(bundle.kdf).toEqual(kdf);

    const login = deriveLoginKeys('hunter2 ✓', bundle.kdf);
    expect(login.authKey).toEqual(authKey);
    expect(login.wrappingKey).not.toEqual(authKey);
    const again = unlockAccount(accountId, login.wrappingKey, bundle);
    expect(again.accountKey).toEqual(unlocked.accountKey);
    expect(again.keyPair.privateKey).toEqual(unlocked.keyPair.privateKey);
    expect(toBase64url(again.keyPair.publicKey)).toBe(bundle.publicKey);
  });

  it('uses the default 64 MiB / t=3 parameters when none are given', () => {
    const { bundle } = createAccountKeys(newId(), 'pw');
    expect(bundle.kdf).toMatchObject({
      algorithm: 'argon2id',
      memLimitBytes: 64 * 1024 * 1024,
      opsLimit: 3,
    });
    expect(fromBase64url(bundle.kdf.salt)).toHaveLength(16);
  });

  it('refuses weak parameters at signup', () => {
    expect(code(() => createAccountKeys(newId(), 'pw', { ...fast(), opsLimit: 1 }))).toBe(
      'KDF_PARAMS_TOO_WEAK',
    );
  });

  it('a wrong password, account id or swapped public key is DECRYPTION_FAILED', () => {
    const accountId = newId();
    const { bundle } = createAccountKeys(accountId, 'right', fast());
    const wrong = deriveLoginKeys('wrong', bundle.kdf).wrappingKey;
    expect(code(() => unlockAccount(accountId, wrong, bundle))).toBe('DECRYPTION_FAILED');
    const right = deriveLoginKeys('right', bundle.kdf).wrappingKey;
    expect(code(() => unlockAccount(newId(), right, bundle))).toBe('DECRYPTION_FAILED');
    const swapped = { ...bundle, publicKey: toBase64url(randomBytes(32)) };
    expect(code(() => unlockAccount(accountId, right, swapped))).toBe('DECRYPTION_FAILED');
    const garbled = { ...bundle, publicKey: '!!' };
    expect(code(() => unlockAccount(accountId, right, garbled))).toBe('DECRYPTION_FAILED');
  });

  it('wraps a personal vault key bound to its vault', () => {
    const accountKey = randomBytes(32);
    const vaultKey = randomBytes(32);
    const wrapped = wrapVaultKey(accountKey, 'vault-a', vaultKey);
    expect(unwrapVaultKey(accountKey, 'vault-a', wrapped)).toEqual(vaultKey);
    expect(code(() => unwrapVaultKey(accountKey, 'vault-b', wrapped))).toBe('DECRYPTION_FAILED');
    expect(() => wrapVaultKey(accountKey, 'vault-a', vaultKey.subarray(1))).toThrow(TypeError);
  });

  it('wipe zero-fills', () => {
    const k = randomBytes(32);
    wipe(k);
    expect(k.every((b) => b === 0)).toBe(true);
  });
});
