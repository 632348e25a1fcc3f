// The client's second net: what JSON.parse would decode from an answer holds no secret value, however
// the answer escapes it and however it is chunked (shared/client/decoded-scrub.ts).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DecodedScrubber,
  decodeJsonEscapes,
  payloadSecrets,
} from '../../shared/client/decoded-scrub.js';
import type { SecretPayload } from '../../shared/protocol/secret.js';
import { maskValues } from '../../cli/agent/mask.js';

const SECRET = 'sk-live-4f9Qz/7+Kw';
const enc = new TextEncoder();
const dec = new TextDecoder();

function run(secrets: string[], text: string, cuts: number[] = []): string {
  const s = new DecodedScrubber(secrets);
  const bytes = enc.encode(text);
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let at = 0;
  for (const p of [...points, bytes.length]) {
    out.push(s.push(bytes.subarray(at, p)));
    at = p;
  }
  out.push(s.end());
  return out.map((b) => dec.decode(b, { stream: true })).join('') + dec.decode();
}

/** Every other character as \uXXXX: no fixed form, decodes to the secret. */
function mixed(value: string, upper = false): string {
  return [...value]
    .map((c, i) => {
      if (i % 2 === 1) return c === '/' ? '\\/' : c;
      const hex = c.charCodeAt(0).toString(16).padStart(4, '0');
      return `\\u${upper ? hex.toUpperCase() : hex}`;
    })
    .join('');
}

describe('DecodedScrubber', () => {
  it('a mixed \\u escape that JSON.parse turns back into the secret is redacted', () => {
    const body = `{"echo":"${mixed(SECRET)}","n":1}`;
    expect(JSON.parse(body).echo).toBe(SECRET); // the attack works without the net
    const out = run([SECRET], body);
    expect(out).toBe('{"echo":"[REDACTED]","n":1}');
    expect(JSON.parse(out).echo).toBe('[REDACTED]');
  });

  it('keeps the text around the secret inside the string, re-escaped', () => {
    const body = `{"a":"x\\n${mixed(SECRET, true)} \\"q\\""}`;
    expect(run([SECRET], body)).toBe('{"a":"x\\n[REDACTED] \\"q\\""}');
  });

  it('finds the string even when the text starts out of step (a stray quote before it)', () => {
    const body = `x" {"k":"${mixed(SECRET)}"}`;
    expect(JSON.parse(body.slice(3)).k).toBe(SECRET);
    expect(run([SECRET], body)).toBe('x" {"k":"[REDACTED]"}');
  });

  it('scrubs SSE data lines event by event and does not hold an event back', () => {
    const s = new DecodedScrubber([SECRET]);
    const ev = (t: string) => enc.encode(`data: {"delta":"${t}"}\n\n`);
    expect(dec.decode(s.push(ev('hello')))).toBe('data: {"delta":"hello"}\n\n');
    expect(dec.decode(s.push(ev(mixed(SECRET))))).toBe('data: {"delta":"[REDACTED]"}\n\n');
  });

  it('passes answers without escapes byte for byte, binary too', () => {
    const bin = new Uint8Array(4096).map((_, i) => (i * 131 + 7) & 0xff);
    const s = new DecodedScrubber([SECRET]);
    const out = new Uint8Array([...s.push(bin), ...s.end()]);
    expect(out).toEqual(bin);
    expect(run([SECRET], '{"a":"b","c":[1,2,"d\\"e"]}')).toBe('{"a":"b","c":[1,2,"d\\"e"]}');
  });

  it('decides a very long string early, still catching a secret at any position', () => {
    const pad = 'x'.repeat(70_000);
    const body = `{"a":"${pad}${mixed(SECRET)}${pad}"}`;
    const out = run([SECRET], body, [1000, 65_000, 70_010, 70_030, 140_000]);
    expect(out).not.toContain(mixed(SECRET));
    expect(JSON.parse(out).a).toBe(`${pad}[REDACTED]${pad}`);
  });

  it('property: whatever the chunking, JSON.parse of the output never yields the secret', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('pre ', 'post', 'é', '😀', '\\"', '\\n'), { maxLength: 4 }),
        fc.boolean(),
        fc.array(fc.nat(), { maxLength: 8 }),
        (fillers, upper, cuts) => {
          const inner = `${fillers.join('')}${mixed(SECRET, upper)}${fillers.join('')}`;
          const body = `[1,"${inner}",{"k":"${inner}"}]`;
          const out = run([SECRET], body, cuts);
          expect(JSON.stringify(JSON.parse(out))).not.toContain(SECRET);
          expect(out).toBe(run([SECRET], body));
        },
      ),
      { numRuns: Number(process.env.KEYHOLE_FUZZ_RUNS ?? 200) },
    );
  });

  it('decodeJsonEscapes is lenient: malformed escapes stay as they are', () => {
    expect(decodeJsonEscapes('a\\u0041\\/\\q\\u12')).toBe('aA/\\q\\u12');
  });

  it('payloadSecrets: values, passwords and basic pairs; not names, hosts or origins', () => {
    expect(
      payloadSecrets({
        name: 'openai',
        type: 'basic',
        username: 'alice',
        password: 'hunter22',
        allowedHosts: ['api.example.com'],
        allowedOrigins: ['https://app.example'],
        description: 'prod key',
      }).sort(),
    ).toEqual(['alice:hunter22', 'YWxpY2U6aHVudGVyMjI=', 'hunter22'].sort());
    expect(
      payloadSecrets({
        name: 't',
        type: 'template',
        fields: { a: 'field-secret-1', b: 'x' },
        oauth: { clientId: 'cid-123', clientSecret: 'client-secret-9', tokenUrl: 'https://t' },
        allowedHosts: ['h'],
      }).sort(),
    ).toEqual(['client-secret-9', 'field-secret-1']);
  });

  it('payloadSecrets: every template field is secret, even one named like a public setting', () => {
    // The same rule as `keyhole run`'s mask (shared/client/secret-strings.ts).
    expect(
      payloadSecrets({
        name: 't',
        type: 'template',
        fields: { region: 'secret-region-value', username: 'secret-user-value' },
        allowedHosts: ['h'],
      }).sort(),
    ).toEqual(['secret-region-value', 'secret-user-value']);
  });

  it('payloadSecrets: every hmac field is secret too, whatever its name (the relay scrubs them all)', () => {
    const hmac = {
      name: 'ex',
      type: 'hmac',
      hmac: {
        key: 'hmac-key-value-1',
        message: '{timestamp}{method}{path}',
        signatureHeader: 'x-sig',
        fields: { username: 'secret-pass-phrase', region: 'secret-region-two', id: 'key-id-3' },
      },
      allowedHosts: ['h'],
    } as const;
    expect(payloadSecrets(hmac).sort()).toEqual(
      ['hmac-key-value-1', 'key-id-3', 'secret-pass-phrase', 'secret-region-two'].sort(),
    );
    expect(maskValues(hmac as unknown as SecretPayload)).toEqual(
      expect.arrayContaining(['secret-pass-phrase', 'secret-region-two']),
    );
  });
});
