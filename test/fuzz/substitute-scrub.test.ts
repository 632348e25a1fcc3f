// Fuzz: the relay's pure substitution and scrubbing (server/forward/substitute.ts, scrub.ts).
// A secret with hostile characters never moves the destination or breaks out of a header, and
// the streaming scrubber removes every copy of a secret from an answer however it is chunked,
// while leaving answers without the secret byte-for-byte intact.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KeyholeError } from '../../shared/errors.js';
import { parseDestination } from '../../shared/policy/index.js';
import { RequestTemplate } from '../../shared/protocol/forward.js';
import { Scrubber, secretForms } from '../../server/forward/scrub.js';
import { buildOutgoing } from '../../server/forward/substitute.js';
import { fuzzRuns, fuzzTimeout, recordCases } from './runs.js';

// eslint-disable-next-line no-control-regex
const BAD_HEADER_CHARS = /[\u0000-\u0008\u000a-\u001f\u007f]/;

const evilValue = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom(
    '@evil.com',
    '/../../admin',
    '#x',
    '?a=b&c=d',
    'a\r\nHost: evil.com',
    'x\u0000y',
    '%2e%2e',
    'ü\u2028',
    '\\evil',
    ' ',
  ),
  fc
    .array(fc.constantFrom('@', '/', '#', '?', '\\', '\r', '\n', ':', '.', '%', 'a', 'evil.com'), {
      maxLength: 10,
    })
    .map((p) => p.join('')),
);

const templateArb = fc.record({
  url: fc.constantFrom(
    'https://api.example.com/v1/$CLIENT_SECRET',
    'https://api.example.com/v1/x?key=$CLIENT_SECRET',
    'https://api.example.com:8443/$CLIENT_SECRET/y#frag',
    'http://127.0.0.2:8080/a?b=1&c=$CLIENT_SECRET',
  ),
  method: fc.constantFrom('GET', 'POST', 'PUT'),
  headers: fc.constantFrom(
    {},
    { authorization: 'Bearer $CLIENT_SECRET' },
    { 'x-key': '$CLIENT_SECRET', 'content-type': 'application/x-www-form-urlencoded' },
  ),
  data: fc.oneof(
    fc.constant(undefined),
    fc.constant('$CLIENT_SECRET'),
    fc.constant({ k: '$CLIENT_SECRET', n: ['$CLIENT_SECRET'] }),
  ),
  params: fc.oneof(fc.constant(undefined), fc.constant({ q: '$CLIENT_SECRET', n: 1 })),
});

describe('fuzz: substitution and scrubbing', { timeout: fuzzTimeout() }, () => {
  const runs = fuzzRuns();

  it('a hostile secret never changes the destination and never breaks a header', () => {
    fc.assert(
      fc.property(templateArb, evilValue, (raw, value) => {
        const template = RequestTemplate.parse(raw);
        const before = parseDestination(template.url);
        let out;
        try {
          out = buildOutgoing(template, () => value);
        } catch (err) {
          if (
            err instanceof KeyholeError &&
            ['INVALID_REQUEST', 'HOST_NOT_ALLOWED', 'PAYLOAD_TOO_LARGE'].includes(err.code)
          ) {
            expect(err.message).not.toContain(value.length >= 4 ? value : '\u0000never');
            return;
          }
          throw err;
        }
        expect([out.dest.scheme, out.dest.hostname, out.dest.port]).toEqual([
          before.scheme,
          before.hostname,
          before.port,
        ]);
        for (const v of Object.values(out.headers)) expect(BAD_HEADER_CHARS.test(v)).toBe(false);
        // The request line carries the secret only percent-encoded: no raw '#', space or CR/LF.
        expect(/[\s#]/.test(out.path)).toBe(false);
        if (out.body !== null && out.headers['content-type'] === 'application/json')
          JSON.parse(out.body);
      }),
      { numRuns: runs },
    );
    recordCases('relay.substitute', runs);
  });

  it('the scrubber removes every copy of the secret however the answer is chunked', () => {
    const secret = fc.stringMatching(/^[a-z0-9/+=@:% _-]{1,24}$/);
    const filler = fc.stringMatching(/^[a-z0-9 {}":,]{0,30}$/);
    fc.assert(
      fc.property(
        secret,
        fc.array(fc.oneof(filler, fc.constant('SECRET'), fc.constant('B64'), fc.constant('URI')), {
          maxLength: 8,
        }),
        fc.array(fc.integer({ min: 1, max: 17 }), { minLength: 1, maxLength: 20 }),
        (value, parts, cuts) => {
          const text = parts
            .map((p) =>
              p === 'SECRET'
                ? value
                : p === 'B64'
                  ? Buffer.from(value).toString('base64')
                  : p === 'URI'
                    ? encodeURIComponent(value)
                    : p,
            )
            .join('');
          const input = Buffer.from(text);
          const scrubber = new Scrubber(secretForms(value));
          const out: Buffer[] = [];
          let at = 0;
          for (let i = 0; at < input.length; i++) {
            const n = cuts[i % cuts.length]!;
            out.push(scrubber.push(input.subarray(at, at + n)));
            at += n;
          }
          out.push(scrubber.end());
          const result = Buffer.concat(out).toString();
          expect(result.includes(value)).toBe(false);
          const whole = new Scrubber(secretForms(value));
          const once = Buffer.concat([whole.push(input), whole.end()]).toString();
          expect(result).toBe(once); // chunking never changes the outcome
          if (!secretForms(value).some((f) => text.includes(f))) expect(result).toBe(text);
        },
      ),
      { numRuns: runs },
    );
    recordCases('relay.scrub', runs);
  });
});
