// Property tests for the crypto core (fast-check): round trips, tamper detection, context binding,
// nonce uniqueness. KEYHOLE_FUZZ_RUNS raises the run counts (`npm run test:slow`).
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  decryptItemData,
  encryptItem,
  fromBase64url,
  generateKeyPair,
  initCrypto,
  openEnvelope,
  openSealedVaultKey,
  randomBytes,
  sealEnvelope,
  sealVaultKeyTo,
  toBase64url,
  unwrapItemKey,
  type EnvelopeContext,
} from '../../shared/crypto/index.js';
import type { SecretPayload } from '../../shared/protocol/secret.js';
import { outcome } from '../vectors/outcome.js';

const RUNS = Number(process.env.KEYHOLE_FUZZ_RUNS ?? 200);
/** Properties that build 64 KiB strings get a hundredth of the budget. */
const HEAVY_RUNS = Math.max(20, Math.floor(RUNS / 100));
/** Properties that do several public-key or item operations per run get a quarter / a tenth. */
const ITEM_RUNS = Math.max(50, Math.floor(RUNS / 4));
const BOX_RUNS = Math.max(20, Math.floor(RUNS / 10));
const NONCES = Math.max(100_000, Number(process.env.KEYHOLE_NONCE_COUNT ?? 0));

const PURPOSES = ['account-key', 'private-key', 'vault-key', 'item-key', 'item'] as const;
const id = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9_-]{22}$/),
  fc.string({ maxLength: 40, unit: 'binary' }),
);
const ctxArb: fc.Arbitrary<EnvelopeContext> = fc.record({
  purpose: fc.constantFrom(...PURPOSES),
  ownerId: id,
  itemId: id,
});
const key32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
const sameCtx = (a: EnvelopeContext, b: EnvelopeContext) =>
  a.purpose === b.purpose && a.ownerId === b.ownerId && a.itemId === b.itemId;
const failsCleanly = (fn: () => unknown) =>
  ['decryption_failed', 'unsupported_format'].includes(outcome(fn));
/** Byte equality without vitest's deep-equal machinery (~1 ms a call on typed arrays). */
const same = (a: Uint8Array, b: Uint8Array) =>
  a.length === b.length && a.every((byte, i) => byte === b[i]);

beforeAll(async () => {
  await initCrypto();
});

describe('envelope properties', () => {
  it('round-trips arbitrary bytes under any context', () => {
    fc.assert(
      fc.property(key32, fc.uint8Array({ maxLength: 2048 }), ctxArb, (key, plaintext, ctx) => {
        return same(openEnvelope(key, sealEnvelope(key, plaintext, ctx), ctx), plaintext);
      }),
      { numRuns: RUNS },
    );
  });

  it('any single-byte change anywhere fails with DECRYPTION_FAILED or UNSUPPORTED_FORMAT', () => {
    fc.assert(
      fc.property(
        key32,
        fc.uint8Array({ maxLength: 300 }),
        ctxArb,
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (key, plaintext, ctx, at, delta) => {
          const bytes = fromBase64url(sealEnvelope(key, plaintext, ctx));
          const i = at % bytes.length;
          bytes[i] = (bytes[i] as number) ^ delta;
          const got = outcome(() => openEnvelope(key, toBase64url(bytes), ctx));
          expect(got).toBe(i < 2 ? 'unsupported_format' : 'decryption_failed');
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('any truncation or extension fails', () => {
    fc.assert(
      fc.property(
        key32,
        fc.uint8Array({ maxLength: 100 }),
        fc.nat(),
        fc.uint8Array({ maxLength: 4 }),
        (key, plaintext, cut, extra) => {
          const ctx: EnvelopeContext = { purpose: 'item', ownerId: 'v', itemId: 'i' };
          const bytes = fromBase64url(sealEnvelope(key, plaintext, ctx));
          const truncated = bytes.subarray(0, cut % bytes.length);
          expect(failsCleanly(() => openEnvelope(key, toBase64url(truncated), ctx))).toBe(true);
          if (extra.length > 0) {
            const extended = Uint8Array.of(...bytes, ...extra);
            expect(outcome(() => openEnvelope(key, toBase64url(extended), ctx))).toBe(
              'decryption_failed',
            );
          }
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('moved to another purpose, owner or item — or under another key — it fails', () => {
    fc.assert(
      fc.property(key32, key32, ctxArb, ctxArb, (key, otherKey, ctx, other) => {
        const envelope = sealEnvelope(key, Uint8Array.of(1, 2, 3), ctx);
        if (!sameCtx(ctx, other)) {
          expect(outcome(() => openEnvelope(key, envelope, other))).toBe('decryption_failed');
        }
        if (!same(key, otherKey)) {
          expect(outcome(() => openEnvelope(otherKey, envelope, ctx))).toBe('decryption_failed');
        }
      }),
      { numRuns: RUNS },
    );
  });

  it(`${NONCES.toLocaleString('en')} envelope encryptions never repeat a nonce`, () => {
    const key = randomBytes(32);
    const ctx: EnvelopeContext = { purpose: 'item', ownerId: 'v', itemId: 'i' };
    const empty = new Uint8Array(0);
    const seen = new Set<string>();
    for (let i = 0; i < NONCES; i++) {
      // bytes 2..25 are the nonce (docs/vault-format.md §3.1)
      seen.add(toBase64url(fromBase64url(sealEnvelope(key, empty, ctx)).subarray(2, 26)));
    }
    expect(seen.size).toBe(NONCES);
  });
});

describe('item properties', () => {
  const text = (maxLength: number) =>
    fc.oneof(
      fc.string({ maxLength, unit: 'binary' }),
      fc.string({ maxLength, unit: 'grapheme' }),
      fc.string({ maxLength }),
    );
  const payloadArb: fc.Arbitrary<SecretPayload> = fc.record({
    name: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/),
    type: fc.constantFrom('plain', 'bearer', 'basic', 'oauth', 'template'),
    value: text(2000),
    allowedHosts: fc.array(fc.string({ minLength: 1, maxLength: 300 }), {
      minLength: 1,
      maxLength: 5,
    }),
    allowedOrigins: fc.array(fc.string({ maxLength: 300 }), { maxLength: 5 }),
    description: text(1000),
  });

  it('any SecretPayload round-trips through encryptItem / unwrapItemKey / decryptItemData', () => {
    const vaultKey = randomBytes(32);
    fc.assert(
      fc.property(payloadArb, id, id, (payload, vaultId, itemId) => {
        const item = encryptItem(vaultKey, vaultId, itemId, payload);
        const itemKey = unwrapItemKey(vaultKey, vaultId, itemId, item.wrappedKey);
        expect(same(itemKey, item.itemKey)).toBe(true);
        expect(decryptItemData(itemKey, vaultId, itemId, item.data)).toEqual(payload);
      }),
      { numRuns: ITEM_RUNS },
    );
  });

  it('secrets of any Unicode up to 64 KiB round-trip', () => {
    const vaultKey = randomBytes(32);
    const big = fc.oneof(
      fc.string({ minLength: 60_000, maxLength: 65_536, unit: 'binary' }),
      fc.string({ minLength: 60_000, maxLength: 65_536, unit: 'grapheme-ascii' }),
    );
    fc.assert(
      fc.property(big, (value) => {
        const v = value.slice(0, 65_536); // code units, the schema's bound
        const payload: SecretPayload = {
          name: 'BIG',
          type: 'plain',
          value: v,
          allowedHosts: ['example.com'],
          allowedOrigins: [],
          description: '',
        };
        const item = encryptItem(vaultKey, 'vault', 'item', payload);
        expect(decryptItemData(item.itemKey, 'vault', 'item', item.data).value).toBe(v);
      }),
      { numRuns: HEAVY_RUNS },
    );
  });

  it('an item moved to another item id, vault or purpose fails', () => {
    const vaultKey = randomBytes(32);
    const payload: SecretPayload = {
      name: 'X',
      type: 'plain',
      value: 'sk-123456',
      allowedHosts: ['example.com'],
      allowedOrigins: [],
      description: '',
    };
    fc.assert(
      fc.property(id, id, id, id, (vaultId, itemId, otherVault, otherItem) => {
        const item = encryptItem(vaultKey, vaultId, itemId, payload);
        if (otherItem !== itemId) {
          expect(outcome(() => unwrapItemKey(vaultKey, vaultId, otherItem, item.wrappedKey))).toBe(
            'decryption_failed',
          );
          expect(outcome(() => decryptItemData(item.itemKey, vaultId, otherItem, item.data))).toBe(
            'decryption_failed',
          );
        }
        if (otherVault !== vaultId) {
          expect(outcome(() => decryptItemData(item.itemKey, otherVault, itemId, item.data))).toBe(
            'decryption_failed',
          );
        }
        // the data envelope is not a wrapped key and vice versa (purpose is bound)
        expect(outcome(() => unwrapItemKey(vaultKey, vaultId, itemId, item.data))).toBe(
          'decryption_failed',
        );
      }),
      { numRuns: ITEM_RUNS },
    );
  });
});

describe('sealed vault key properties', () => {
  it('opens only for the same recipient, vault and generation; any byte change fails', () => {
    const recipient = generateKeyPair();
    const stranger = generateKeyPair();
    fc.assert(
      fc.property(
        key32,
        id,
        fc.integer({ min: 0, max: 0xffff_ffff }),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (vaultKey, vaultId, generation, at, delta) => {
          const sealed = sealVaultKeyTo(recipient.publicKey, vaultKey, vaultId, generation);
          expect(same(openSealedVaultKey(recipient, sealed, vaultId, generation), vaultKey)).toBe(
            true,
          );
          const other = generation === 0 ? 1 : generation - 1;
          expect(outcome(() => openSealedVaultKey(recipient, sealed, vaultId, other))).toBe(
            'decryption_failed',
          );
          expect(
            outcome(() => openSealedVaultKey(recipient, sealed, `${vaultId}x`, generation)),
          ).toBe('decryption_failed');
          expect(outcome(() => openSealedVaultKey(stranger, sealed, vaultId, generation))).toBe(
            'decryption_failed',
          );
          const bytes = fromBase64url(sealed);
          const i = at % bytes.length;
          bytes[i] = (bytes[i] as number) ^ delta;
          expect(
            outcome(() => openSealedVaultKey(recipient, toBase64url(bytes), vaultId, generation)),
          ).toBe(i < 2 ? 'unsupported_format' : 'decryption_failed');
        },
      ),
      { numRuns: BOX_RUNS },
    );
  });
});
