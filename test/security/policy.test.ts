// Destination policy (shared/policy): url refusals, allowed-host grammar and matching, placeholders.
import { describe, expect, it } from 'vitest';
import {
  checkDestination,
  isValidAllowedHost,
  listPlaceholders,
  parseAllowedHost,
  parseDestination,
  resolveRef,
  templateHasPlaceholder,
} from '../../shared/policy/index.js';

const allowed = (url: string, hosts: string[]) => {
  try {
    checkDestination(url, hosts);
    return true;
  } catch (err) {
    expect((err as { code: string }).code).toMatch(/^(HOST_NOT_ALLOWED|INVALID_REQUEST)$/);
    return false;
  }
};

describe('destination urls', () => {
  it.each([
    'https://user:pw@api.example.com/',
    'https://user@api.example.com/',
    'https://@api.example.com/',
    'https://api.example.com\\@evil.com/',
    'https:\\\\api.example.com/',
    'https://api.example.com/v1/../admin',
    'https://api.example.com/v1/./x',
    'https://api.example.com/v1/%2e%2e/admin',
    'https://api.example.com/v1/%2E%2E/admin',
    'https://api.example.com/v1/.%2e/admin',
    'https://api.example.com/v1/%2e/x',
    'https://api.example.com/..',
    'ftp://api.example.com/',
    'file:///etc/passwd',
    'javascript:alert(1)',
    'data:text/plain,x',
    '//api.example.com/',
    'https:api.example.com/',
    'https:/api.example.com/',
    ' https://api.example.com/',
    'https://api.example.com/a b',
    'https://api.example.com/a\tb',
    'https://api.example.com/a\nb',
    'https://api.example.com\u0000.evil.com/',
    'https://',
  ])('refuses %j', (url) => {
    expect(() => parseDestination(url)).toThrow();
  });

  it('drops the fragment and normalises the host', () => {
    const d = parseDestination('HTTPS://API.Example.COM:443/v1/x?q=1#frag');
    expect(d.url.href).toBe('https://api.example.com/v1/x?q=1');
    expect(d).toMatchObject({ scheme: 'https', hostname: 'api.example.com', port: 443 });
  });

  it('refuses placeholders in scheme, host or port', () => {
    for (const url of [
      'https://$CLIENT_SECRET.example.com/',
      'https://api.example.com:$(secret:p)/',
      'https://$(secret:h)/x',
      'http$CLIENT_SECRET://x/',
    ]) {
      expect(() => checkDestination(url, ['*.example.com', 'api.example.com'])).toThrow(
        expect.objectContaining({ code: 'HOST_NOT_ALLOWED' }),
      );
    }
    expect(
      allowed('https://api.example.com/v1/$CLIENT_SECRET?k=$(secret:x)', ['api.example.com']),
    ).toBe(true);
  });
});

describe('allowed hosts', () => {
  it('host alone: https on 443 only', () => {
    expect(allowed('https://api.example.com/x', ['api.example.com'])).toBe(true);
    expect(allowed('http://api.example.com/x', ['api.example.com'])).toBe(false);
    expect(allowed('https://api.example.com:8443/x', ['api.example.com'])).toBe(false);
    expect(allowed('https://api.example.com./x', ['api.example.com'])).toBe(true);
    expect(allowed('https://API.EXAMPLE.COM/x', ['api.example.com'])).toBe(true);
    expect(allowed('https://evil-api.example.com/x', ['api.example.com'])).toBe(false);
    expect(allowed('https://api.example.com.evil.com/x', ['api.example.com'])).toBe(false);
  });

  it('host:port', () => {
    expect(allowed('https://api.example.com:8443/', ['api.example.com:8443'])).toBe(true);
    expect(allowed('https://api.example.com/', ['api.example.com:8443'])).toBe(false);
    expect(allowed('http://api.example.com:8443/', ['api.example.com:8443'])).toBe(false);
  });

  it('*.host: subdomains only, never the apex', () => {
    expect(allowed('https://a.example.com/', ['*.example.com'])).toBe(true);
    expect(allowed('https://a.b.example.com/', ['*.example.com'])).toBe(true);
    expect(allowed('https://example.com/', ['*.example.com'])).toBe(false);
    expect(allowed('https://badexample.com/', ['*.example.com'])).toBe(false);
    expect(allowed('https://example.com.evil.com/', ['*.example.com'])).toBe(false);
    expect(allowed('http://a.example.com/', ['*.example.com'])).toBe(false);
  });

  it('scheme://host[:port]/prefix on segment boundaries', () => {
    const rule = ['https://api.example.com/v1'];
    expect(allowed('https://api.example.com/v1', rule)).toBe(true);
    expect(allowed('https://api.example.com/v1/', rule)).toBe(true);
    expect(allowed('https://api.example.com/v1/chat?x=1', rule)).toBe(true);
    expect(allowed('https://api.example.com/v10', rule)).toBe(false);
    expect(allowed('https://api.example.com/v2/x', rule)).toBe(false);
    expect(allowed('https://api.example.com/v1/..%2fadmin', rule)).toBe(false);
    expect(allowed('https://api.example.com/v1/a%2f..%2f..%2fadmin', rule)).toBe(false);
    expect(allowed('https://api.example.com/v1/a%5cb', rule)).toBe(false);
    expect(allowed('https://api.example.com/V1/x', rule)).toBe(false);
    expect(allowed('https://api.example.com/v1/x', ['https://api.example.com/v1/'])).toBe(true);
    expect(allowed('https://api.example.com/anything', ['https://api.example.com/'])).toBe(true);
  });

  it('http must be written out', () => {
    expect(allowed('http://127.0.0.2:9000/x', ['http://127.0.0.2:9000'])).toBe(true);
    expect(allowed('http://127.0.0.2:9000/x', ['127.0.0.2:9000'])).toBe(false);
    expect(allowed('http://localhost/x', ['http://localhost'])).toBe(true);
    expect(allowed('http://localhost:81/x', ['http://localhost'])).toBe(false);
  });

  it('IPv6 and IDN entries are normalised like urls', () => {
    expect(allowed('https://[::1]:8443/', ['[::1]:8443'])).toBe(true);
    expect(allowed('https://xn--bcher-kva.example/', ['bücher.example'])).toBe(true);
    expect(allowed('https://bücher.example/', ['xn--bcher-kva.example'])).toBe(true);
  });

  it.each([
    '',
    '*',
    '*.com',
    '*.',
    'ftp://x.com',
    'x.com/path',
    'user@x.com',
    'https://x.com/?q',
    'https://x.com/#f',
    'a b.com',
    'https://*.x.com*',
    '*.*.x.com',
    'x.*.com',
    'https://x.com/a/../b',
    '*.127.0.0.1',
  ])('invalid entry %j never matches', (entry) => {
    expect(isValidAllowedHost(entry)).toBe(false);
    expect(allowed('https://x.com/', [entry])).toBe(false);
  });

  it('parses entries', () => {
    expect(parseAllowedHost('*.Example.com:8443')).toEqual({
      scheme: 'https',
      host: 'example.com',
      wildcard: true,
      port: 8443,
      pathPrefix: '',
    });
    expect(parseAllowedHost('http://api.x.com/v1/')).toEqual({
      scheme: 'http',
      host: 'api.x.com',
      wildcard: false,
      port: 80,
      pathPrefix: '/v1',
    });
  });
});

describe('placeholders', () => {
  it('finds them in url, header values, data strings (deep) and params; never in keys', () => {
    const uses = listPlaceholders({
      url: 'https://x/$CLIENT_SECRET',
      method: 'POST',
      headers: { $CLIENT_SECRET: 'plain', a: 'Bearer $(secret:k)' },
      data: { $CLIENT_SECRET: 1, nested: [{ deep: 'x $(secret:t.user) y' }] },
      params: { q: '$(secret:k)', n: 1 },
    });
    expect(uses).toEqual([
      { place: 'url', site: { part: 'url' } },
      { place: 'header', ref: 'k', site: { part: 'header', name: 'a' } },
      { place: 'data', ref: 't.user', site: { part: 'body', path: 'nested.0.deep' } },
      { place: 'params', ref: 'k', site: { part: 'url', query: 'q' } },
    ]);
  });
  it('GET/HEAD data is not sent, so it does not count', () => {
    expect(
      templateHasPlaceholder({
        url: 'https://x/',
        method: 'GET',
        headers: {},
        data: { a: '$CLIENT_SECRET' },
      }),
    ).toBe(false);
    expect(
      templateHasPlaceholder({
        url: 'https://x/',
        method: 'POST',
        headers: {},
        data: { a: '$CLIENT_SECRET' },
      }),
    ).toBe(true);
  });
  it('resolves dotted names: exact name first, else the longest name + field', () => {
    expect(resolveRef('a.b', ['a', 'a.b'])).toEqual({ name: 'a.b' });
    expect(resolveRef('a.b.c', ['a', 'a.b'])).toEqual({ name: 'a.b', field: 'c' });
    expect(resolveRef('a.c', ['a', 'a.b'])).toEqual({ name: 'a', field: 'c' });
    expect(resolveRef('z', ['a'])).toBeNull();
  });
});
