// Unit tests for the strict base64url codec.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeBase64url, encodeBase64url } from './base64url.js';

const RUNS = Number(process.env.KEYHOLE_FUZZ_RUNS ?? 200);
const reference = (b: Uint8Array) => Buffer.from(b).toString('base64url');

describe('base64url', () => {
  it('matches Node’s encoder and round-trips', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const text = encodeBase64url(bytes);
        return text === reference(bytes) && reference(decodeBase64url(text)) === text;
      }),
      { numRuns: RUNS },
    );
  });

  it.each([
    ['padding', 'AAA='],
    ['standard alphabet +', 'AA+A'],
    ['standard alphabet /', 'AA/A'],
    ['whitespace', 'AA AA'],
    ['newline', 'AAAA\nAAAA'],
    ['impossible length', 'AAAAA'],
    ['non-canonical trailing bits (1 byte)', 'AB'],
    ['non-canonical trailing bits (2 bytes)', 'AAB'],
    ['a non-ASCII letter that masks to an alphabet one', 'AAA\u0141'],
    ['a character above U+FFFF', 'AA\u{1F600}'],
  ])('rejects %s', (_name, text) => {
    expect(() => decodeBase64url(text)).toThrow(TypeError);
  });

  it('accepts the empty string', () => {
    expect(decodeBase64url('')).toEqual(new Uint8Array(0));
    expect(encodeBase64url(new Uint8Array(0))).toBe('');
  });
});
