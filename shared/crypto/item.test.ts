// Unit tests for vault items: encryption, the relay's one-item decryption, schema checks.
import { beforeAll, describe, expect, it } from 'vitest';
import { KeyholeError } from '../errors.js';
import type { SecretPayload } from '../protocol/secret.js';
import { randomBytes } from './bytes.js';
import { decryptItemData, encryptItem, unwrapItemKey } from './item.js';
import { initCrypto } from './sodium.js';

const payload: SecretPayload = {
  name: 'OPENAI',
  type: 'bearer',
  value: 'sk-live-0123456789',
  allowedHosts: ['api.openai.com'],
  allowedOrigins: [],
  description: '',
};

beforeAll(async () => {
  await initCrypto();
});

describe('items (docs/vault-format.md §7)', () => {
  it('round-trips, with a fresh item key each time unless one is given', () => {
    const vaultKey = randomBytes(32);
    const a = encryptItem(vaultKey, 'v', 'i', payload);
    const b = encryptItem(vaultKey, 'v', 'i', payload);
    expect(a.itemKey).not.toEqual(b.itemKey);
    expect(unwrapItemKey(vaultKey, 'v', 'i', a.wrappedKey)).toEqual(a.itemKey);
    expect(decryptItemData(a.itemKey, 'v', 'i', a.data)).toEqual(payload);
    const given = randomBytes(32);
    const c = encryptItem(vaultKey, 'v', 'i', payload, given);
    expect(c.itemKey).toBe(given);
    expect(decryptItemData(given, 'v', 'i', c.data)).toEqual(payload);
  });

  it('fills schema defaults on the way in', () => {
    const vaultKey = randomBytes(32);
    const minimal = { name: 'X', type: 'plain', value: 'v', allowedHosts: ['h'] } as SecretPayload;
    const item = encryptItem(vaultKey, 'v', 'i', minimal);
    expect(decryptItemData(item.itemKey, 'v', 'i', item.data)).toEqual({
      ...minimal,
      allowedOrigins: [],
      description: '',
    });
  });

  it('refuses an invalid payload with INVALID_REQUEST naming fields, never values', () => {
    const vaultKey = randomBytes(32);
    const bad = { ...payload, name: 'bad name with spaces sk-live-0123456789', allowedHosts: [] };
    try {
      encryptItem(vaultKey, 'v', 'i', bad);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(KeyholeError);
      expect((err as KeyholeError).code).toBe('INVALID_REQUEST');
      expect((err as KeyholeError).message).toMatch(/name/);
      expect((err as KeyholeError).message).toMatch(/allowedHosts/);
      expect((err as KeyholeError).message).not.toMatch(/sk-live/);
    }
  });

  it('a 31-byte or wrong item key fails as DECRYPTION_FAILED (the relay gets keys from requests)', () => {
    const item = encryptItem(randomBytes(32), 'v', 'i', payload);
    for (const key of [item.itemKey.subarray(1), randomBytes(32), new Uint8Array(0)]) {
      expect(() => decryptItemData(key, 'v', 'i', item.data)).toThrow(
        expect.objectContaining({ code: 'DECRYPTION_FAILED', message: 'Decryption failed.' }),
      );
    }
    expect(() => encryptItem(randomBytes(32), 'v', 'i', payload, randomBytes(16))).toThrow(
      TypeError,
    );
  });
});
