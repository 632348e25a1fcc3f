// Unit tests for argon2id parameters, the master key and its subkeys.
import { beforeAll, describe, expect, it } from 'vitest';
import { KeyholeError } from '../errors.js';
import { fromBase64url, toBase64url } from './bytes.js';
import {
  assertKdfParams,
  DEFAULT_KDF,
  deriveMasterKey,
  deriveSubkeys,
  KDF_LIMITS,
  newKdfParams,
} from './kdf.js';
import { initCrypto } from './sodium.js';
import type { KdfParams } from './types.js';

const MIB = 1024 * 1024;
const floor = (): KdfParams => ({
  algorithm: 'argon2id',
  memLimitBytes: 19 * MIB,
  opsLimit: 2,
  salt: toBase64url(new Uint8Array(16).fill(7)),
});
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

describe('KDF parameters', () => {
  it('defaults to 64 MiB, 3 passes, a fresh 16-byte salt', () => {
    expect(DEFAULT_KDF).toEqual({ memLimitBytes: 64 * MIB, opsLimit: 3 });
    const a = newKdfParams();
    const b = newKdfParams();
    expect(a).toMatchObject({ algorithm: 'argon2id', memLimitBytes: 64 * MIB, opsLimit: 3 });
    expect(fromBase64url(a.salt)).toHaveLength(16);
    expect(a.salt).not.toBe(b.salt);
    expect(() => assertKdfParams(a)).not.toThrow();
  });

  it('accepts exactly the floor and the ceiling', () => {
    expect(() => assertKdfParams(floor())).not.toThrow();
    const ceiling = { ...floor(), memLimitBytes: KDF_LIMITS.maxMemLimitBytes, opsLimit: 10 };
    expect(() => assertKdfParams(ceiling)).not.toThrow();
  });

  it.each<[string, Partial<KdfParams> | Record<string, unknown>]>([
    ['memory 1 KiB under 19 MiB', { memLimitBytes: 19 * MIB - 1024 }],
    ['1 pass', { opsLimit: 1 }],
    ['memory over 1 GiB', { memLimitBytes: 1024 * MIB + 1024 }],
    ['11 passes', { opsLimit: 11 }],
    ['NaN passes', { opsLimit: Number.NaN }],
    ['memory as a string', { memLimitBytes: '20000000' }],
    ['argon2i', { algorithm: 'argon2i' }],
    ['15-byte salt', { salt: toBase64url(new Uint8Array(15)) }],
    ['17-byte salt', { salt: toBase64url(new Uint8Array(17)) }],
    ['padded salt', { salt: `${toBase64url(new Uint8Array(16))}==` }],
  ])('refuses %s with KDF_PARAMS_TOO_WEAK', (_name, change) => {
    expect(code(() => assertKdfParams({ ...floor(), ...change } as KdfParams))).toBe(
      'KDF_PARAMS_TOO_WEAK',
    );
  });

  it('refuses before deriving: a 4 GiB request fails at once instead of allocating', () => {
    const start = performance.now();
    const huge = { ...floor(), memLimitBytes: 4096 * MIB, opsLimit: 10 };
    expect(code(() => deriveMasterKey('pw', huge))).toBe('KDF_PARAMS_TOO_WEAK');
    expect(code(() => deriveMasterKey('pw', { ...floor(), opsLimit: 1 }))).toBe(
      'KDF_PARAMS_TOO_WEAK',
    );
    expect(performance.now() - start).toBeLessThan(50);
  });
});

describe('master key and subkeys', () => {
  it('is deterministic, NFC-normalised, and sensitive to password and salt', () => {
    const a = deriveMasterKey('caf\u00e9', floor());
    expect(a).toHaveLength(32);
    expect(deriveMasterKey('cafe\u0301', floor())).toEqual(a);
    expect(deriveMasterKey('cafe', floor())).not.toEqual(a);
    const otherSalt = { ...floor(), salt: toBase64url(new Uint8Array(16).fill(8)) };
    expect(deriveMasterKey('caf\u00e9', otherSalt)).not.toEqual(a);
  });

  it('derives two distinct 32-byte subkeys, neither equal to the master key', () => {
    const master = new Uint8Array(32).fill(1);
    const { authKey, wrappingKey } = deriveSubkeys(master);
    expect(authKey).toHaveLength(32);
    expect(wrappingKey).toHaveLength(32);
    expect(authKey).not.toEqual(wrappingKey);
    expect(authKey).not.toEqual(master);
    expect(deriveSubkeys(master)).toEqual({ authKey, wrappingKey });
    expect(() => deriveSubkeys(new Uint8Array(31))).toThrow(TypeError);
  });
});
