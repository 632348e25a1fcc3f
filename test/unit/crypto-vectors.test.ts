// Runs every vault-format vector file (test/vectors/*.json) and the published known-answer tests.
import { readFileSync } from 'node:fs';
import { hashRaw } from '@node-rs/argon2';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  decryptItemData,
  deriveLoginKeys,
  deriveMasterKey,
  deriveSubkeys,
  fingerprint,
  fromBase64url,
  initCrypto,
  openEnvelope,
  openSealedVaultKey,
  unlockAccount,
  unwrapItemKey,
  unwrapVaultKey,
  type EnvelopeContext,
  type KdfParams,
  type KeyBundle,
} from '../../shared/crypto/index.js';
import { lib } from '../../shared/crypto/sodium.js';
import type { SecretPayload } from '../../shared/protocol/secret.js';
import { generateVectors, vectorPath, VECTOR_FILES, type Expected } from '../vectors/generate.js';
import { outcome } from '../vectors/outcome.js';

interface VectorFile<C> {
  source: string;
  cases: C[];
}
const load = <T>(name: string): T => JSON.parse(readFileSync(vectorPath(name), 'utf8')) as T;
const hex = (b: Uint8Array): string => lib().to_hex(b);
const unhex = (h: string): Uint8Array => lib().from_hex(h);

beforeAll(async () => {
  await initCrypto();
});

describe('vector files', () => {
  it('every file names its source and gives each case an outcome class', () => {
    const classes: Expected[] = [
      'ok',
      'decryption_failed',
      'unsupported_format',
      'kdf_too_weak',
      'verification_failed',
    ];
    for (const name of VECTOR_FILES) {
      const file = load<VectorFile<{ expected: string }>>(name);
      expect(file.source.length).toBeGreaterThan(10);
      expect(file.cases.length).toBeGreaterThan(0);
      for (const c of file.cases) expect(classes).toContain(c.expected);
    }
  });

  it('are exactly what generate.ts produces (deterministic, up to date)', async () => {
    const fresh = JSON.parse(JSON.stringify(await generateVectors())) as Record<string, unknown>;
    for (const name of VECTOR_FILES) expect(load(name), name).toEqual(fresh[name]);
  });
});

describe('envelope.json', () => {
  type Case = {
    name: string;
    key: string;
    context: EnvelopeContext;
    envelope: string;
    expected: Expected;
    plaintext?: string;
  };
  const { cases } = load<VectorFile<Case>>('envelope');
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    let plaintext: Uint8Array | undefined;
    expect(outcome(() => (plaintext = openEnvelope(unhex(c.key), c.envelope, c.context)))).toBe(
      c.expected,
    );
    if (c.expected === 'ok') expect(hex(plaintext as Uint8Array)).toBe(c.plaintext);
  });
  it('covers success, tampered, truncated, wrong version, wrong algorithm and wrong context', () => {
    const kinds = ['ok', 'tampered', 'truncated', 'unsupported: version', 'unsupported: algorithm'];
    for (const prefix of [...kinds, 'wrong context', 'wrong key', 'bad encoding']) {
      expect(
        cases.some((c) => c.name.startsWith(prefix)),
        prefix,
      ).toBe(true);
    }
  });
});

describe('kdf.json', () => {
  type Case = {
    name: string;
    password: string;
    kdf: KdfParams;
    expected: Expected;
    masterKey?: string;
    authKey?: string;
    wrappingKey?: string;
  };
  const { cases } = load<VectorFile<Case>>('kdf');
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    let master: Uint8Array | undefined;
    expect(outcome(() => (master = deriveMasterKey(c.password, c.kdf)))).toBe(c.expected);
    if (c.expected !== 'ok') return;
    const { authKey, wrappingKey } = deriveSubkeys(master as Uint8Array);
    expect([hex(master as Uint8Array), hex(authKey), hex(wrappingKey)]).toEqual([
      c.masterKey,
      c.authKey,
      c.wrappingKey,
    ]);
  });
  it('NFC: both spellings of é give the same master key', () => {
    const nfc = cases.filter((c) => c.name.startsWith('ok: NFC'));
    expect(nfc).toHaveLength(2);
    expect(nfc[0]?.password).not.toBe(nfc[1]?.password);
    expect(nfc[0]?.masterKey).toBe(nfc[1]?.masterKey);
  });
  it('matches @node-rs/argon2 (an independent implementation) at the floor parameters', async () => {
    const c = cases[0] as Case;
    const raw = await hashRaw(c.password, {
      // algorithm left at its default, Argon2id v0x13
      memoryCost: c.kdf.memLimitBytes / 1024,
      timeCost: c.kdf.opsLimit,
      parallelism: 1,
      outputLen: 32,
      salt: fromBase64url(c.kdf.salt),
    });
    expect(hex(raw)).toBe(c.masterKey);
  });
});

describe('account.json', () => {
  type Case = {
    name: string;
    accountId: string;
    password: string;
    bundle: KeyBundle;
    expected: Expected;
    authKey?: string;
    accountKey?: string;
    privateKey?: string;
    publicKey?: string;
    fingerprint?: string;
    vaultId?: string;
    wrappedVaultKey?: string;
    vaultKey?: string;
  };
  const { cases } = load<VectorFile<Case>>('account');
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    let authKey: Uint8Array | undefined;
    let unlocked: ReturnType<typeof unlockAccount> | undefined;
    const got = outcome(() => {
      const keys = deriveLoginKeys(c.password, c.bundle.kdf);
      authKey = keys.authKey;
      unlocked = unlockAccount(c.accountId, keys.wrappingKey, c.bundle);
    });
    expect(got).toBe(c.expected);
    if (c.expected !== 'ok' || unlocked === undefined) return;
    expect(hex(authKey as Uint8Array)).toBe(c.authKey);
    expect(hex(unlocked.accountKey)).toBe(c.accountKey);
    expect(hex(unlocked.keyPair.privateKey)).toBe(c.privateKey);
    expect(hex(unlocked.keyPair.publicKey)).toBe(c.publicKey);
    expect(fingerprint(unlocked.keyPair.publicKey)).toBe(c.fingerprint);
    const vaultKey = unwrapVaultKey(unlocked.accountKey, c.vaultId ?? '', c.wrappedVaultKey ?? '');
    expect(hex(vaultKey)).toBe(c.vaultKey);
  });
});

describe('sealed-key.json', () => {
  type Case = {
    name: string;
    recipient: { publicKey: string; privateKey: string };
    vaultId: string;
    keyGeneration: number;
    sealed: string;
    expected: Expected;
    vaultKey?: string;
  };
  type File = VectorFile<Case> & {
    fingerprints: Array<{ publicKey: string; fingerprint: string }>;
  };
  const file = load<File>('sealed-key');
  const keyPairOf = (c: Case) => ({
    publicKey: unhex(c.recipient.publicKey),
    privateKey: unhex(c.recipient.privateKey),
  });
  it.each(file.cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    let key: Uint8Array | undefined;
    const got = outcome(
      () => (key = openSealedVaultKey(keyPairOf(c), c.sealed, c.vaultId, c.keyGeneration)),
    );
    expect(got).toBe(c.expected);
    if (c.expected === 'ok') expect(hex(key as Uint8Array)).toBe(c.vaultKey);
  });
  it('the box inside is a standard crypto_box_seal', () => {
    const c = file.cases[0] as Case;
    const { publicKey, privateKey } = keyPairOf(c);
    const inner = lib().crypto_box_seal_open(
      fromBase64url(c.sealed).subarray(2),
      publicKey,
      privateKey,
    );
    expect(hex(inner.subarray(-32))).toBe(c.vaultKey);
  });
  it('fingerprints', () => {
    for (const f of file.fingerprints) {
      expect(fingerprint(unhex(f.publicKey))).toBe(f.fingerprint);
      expect(f.fingerprint).toMatch(/^[0-9A-F]{4}(-[0-9A-F]{4}){4}$/);
    }
  });
});

describe('item.json', () => {
  type Case = {
    name: string;
    vaultId: string;
    itemId: string;
    wrappedKey: string;
    data: string;
    expected: Expected;
    itemKey?: string;
    payload?: SecretPayload;
  };
  const file = load<VectorFile<Case> & { vaultKey: string }>('item');
  it.each(file.cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    let payload: SecretPayload | undefined;
    let itemKey: Uint8Array | undefined;
    const got = outcome(() => {
      itemKey = unwrapItemKey(unhex(file.vaultKey), c.vaultId, c.itemId, c.wrappedKey);
      payload = decryptItemData(itemKey, c.vaultId, c.itemId, c.data);
    });
    expect(got).toBe(c.expected);
    if (c.expected !== 'ok') return;
    expect(hex(itemKey as Uint8Array)).toBe(c.itemKey);
    expect(payload).toEqual(c.payload);
  });
});

describe('known-answer.json (published vectors)', () => {
  type Aead = {
    name: string;
    plaintext: string;
    aad: string;
    key: string;
    nonce: string;
    ciphertext: string;
    tag: string;
    expected: string;
  };
  type Encoded = {
    name: string;
    password: string;
    salt: string;
    timeCost: number;
    memoryKiB: number;
    parallelism: number;
    hash?: string;
    encoded: string;
    expected: string;
  };
  type Raw = {
    name: string;
    password: string;
    salt: string;
    outLength: number;
    opsLimit: number;
    memLimitBytes: number;
    hash: string;
  };
  const kat = load<{
    xchacha20poly1305: VectorFile<Aead>;
    argon2id_encoded: VectorFile<Encoded>;
    argon2id_raw: VectorFile<Raw>;
  }>('known-answer');

  it.each(kat.xchacha20poly1305.cases.map((c) => [c.name, c] as const))(
    'XChaCha20-Poly1305 %s',
    (_n, c) => {
      const s = lib();
      const [key, nonce, aad] = [unhex(c.key), unhex(c.nonce), unhex(c.aad)];
      const sealed = unhex(c.ciphertext + c.tag);
      const open = () =>
        s.crypto_aead_xchacha20poly1305_ietf_decrypt(null, sealed, aad, nonce, key);
      if (c.expected === 'ok') {
        const made = s.crypto_aead_xchacha20poly1305_ietf_encrypt(
          unhex(c.plaintext),
          aad,
          null,
          nonce,
          key,
        );
        expect(hex(made)).toBe(c.ciphertext + c.tag);
        expect(hex(open())).toBe(c.plaintext);
      } else {
        expect(open).toThrow();
      }
    },
  );

  it.each(kat.argon2id_encoded.cases.map((c) => [c.name, c] as const))(
    'argon2id (reference implementation) %s',
    async (_n, c) => {
      expect(lib().crypto_pwhash_str_verify(c.encoded, c.password)).toBe(c.expected === 'ok');
      if (c.hash === undefined) return;
      const raw = await hashRaw(c.password, {
        memoryCost: c.memoryKiB,
        timeCost: c.timeCost,
        parallelism: c.parallelism,
        outputLen: c.hash.length / 2,
        salt: new TextEncoder().encode(c.salt),
      });
      expect(hex(raw)).toBe(c.hash);
    },
  );

  it.each(kat.argon2id_raw.cases.map((c) => [c.name, c] as const))(
    'argon2id (libsodium test suite) %s',
    (_n, c) => {
      const s = lib();
      const out = s.crypto_pwhash(
        c.outLength,
        unhex(c.password),
        unhex(c.salt),
        c.opsLimit,
        c.memLimitBytes,
        s.crypto_pwhash_ALG_ARGON2ID13,
      );
      expect(hex(out)).toBe(c.hash);
    },
  );
});
