// Relay answers → KeyholeError, and forward answers → parsed body or UPSTREAM_ERROR.
import { describe, expect, it } from 'vitest';
import { KeyholeError } from '../errors.js';
import { parseText, readForwardResponse } from './forward-response.js';
import { RelayClient, normaliseBaseUrl } from './relay-client.js';
import { errorFromResponse } from './relay-errors.js';

const json = (body: unknown, status: number, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });

describe('errorFromResponse', () => {
  it('takes the code, message and details from the error body', async () => {
    const err = await errorFromResponse(
      json({ error: { code: 'CONFLICT', message: 'stale', details: { current: [] } } }, 409, {
        'keyhole-error': 'CONFLICT',
      }),
    );
    expect(err).toBeInstanceOf(KeyholeError);
    expect(err).toMatchObject({ code: 'CONFLICT', message: 'stale', details: { current: [] } });
  });

  it('falls back on the header, then on the status', async () => {
    const fromHeader = await errorFromResponse(
      new Response('oops', {
        status: 429,
        headers: { 'keyhole-error': 'RATE_LIMITED', 'retry-after': '3' },
      }),
    );
    expect(fromHeader).toMatchObject({ code: 'RATE_LIMITED', retryAfter: 3 });
    expect(await errorFromResponse(new Response('<html>', { status: 502 }))).toMatchObject({
      code: 'RELAY_UNAVAILABLE',
    });
    expect(await errorFromResponse(json({ error: { code: 'MADE_UP' } }, 401))).toMatchObject({
      code: 'UNAUTHENTICATED',
    });
  });
});

describe('forward answers', () => {
  it('2xx: JSON when the content type says so, else text', async () => {
    expect(await readForwardResponse(json({ a: 1 }, 200))).toEqual({ a: 1 });
    expect(
      await readForwardResponse(
        new Response('plain', { status: 200, headers: { 'content-type': 'text/plain' } }),
      ),
    ).toBe('plain');
    expect(parseText('{bad', 'application/json')).toBe('{bad');
    expect(parseText('{"a":1}', 'application/problem+json; charset=utf-8')).toEqual({ a: 1 });
  });

  it('upstream non-2xx → UPSTREAM_ERROR with status and parsed body', async () => {
    await expect(readForwardResponse(json({ error: 'nope' }, 404))).rejects.toMatchObject({
      code: 'UPSTREAM_ERROR',
      status: 404,
      body: { error: 'nope' },
    });
  });

  it('RelayClient.forward throws relay errors but hands back upstream errors', async () => {
    const answers = [
      json({ error: { code: 'HOST_NOT_ALLOWED', message: 'no' } }, 403, {
        'keyhole-error': 'HOST_NOT_ALLOWED',
      }),
      json({ upstream: true }, 403),
    ];
    const client = new RelayClient({
      baseUrl: 'http://relay.test/',
      token: 't',
      fetch: () => Promise.resolve(answers.shift()!),
    });
    const request = {
      request: { url: 'https://a.example/', method: 'GET' as const, headers: {} },
      secrets: [],
    };
    await expect(client.forward(request)).rejects.toMatchObject({ code: 'HOST_NOT_ALLOWED' });
    const res = await client.forward(request);
    expect(res.status).toBe(403);
  });

  it('a network failure is RELAY_UNAVAILABLE', async () => {
    const client = new RelayClient({
      baseUrl: 'http://relay.test',
      fetch: () => Promise.reject(new TypeError('fetch failed')),
    });
    await expect(client.prelogin('a@b.co')).rejects.toMatchObject({ code: 'RELAY_UNAVAILABLE' });
  });
});

describe('normaliseBaseUrl', () => {
  it('keeps origin and path, refuses other schemes and credentials', () => {
    expect(normaliseBaseUrl('https://relay.example.com/')).toBe('https://relay.example.com');
    expect(normaliseBaseUrl('http://127.0.0.1:8787/base/')).toBe('http://127.0.0.1:8787/base');
    expect(() => normaliseBaseUrl('ftp://x')).toThrow();
    expect(() => normaliseBaseUrl('https://u:p@relay.example.com')).toThrow();
    expect(() => normaliseBaseUrl('not a url')).toThrow();
  });
});
