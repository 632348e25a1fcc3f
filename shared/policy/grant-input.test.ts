// The one check of a grant's typed policy, shared by `keyhole grant create` and the popup: each
// refusal names its field and says how to write it; what passes is what the protocol schema accepts.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PathPrefix, WebOrigin } from '../protocol/grant.js';
import { checkGrantInput, durationMs, isPathPrefix, isWebOrigin } from './grant-input.js';

const NOW = 1_800_000_000_000;
const ok = (input: Parameters<typeof checkGrantInput>[0]) => {
  const r = checkGrantInput(input, NOW);
  if (!r.ok) throw new Error(`${r.field}: ${r.message}`);
  return r.options;
};
const refused = (input: Parameters<typeof checkGrantInput>[0]) => {
  const r = checkGrantInput(input, NOW);
  if (r.ok) throw new Error('accepted');
  return r;
};

describe('checkGrantInput', () => {
  it('builds the options: trimmed, de-duplicated, methods upper-cased, blanks mean no limit', () => {
    expect(
      ok({
        origins: [' https://app.example ', 'https://app.example', 'http://localhost:5173'],
        methods: ['post', 'POST', ''],
        paths: ['/v1/chat', '/v1/chat', ' '],
        rate: ' 10 ',
        quota: '',
        maxBody: '1024',
      }),
    ).toEqual({
      origins: ['https://app.example', 'http://localhost:5173'],
      methods: ['POST'],
      paths: ['/v1/chat'],
      ratePerMinute: 10,
      quotaPerDay: null,
      maxBodyBytes: 1024,
      locked: null,
    });
  });

  it('refuses each bad field by name, with the way to write it', () => {
    const cases: [Parameters<typeof checkGrantInput>[0], string, RegExp][] = [
      [{ origins: [] }, 'origins', /origin of the site/],
      [{ origins: ['app.example'] }, 'origins', /add the scheme/],
      [{ origins: ['https://app.example/'] }, 'origins', /exactly as https:\/\/app\.example/],
      [{ origins: ['HTTPS://App.Example'] }, 'origins', /exactly as https:\/\/app\.example/],
      [{ origins: ['https://app.example/x'] }, 'origins', /no path/],
      [{ origins: ['ftp://app.example'] }, 'origins', /scheme/],
      [{ origins: ['https://a.example'], methods: ['TRACE'] }, 'methods', /GET, POST/],
      [{ origins: ['https://a.example'], paths: ['v1'] }, 'paths', /start with \//],
      [{ origins: ['https://a.example'], paths: ['/a/../b'] }, 'paths', /path prefix/],
      [{ origins: ['https://a.example'], paths: ['/a?b=1'] }, 'paths', /query/],
      [{ origins: ['https://a.example'], rate: '0' }, 'rate', /whole number from 1/],
      [{ origins: ['https://a.example'], rate: '-3' }, 'rate', /whole number/],
      [{ origins: ['https://a.example'], rate: '1.5' }, 'rate', /whole number/],
      [{ origins: ['https://a.example'], quota: 'lots' }, 'quota', /whole number/],
      [{ origins: ['https://a.example'], quota: '1000000001' }, 'quota', /1000000000/],
      [{ origins: ['https://a.example'], maxBody: '0' }, 'max-body', /bytes/],
      [{ origins: ['https://a.example'], expires: '3w' }, 'expires', /s, m, h or d/],
      [{ origins: ['https://a.example'], expires: '0d' }, 'expires', /s, m, h or d/],
      [{ origins: ['https://a.example'], expiresAt: NOW - 1 }, 'expires', /future/],
      [{ origins: ['https://a.example'], expiresAt: NOW }, 'expires', /future/],
      [{ origins: ['https://a.example'], expiresAt: Number.NaN }, 'expires', /date/],
      [
        { origins: ['https://a.example'], expires: '1d', expiresAt: NOW + 1000 },
        'expires',
        /not both/,
      ],
      [{ origins: ['https://a.example'], jwks: 'https://x' }, 'locked', /locked grant/],
      [{ origins: ['https://a.example'], locked: true }, 'jwks', /JWKS URL/],
      [
        { origins: ['https://a.example'], locked: true, jwks: 'login.example/jwks' },
        'jwks',
        /https:\/\//,
      ],
      [
        { origins: ['https://a.example'], locked: true, jwks: 'https://l.example/j' },
        'issuer',
        /iss/,
      ],
      [
        { origins: ['https://a.example'], locked: true, jwks: 'https://l.example/j', issuer: 'i' },
        'audience',
        /aud/,
      ],
    ];
    for (const [input, field, message] of cases) {
      const r = refused(input);
      expect(r.field, JSON.stringify(input)).toBe(field);
      expect(r.message, JSON.stringify(input)).toMatch(message);
      expect(r.message).toMatch(/[.]$/);
    }
  });

  it('expiry: a duration is kept relative, a date absolute and in the future', () => {
    expect(ok({ origins: ['https://a.example'], expires: '30d' }).expiresInMs).toBe(
      30 * 86_400_000,
    );
    expect(ok({ origins: ['https://a.example'], expiresAt: NOW + 60_000 }).expiresAt).toBe(
      NOW + 60_000,
    );
    expect(durationMs('15m')).toBe(900_000);
    expect(durationMs('1w')).toBeNull();
  });

  it('a locked grant carries its identity provider', () => {
    expect(
      ok({
        origins: ['https://a.example'],
        locked: true,
        jwks: ' https://login.example/.well-known/jwks.json ',
        issuer: 'https://login.example',
        audience: 'shop',
      }).locked,
    ).toEqual({
      jwksUrl: 'https://login.example/.well-known/jwks.json',
      issuer: 'https://login.example',
      audience: 'shop',
    });
  });
});

describe('the zod-free checks agree with the protocol schemas', () => {
  const originish = fc.oneof(
    fc.webUrl(),
    fc.webUrl().map((u) => new URL(u).origin),
    fc.constantFrom('https://a.example/', 'http://x:80', 'https://A.example', 'null', 'https://'),
  );
  it('isWebOrigin ⇔ WebOrigin', () => {
    fc.assert(
      fc.property(originish, (s) => {
        expect(isWebOrigin(s)).toBe(WebOrigin.safeParse(s).success);
      }),
    );
  });
  it('isPathPrefix ⇔ PathPrefix', () => {
    const pathish = fc.oneof(
      fc.string(),
      fc.webPath(),
      fc.constantFrom('/a/./b', '/a/..', '/ok', '/a b', '/a\\b', '/a#x', ''),
    );
    fc.assert(
      fc.property(pathish, (s) => {
        expect(isPathPrefix(s)).toBe(PathPrefix.safeParse(s).success);
      }),
    );
  });
});
