// Fuzz: the destination policy both sides run (shared/policy). Adversarial urls and allowed-host
// lists never crash it, fail only with HOST_NOT_ALLOWED / INVALID_REQUEST, and whatever it lets
// through really is on the list (checked by an independent oracle over WHATWG URL).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KeyholeError } from '../../shared/errors.js';
import {
  checkDestination,
  findPlaceholders,
  listPlaceholders,
  parseAllowedHost,
  replacePlaceholders,
  resolveRef,
} from '../../shared/policy/index.js';
import { fuzzRuns, fuzzTimeout, recordCases } from './runs.js';

const HOSTS = [
  'api.example.com',
  'example.com',
  'x.test',
  '127.0.0.2',
  'b\u00fccher.example',
  '[::1]',
];
const EVIL_HOSTS = [
  'evil.com',
  'api.example.com.evil.com',
  'evilexample.com',
  'API.EXAMPLE.COM',
  'api.example.com.',
  'xn--bcher-kva.example',
  '127.0.0.1',
  '0x7f.0.0.2',
  '2130706434',
  '[::ffff:127.0.0.2]',
  'sub.api.example.com',
  'example.com%2eevil.com',
  '',
];

interface Rule {
  scheme: 'http' | 'https' | '';
  wildcard: boolean;
  host: string;
  port: string;
  path: string;
}

const ruleArb: fc.Arbitrary<Rule> = fc.record({
  scheme: fc.constantFrom('http' as const, 'https' as const, '' as const),
  wildcard: fc.boolean(),
  host: fc.constantFrom(...HOSTS),
  port: fc.constantFrom('', ':443', ':80', ':8443'),
  path: fc.constantFrom('', '/v1', '/v1/', '/a/b'),
});

function renderRule(r: Rule): string {
  const host = `${r.wildcard ? '*.' : ''}${r.host}${r.port}`;
  return r.scheme === '' ? host : `${r.scheme}://${host}${r.path}`;
}

const piece = fc.constantFrom(
  '/',
  '/v1',
  '/v1/x',
  '/v10',
  '/..',
  '/%2e%2e',
  '/%2E.',
  '/./',
  '\\',
  '/%5c',
  '/%2f',
  '?q=1',
  '#frag',
  '@',
  '/$CLIENT_SECRET',
  '?k=$CLIENT_SECRET',
  '$(secret:x)',
  ':',
  '%00',
  ' ',
  '\t',
  '\n',
  'evil.com',
  '//evil.com',
  '/a/b',
);

const urlArb = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .tuple(
        fc.constantFrom(
          'http://',
          'https://',
          'HTTPS://',
          'ftp://',
          '//',
          'javascript:',
          'http:/',
          'https:\\\\',
          '',
        ),
        fc.constantFrom('', '', '', 'user@', 'api.example.com@', 'a:b@', '$CLIENT_SECRET@', '%40@'),
        fc.constantFrom(...HOSTS, ...EVIL_HOSTS),
        fc.constantFrom('', '', ':443', ':80', ':8443', ':', ':0', ':65536', ':$CLIENT_SECRET'),
        fc.array(piece, { maxLength: 5 }),
      )
      .map(([s, u, h, p, rest]) => `${s}${u}${h}${p}${rest.join('')}`),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 120 }) },
  { weight: 1, arbitrary: fc.webUrl({ withQueryParameters: true, withFragments: true }) },
);

/** Independent oracle: does the WHATWG-parsed url match the structured rule? */
function oracleAllows(rawUrl: string, rules: readonly Rule[]): boolean {
  let u: URL;
  try {
    u = new URL(rawUrl);
  } catch {
    return false;
  }
  if (u.username !== '' || u.password !== '') return false;
  const scheme = u.protocol.replace(':', '');
  const host = u.hostname.replace(/\.$/, '');
  const port = u.port === '' ? (scheme === 'https' ? 443 : 80) : Number(u.port);
  return rules.some((r) => {
    const rule = parseAllowedHost(renderRule(r));
    if (!rule) return false; // an invalid entry never allows anything
    if ((r.scheme || 'https') !== scheme) return false;
    if (rule.port !== port) return false;
    const ruleHost = rule.host;
    const hostOk = r.wildcard
      ? host.endsWith(`.${ruleHost}`) && host.length > ruleHost.length + 1
      : host === ruleHost;
    if (!hostOk) return false;
    if (r.scheme !== '' && rule.pathPrefix !== '') {
      return u.pathname === rule.pathPrefix || u.pathname.startsWith(`${rule.pathPrefix}/`);
    }
    return true;
  });
}

function expectPolicyFailure(err: unknown): void {
  if (
    err instanceof KeyholeError &&
    (err.code === 'HOST_NOT_ALLOWED' || err.code === 'INVALID_REQUEST')
  )
    return;
  throw new Error(`unexpected failure: ${String(err)}`);
}

describe('fuzz: destination policy', { timeout: fuzzTimeout() }, () => {
  const runs = fuzzRuns();

  it('checkDestination never crashes and lets through only what is on the list', () => {
    fc.assert(
      fc.property(urlArb, fc.array(ruleArb, { minLength: 1, maxLength: 4 }), (url, rules) => {
        let passed = false;
        try {
          checkDestination(url, rules.map(renderRule));
          passed = true;
        } catch (err) {
          expectPolicyFailure(err);
        }
        if (passed)
          expect(oracleAllows(url, rules), `${url} passed ${rules.map(renderRule).join(' ')}`).toBe(
            true,
          );
      }),
      { numRuns: runs },
    );
    recordCases('policy.checkDestination', runs);
  });

  it('arbitrary allowed-host entries never crash the parser and never allow an evil host', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ maxLength: 60 }), { maxLength: 5 }),
        fc.constantFrom(...EVIL_HOSTS),
        (entries, evil) => {
          for (const e of entries) parseAllowedHost(e);
          const url = `https://${evil.replace(/^API/, 'evil')}/x`;
          try {
            checkDestination(url, entries);
            // Passing is fine only if one of the random entries genuinely names that host.
            const host = new URL(url).hostname.replace(/\.$/, '');
            expect(entries.some((e) => e.toLowerCase().includes(host.split('.')[0] ?? host))).toBe(
              true,
            );
          } catch (err) {
            expectPolicyFailure(err);
          }
        },
      ),
      { numRuns: runs },
    );
    recordCases('policy.allowed-host-entries', runs);
  });

  it('placeholders in the scheme, host or port are always refused', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(
          'https://$CLIENT_SECRET',
          'https://api.example.com:$CLIENT_SECRET',
          'https://$(secret:a).example.com',
          'https://x$CLIENT_SECRET@api.example.com',
        ),
        fc.constantFrom('', '/v1', '?a=b'),
        (authority, rest) => {
          expect(() =>
            checkDestination(`${authority}${rest}`, ['api.example.com', '*.example.com']),
          ).toThrow(KeyholeError);
        },
      ),
      { numRuns: Math.min(runs, 200) },
    );
    recordCases('policy.placeholder-in-authority', Math.min(runs, 200));
  });

  it('placeholder scanning and replacement never crash and keep the text outside tokens', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.string({ maxLength: 12 }),
            fc.constantFrom(
              '$CLIENT_SECRET',
              '$(secret:a)',
              '$(secret:a.b)',
              '$(secret:',
              '$(',
              '$',
            ),
          ),
          {
            maxLength: 12,
          },
        ),
        fc.string({ maxLength: 20 }),
        (parts, value) => {
          const text = parts.join('');
          const tokens = findPlaceholders(text);
          let last = 0;
          for (const t of tokens) {
            expect(t.start).toBeGreaterThanOrEqual(last);
            expect(t.end).toBeGreaterThan(t.start);
            last = t.end;
          }
          const out = replacePlaceholders(text, () => value);
          const stripped = replacePlaceholders(text, () => '');
          expect(out.length).toBe(stripped.length + tokens.length * value.length);
          for (const t of tokens) if (t.ref !== undefined) resolveRef(t.ref, ['a', 'a.b', 'c']);
          listPlaceholders({
            url: text,
            headers: { h: text },
            data: { k: [text, { d: text }] },
            params: { p: text },
          });
        },
      ),
      { numRuns: runs },
    );
    recordCases('policy.placeholders', runs);
  });
});
