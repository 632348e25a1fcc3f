// The output masker of `keyhole run`: every form of a value, across chunk boundaries, short
// tails let out after a pause without the rest of the value escaping.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Masker, maskValues } from './mask.js';

const KEY = 'sk-test-0123456789abcdef';

function feed(masker: Masker, parts: string[]): string {
  let out = '';
  for (const p of parts) out += masker.push(Buffer.from(p)).toString();
  return out + masker.end().toString();
}

describe('Masker', () => {
  it('masks a value split at every possible point', () => {
    const text = `before ${KEY} after`;
    for (let i = 0; i <= text.length; i++) {
      const out = feed(new Masker([{ name: 'k', value: KEY }]), [text.slice(0, i), text.slice(i)]);
      expect(out).toBe('before [masked:k] after');
    }
  });

  it('never lets a value through, however the stream is cut', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.array(fc.nat(), { maxLength: 8 }), (a, b, cuts) => {
        const text = `${a}${KEY}${b}${KEY}`;
        const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((x, y) => x - y);
        const parts: string[] = [];
        let at = 0;
        for (const p of points) {
          parts.push(text.slice(at, p));
          at = p;
        }
        parts.push(text.slice(at));
        expect(feed(new Masker([{ name: 'k', value: KEY }]), parts)).not.toContain(KEY);
      }),
    );
  });

  it('holds back only what could start a value', () => {
    const masker = new Masker([{ name: 'k', value: KEY }]);
    expect(masker.push(Buffer.from('hello\n')).toString()).toBe('hello\n');
    expect(masker.push(Buffer.from('x sk-te')).toString()).toBe('x ');
    expect(masker.holding).toBe(5);
  });

  it('after a pause lets a short tail out, and still masks the rest of the value', () => {
    const masker = new Masker([{ name: 'k', value: KEY }]);
    let out = masker.push(Buffer.from('x sk-t')).toString();
    out += masker.flushIdle().toString();
    expect(out).toBe('x sk-t');
    out += masker.push(Buffer.from(`${KEY.slice(4)} y`)).toString() + masker.end().toString();
    expect(out).toBe('x sk-t[masked:k] y');
  });

  it('keeps a long held prefix after a pause', () => {
    const masker = new Masker([{ name: 'k', value: KEY }]);
    masker.push(Buffer.from(KEY.slice(0, 12)));
    expect(masker.flushIdle().length).toBe(0);
    expect(masker.push(Buffer.from(KEY.slice(12))).toString()).toBe('[masked:k]');
  });
});

describe('maskValues', () => {
  it('covers values, encodings and basic pairs; skips names, hosts and short strings', () => {
    const forms = maskValues({
      name: 'svc-account',
      type: 'basic',
      username: 'alice',
      password: 'p@ss word/1',
      allowedHosts: ['api.example.com'],
      allowedOrigins: [],
      description: 'a long description here',
    });
    expect(forms).toContain('p@ss word/1');
    expect(forms).toContain(encodeURIComponent('p@ss word/1'));
    expect(forms).toContain('alice:p@ss word/1');
    expect(forms).toContain(Buffer.from('alice:p@ss word/1').toString('base64'));
    expect(forms).not.toContain('api.example.com');
    expect(forms).not.toContain('svc-account');
    expect(forms).not.toContain('a long description here');
  });

  it('masks every template field, whatever its name', () => {
    const forms = maskValues({
      name: 't',
      type: 'template',
      fields: { region: 'secret-region-value', username: 'secret-user-value' },
      allowedHosts: ['api.example.com'],
      allowedOrigins: [],
      description: '',
    });
    expect(forms).toEqual(expect.arrayContaining(['secret-region-value', 'secret-user-value']));
  });
});
