// Unit tests for the envelope: byte layout, associated data, misuse on the sealing side.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { fromBase64url, lengthPrefixed, utf8 } from './bytes.js';
import { associatedData, openEnvelope, sealEnvelope, sealEnvelopeWithNonce } from './envelope.js';
import { initCrypto, lib } from './sodium.js';
import type { EnvelopeContext } from './types.js';

const RUNS = Number(process.env.KEYHOLE_FUZZ_RUNS ?? 200);
const key = new Uint8Array(32).fill(9);
const ctx: EnvelopeContext = { purpose: 'item', ownerId: 'v', itemId: 'i' };

beforeAll(async () => {
  await initCrypto();
});

describe('envelope layout (docs/vault-format.md §3)', () => {
  it('is version 1, algorithm 1, 24-byte nonce, ciphertext, 16-byte tag', () => {
    const plaintext = utf8('hello');
    const bytes = fromBase64url(sealEnvelope(key, plaintext, ctx));
    expect([bytes[0], bytes[1]]).toEqual([1, 1]);
    expect(bytes).toHaveLength(2 + 24 + plaintext.length + 16);
    const opened = lib().crypto_aead_xchacha20poly1305_ietf_decrypt(
      null,
      bytes.subarray(26),
      associatedData(bytes.subarray(0, 2), ctx),
      bytes.subarray(2, 26),
      key,
    );
    expect(opened).toEqual(plaintext);
  });

  it('builds the AD of the spec example byte for byte', () => {
    const expected =
      '0000000a6b6579686f6c652f7631' +
      '000000020101' +
      '000000046974656d' +
      '0000000176' +
      '0000000169';
    expect(lib().to_hex(associatedData(Uint8Array.of(1, 1), ctx))).toBe(expected);
  });

  it('the fast ASCII path and the general path build the same AD', () => {
    const header = Uint8Array.of(1, 1);
    fc.assert(
      fc.property(
        fc.constantFrom('account-key', 'private-key', 'vault-key', 'item-key', 'item'),
        fc.string({ maxLength: 30, unit: 'binary' }),
        fc.string({ maxLength: 30 }),
        (purpose, ownerId, itemId) => {
          const general = lengthPrefixed([
            utf8('keyhole/v1'),
            header,
            utf8(purpose),
            utf8(ownerId),
            utf8(itemId),
          ]);
          const fast = associatedData(header, { purpose, ownerId, itemId });
          return lib().to_hex(fast) === lib().to_hex(general);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('length prefixes keep shifted fields apart', () => {
    const a = associatedData(Uint8Array.of(1, 1), { purpose: 'item', ownerId: 'ab', itemId: 'c' });
    const b = associatedData(Uint8Array.of(1, 1), { purpose: 'item', ownerId: 'a', itemId: 'bc' });
    expect(a).not.toEqual(b);
  });

  it('refuses misuse on the sealing side with a TypeError naming the parameter', () => {
    expect(() => sealEnvelope(new Uint8Array(31), utf8('x'), ctx)).toThrow(/key/);
    expect(() => sealEnvelope(key, 'x' as unknown as Uint8Array, ctx)).toThrow(/plaintext/);
    const bad = { ...ctx, purpose: 'other' } as unknown as EnvelopeContext;
    expect(() => sealEnvelope(key, utf8('x'), bad)).toThrow(TypeError);
    for (const nonce of [new Uint8Array(12), new Uint8Array(25), 'n'.repeat(24)]) {
      expect(() => sealEnvelopeWithNonce(key, utf8('x'), ctx, nonce as Uint8Array)).toThrow(
        'nonce must be 24 bytes',
      );
    }
  });

  it('sealEnvelopeWithNonce puts the given nonce at bytes 2..25 and opens like any envelope', () => {
    const nonce = Uint8Array.from({ length: 24 }, (_, i) => i);
    const envelope = sealEnvelopeWithNonce(key, utf8('hello'), ctx, nonce);
    expect(fromBase64url(envelope).subarray(2, 26)).toEqual(nonce);
    expect(sealEnvelopeWithNonce(key, utf8('hello'), ctx, nonce)).toBe(envelope);
    expect(openEnvelope(key, envelope, ctx)).toEqual(utf8('hello'));
  });

  it('opens with a 31-byte key or an unknown purpose as DECRYPTION_FAILED, not a crash', () => {
    const envelope = sealEnvelope(key, utf8('x'), ctx);
    expect(() => openEnvelope(new Uint8Array(31), envelope, ctx)).toThrow(
      expect.objectContaining({ code: 'DECRYPTION_FAILED' }),
    );
    const bad = { ...ctx, purpose: 'other' } as unknown as EnvelopeContext;
    expect(() => openEnvelope(key, envelope, bad)).toThrow(
      expect.objectContaining({ code: 'DECRYPTION_FAILED' }),
    );
    expect(() => openEnvelope(key, 42 as unknown as string, ctx)).toThrow(
      expect.objectContaining({ code: 'DECRYPTION_FAILED' }),
    );
  });
});
