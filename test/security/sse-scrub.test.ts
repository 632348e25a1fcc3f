// The SSE net (server/forward/sse-scrub.ts): a secret streamed a few characters per event, each piece
// in its own JSON, is cut out of the events that carried it; other events pass at once.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Scrubber } from '../../server/forward/scrub.js';
import { SseScrubber } from '../../server/forward/sse-scrub.js';

const SECRET = 'sk-live-9Xq2Lm7Tb4Wz';
const ev = (content: string) =>
  `data: ${JSON.stringify({ id: 'c1', choices: [{ delta: { content } }] })}\n\n`;

function stage(): { sse: SseScrubber; byte: Scrubber } {
  const byte = new Scrubber([SECRET]);
  return { sse: new SseScrubber(byte.textForms()), byte };
}

function run(text: string, cuts: number[] = []): string {
  const { sse, byte } = stage();
  const buf = Buffer.from(text);
  const points = [...new Set(cuts.map((c) => c % (buf.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let at = 0;
  for (const p of [...points, buf.length]) {
    out.push(sse.push(byte.push(buf.subarray(at, p))));
    at = p;
  }
  out.push(sse.push(byte.end()), sse.end());
  return Buffer.concat(out).toString();
}

describe('SseScrubber', () => {
  it('the headline case: the key three characters per event never arrives, in any event', () => {
    const pieces = SECRET.match(/.{1,3}/g)!;
    const input =
      ev('Sure, the key is ') + pieces.map(ev).join('') + ev(' - done') + 'data: [DONE]\n\n';
    const out = run(input);
    expect(out).toBe(
      ev('Sure, the key is ') +
        ev('[REDACTED]') +
        pieces
          .slice(1)
          .map(() => ev(''))
          .join('') +
        ev(' - done') +
        'data: [DONE]\n\n',
    );
    const joined = out
      .split('\n\n')
      .filter((e) => e.startsWith('data: {'))
      .map(
        (e) =>
          (JSON.parse(e.slice(6)) as { choices: [{ delta: { content: string } }] }).choices[0].delta
            .content,
      )
      .join('');
    expect(joined).toBe('Sure, the key is [REDACTED] - done');
  });

  it('passes an event at once unless the joined text ends with the start of a secret form', () => {
    const { sse, byte } = stage();
    const step = (t: string) => sse.push(byte.push(Buffer.from(t))).toString();
    expect(step(ev('Hello'))).toBe(ev('Hello'));
    expect(step(ev(' there, sk-li'))).toBe(''); // could be the key: held
    expect(step(ev('nen is soft'))).toBe(ev(' there, sk-li') + ev('nen is soft')); // was not
  });

  it('catches the key one character per event, split inside a word, and in non-JSON data', () => {
    const one = [...SECRET].map(ev).join('');
    expect(run(one)).toBe(
      ev('[REDACTED]') +
        [...SECRET]
          .slice(1)
          .map(() => ev(''))
          .join(''),
    );
    const raw = `data: x ${SECRET.slice(0, 8)}\n\ndata: ${SECRET.slice(8)} y\n\n`;
    expect(run(raw)).toBe('data: x [REDACTED]\n\ndata:  y\n\n');
  });

  it('follows any JSON path, keys with dots and brackets too', () => {
    const e = (t: string) => `data: ${JSON.stringify({ 'out.put[0]': { 'a.b': [t] } })}\n\n`;
    const pieces = SECRET.match(/.{1,4}/g)!;
    expect(run(pieces.map(e).join(''))).toBe(
      e('[REDACTED]') +
        pieces
          .slice(1)
          .map(() => e(''))
          .join(''),
    );
  });

  it('property: however the bytes are cut, the joined content never holds the secret', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        fc.string({ maxLength: 10 }),
        (sizes, cuts, filler) => {
          const pieces: string[] = [];
          for (let at = 0, i = 0; at < SECRET.length; i++) {
            const n = sizes[i % sizes.length]!;
            pieces.push(SECRET.slice(at, at + n));
            at += n;
          }
          const input = ev(filler) + pieces.map(ev).join('') + ev(filler);
          const out = run(input, cuts);
          const joined = out
            .split('\n\n')
            .filter((e) => e.startsWith('data: '))
            .map(
              (e) =>
                (JSON.parse(e.slice(6)) as { choices: [{ delta: { content: string } }] }).choices[0]
                  .delta.content,
            )
            .join('');
          expect(joined).not.toContain(SECRET);
          expect(out).toBe(run(input));
        },
      ),
      { numRuns: Number(process.env.KEYHOLE_FUZZ_RUNS ?? 200) },
    );
  });
});
