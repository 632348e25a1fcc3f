// Unit tests for key pairs, sealed vault keys and fingerprints.
import { beforeAll, describe, expect, it } from 'vitest';
import { fromBase64url, randomBytes } from './bytes.js';
import { fingerprint, generateKeyPair, openSealedVaultKey, sealVaultKeyTo } from './sealed-key.js';
import { initCrypto, lib } from './sodium.js';

beforeAll(async () => {
  await initCrypto();
});

describe('sealed vault keys (docs/vault-format.md §5)', () => {
  it('generateKeyPair gives an X25519 pair libsodium’s crypto_box accepts', () => {
    const a = generateKeyPair();
    const b = generateKeyPair();
    expect(a.publicKey).toEqual(lib().crypto_scalarmult_base(a.privateKey));
    const nonce = randomBytes(24);
    const box = lib().crypto_box_easy('hi', nonce, b.publicKey, a.privateKey);
    expect(lib().to_string(lib().crypto_box_open_easy(box, nonce, a.publicKey, b.privateKey))).toBe(
      'hi',
    );
  });

  it('round-trips with a 01 02 header and 48 bytes of box overhead', () => {
    const member = generateKeyPair();
    const vaultKey = randomBytes(32);
    const sealed = sealVaultKeyTo(member.publicKey, vaultKey, 'vault-1', 3);
    const bytes = fromBase64url(sealed);
    expect([bytes[0], bytes[1]]).toEqual([1, 2]);
    const inner = 4 + 27 + 4 + 2 + 4 + 'vault-1'.length + 4 + 4 + 4 + 32;
    expect(bytes).toHaveLength(2 + 48 + inner);
    expect(openSealedVaultKey(member, sealed, 'vault-1', 3)).toEqual(vaultKey);
    expect(sealVaultKeyTo(member.publicKey, vaultKey, 'vault-1', 3)).not.toBe(sealed);
  });

  it('refuses bad arguments on the sealing side', () => {
    const { publicKey } = generateKeyPair();
    const key = randomBytes(32);
    expect(() => sealVaultKeyTo(publicKey.subarray(1), key, 'v', 0)).toThrow(/publicKey/);
    expect(() => sealVaultKeyTo(publicKey, key.subarray(1), 'v', 0)).toThrow(/vaultKey/);
    expect(() => sealVaultKeyTo(publicKey, key, 'v', -1)).toThrow(/keyGeneration/);
    expect(() => sealVaultKeyTo(publicKey, key, 'v', 2 ** 32)).toThrow(/keyGeneration/);
    expect(() => sealVaultKeyTo(publicKey, key, 'v', 1.5)).toThrow(/keyGeneration/);
  });
});

describe('fingerprint (docs/vault-format.md §6)', () => {
  it('is 5 groups of 4 uppercase hex digits, stable, and differs between keys', () => {
    const a = generateKeyPair().publicKey;
    const b = generateKeyPair().publicKey;
    expect(fingerprint(a)).toMatch(/^[0-9A-F]{4}(-[0-9A-F]{4}){4}$/);
    expect(fingerprint(a)).toBe(fingerprint(a.slice()));
    expect(fingerprint(a)).not.toBe(fingerprint(b));
    expect(() => fingerprint(a.subarray(1))).toThrow(TypeError);
  });
});
