// Fuzz: the envelope decoder on random and mutated input fails only with DECRYPTION_FAILED or
// UNSUPPORTED_FORMAT — never another exception, never a plaintext from a tampered envelope.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  fromBase64url,
  initCrypto,
  openEnvelope,
  randomBytes,
  sealEnvelope,
  toBase64url,
  type EnvelopeContext,
} from '../../shared/crypto/index.js';
import { KeyholeError } from '../../shared/errors.js';
import { fuzzRuns, fuzzTimeout, recordCases } from './runs.js';

const ALLOWED = new Set(['DECRYPTION_FAILED', 'UNSUPPORTED_FORMAT']);
const PURPOSES = ['account-key', 'private-key', 'vault-key', 'item-key', 'item'] as const;

function expectCleanFailure(fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    if (err instanceof KeyholeError && ALLOWED.has(err.code)) {
      expect(err.message).not.toMatch(/at .*\(|\n/); // no stack, one fixed line
      return;
    }
    throw new Error(`unexpected failure: ${String(err)}`);
  }
  throw new Error('a bad envelope opened');
}

const ctxArb: fc.Arbitrary<EnvelopeContext> = fc.record({
  purpose: fc.constantFrom(...PURPOSES),
  ownerId: fc.oneof(fc.string({ maxLength: 30 }), fc.stringMatching(/^[A-Za-z0-9_-]{22}$/)),
  itemId: fc.string({ maxLength: 30 }),
});

describe('fuzz: openEnvelope', { timeout: fuzzTimeout() }, () => {
  const runs = fuzzRuns();
  let key: Uint8Array;
  let ctx: EnvelopeContext;
  let good: string;
  const plaintext = new TextEncoder().encode('sk-live-FUZZ-PLAINTEXT-0123456789');

  beforeAll(async () => {
    await initCrypto();
    key = randomBytes(32);
    ctx = { purpose: 'item', ownerId: 'AAAAAAAAAAAAAAAAAAAAAA', itemId: 'BBBBBBBBBBBBBBBBBBBBBB' };
    good = sealEnvelope(key, plaintext, ctx);
  });

  it('random strings never open and fail with one of two codes', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 400 }),
          fc.base64String({ maxLength: 400 }),
          fc.constant(''),
        ),
        (text) => expectCleanFailure(() => openEnvelope(key, text, ctx)),
      ),
      { numRuns: runs },
    );
    recordCases('envelope.random-strings', runs);
  });

  it('random bytes (base64url) never open', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) =>
        expectCleanFailure(() => openEnvelope(key, toBase64url(bytes), ctx)),
      ),
      { numRuns: runs },
    );
    recordCases('envelope.random-bytes', runs);
  });

  it('mutated genuine envelopes (flip, truncate, extend, splice) never open', () => {
    const mutation = fc.oneof(
      fc.record({
        kind: fc.constant('flip' as const),
        at: fc.nat(),
        bit: fc.integer({ min: 0, max: 7 }),
      }),
      fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
      fc.record({
        kind: fc.constant('extend' as const),
        extra: fc.uint8Array({ minLength: 1, maxLength: 40 }),
      }),
      fc.record({
        kind: fc.constant('splice' as const),
        at: fc.nat(),
        bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }),
      }),
    );
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (mutations) => {
        let bytes = fromBase64url(good);
        for (const m of mutations) {
          if (m.kind === 'flip') {
            const copy = bytes.slice();
            const i = m.at % Math.max(copy.length, 1);
            if (copy.length > 0) copy[i] = (copy[i] ?? 0) ^ (1 << m.bit);
            bytes = copy;
          } else if (m.kind === 'truncate') {
            bytes = bytes.slice(0, m.at % Math.max(bytes.length, 1));
          } else if (m.kind === 'extend') {
            const out = new Uint8Array(bytes.length + m.extra.length);
            out.set(bytes);
            out.set(m.extra, bytes.length);
            bytes = out;
          } else {
            const i = m.at % (bytes.length + 1);
            const out = new Uint8Array(bytes.length + m.bytes.length);
            out.set(bytes.subarray(0, i));
            out.set(m.bytes, i);
            out.set(bytes.subarray(i), i + m.bytes.length);
            bytes = out;
          }
        }
        if (toBase64url(bytes) === good) return; // a mutation that cancelled itself out
        expectCleanFailure(() => openEnvelope(key, toBase64url(bytes), ctx));
      }),
      { numRuns: runs },
    );
    recordCases('envelope.mutations', runs);
  });

  it('a genuine envelope under another key or context never opens', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 40 }), ctxArb, (otherKey, otherCtx) => {
        const same =
          otherCtx.purpose === ctx.purpose &&
          otherCtx.ownerId === ctx.ownerId &&
          otherCtx.itemId === ctx.itemId;
        if (!same) expectCleanFailure(() => openEnvelope(key, good, otherCtx));
        if (otherKey.length !== 32 || otherKey.some((b, i) => b !== key[i])) {
          expectCleanFailure(() => openEnvelope(otherKey, good, ctx));
        }
      }),
      { numRuns: runs },
    );
    recordCases('envelope.wrong-key-or-context', runs);
  });

  it('sanity: the genuine envelope opens', () => {
    expect(new TextDecoder().decode(openEnvelope(key, good, ctx))).toBe(
      new TextDecoder().decode(plaintext),
    );
  });
});
