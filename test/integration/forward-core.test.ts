// The forwarding path through a real relay process and a mock API on 127.0.0.2: substitution in
// every place and encoding, header rules, scrubbing of reflections (also split across chunks and
// encoded), streaming, redirects never followed (the secret never reaches 127.0.0.3).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RELAY_ERROR_HEADER, type SecretRef } from '../../shared/protocol/forward.js';
import { fwd, startForwardWorld, type ForwardWorld } from '../support/forward-fixtures.js';

const SECRET = 'sk-live-7f3a9c2e11d04b8f9a6b';
// A value that needs escaping everywhere: quotes, slash, ampersand, space, non-ASCII.
const NASTY = 'p&q=1 "x"/y+z\\é';

describe('forward: core path', () => {
  let w: ForwardWorld;
  let ref: SecretRef;
  let nasty: SecretRef;
  beforeAll(async () => {
    w = await startForwardWorld();
    ref = await w.addSecret({
      name: 'api',
      type: 'plain',
      value: SECRET,
      allowedHosts: [`http://${w.api.hostPort}`],
    });
    nasty = await w.addSecret({
      name: 'nasty',
      type: 'plain',
      value: NASTY,
      allowedHosts: [`http://${w.api.hostPort}`],
    });
  });
  afterAll(async () => {
    await w?.stop();
  });
  const last = () => w.api.requests.at(-1)!;

  it('substitutes a plain secret into a header and scrubs its reflection', async () => {
    const res = await w.forward(
      fwd(
        {
          url: `${w.api.url}/reflect`,
          method: 'GET',
          headers: { Authorization: 'Bearer $CLIENT_SECRET' },
        },
        [ref],
      ),
    );
    expect(res.status).toBe(200);
    expect(res.headers.get(RELAY_ERROR_HEADER)).toBeNull();
    expect(last().headers.authorization).toBe(`Bearer ${SECRET}`);
    expect(res.text).not.toContain(SECRET);
    expect(res.json.headers.authorization).toBe('Bearer [REDACTED]');
    expect(res.headers.get('content-type')).toBe('application/json');
  });

  it('substitutes in url path and query (percent-encoded), params, JSON data (escaped)', async () => {
    const res = await w.forward(
      fwd(
        {
          url: `${w.api.url}/reflect/$(secret:nasty)?q=$CLIENT_SECRET#frag`,
          method: 'POST',
          headers: { 'x-key': '$(secret:nasty)' },
          data: { a: 'k=$(secret:nasty)', nested: [{ b: '$CLIENT_SECRET' }], n: 1 },
          params: { p: '$(secret:nasty)', flag: true },
        },
        [ref, nasty],
      ),
    );
    expect(res.status).toBe(200);
    const seen = last();
    const enc = encodeURIComponent(NASTY);
    expect(seen.path).toBe(`/reflect/${enc}?q=${SECRET}&p=${enc}&flag=true`);
    expect(new URL(seen.path, 'http://x').searchParams.get('p')).toBe(NASTY);
    expect(seen.headers['x-key']).toBe(NASTY);
    expect(seen.headers['content-type']).toBe('application/json');
    expect(JSON.parse(seen.body)).toEqual({ a: `k=${NASTY}`, nested: [{ b: SECRET }], n: 1 });
    // The reflection of all that comes back scrubbed in every encoding.
    for (const form of [SECRET, NASTY, enc, JSON.stringify(NASTY).slice(1, -1)])
      expect(res.text).not.toContain(form);
  });

  it('substitutes raw in a string body and form-encodes object data for form content types', async () => {
    await w.forward(
      fwd(
        {
          url: `${w.api.url}/reflect`,
          method: 'PUT',
          headers: { 'content-type': 'text/plain' },
          data: 'key=$CLIENT_SECRET',
        },
        [ref],
      ),
    );
    expect(last()).toMatchObject({ method: 'PUT', body: `key=${SECRET}` });
    await w.forward(
      fwd(
        {
          url: `${w.api.url}/reflect`,
          method: 'PATCH',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          data: { key: '$(secret:nasty)', n: 2 },
        },
        [ref, nasty],
      ),
    );
    expect(last().method).toBe('PATCH');
    expect(Object.fromEntries(new URLSearchParams(last().body))).toEqual({ key: NASTY, n: '2' });
  });

  it('supports DELETE and HEAD', async () => {
    const del = await w.forward(
      fwd({ url: `${w.api.url}/reflect?k=$CLIENT_SECRET`, method: 'DELETE' }, [ref]),
    );
    expect(del.status).toBe(200);
    expect(last().method).toBe('DELETE');
    const head = await w.forward(
      fwd({ url: `${w.api.url}/json`, method: 'HEAD', headers: { 'x-k': '$CLIENT_SECRET' } }, [
        ref,
      ]),
    );
    expect(head.status).toBe(200);
    expect(head.text).toBe('');
    expect(last().method).toBe('HEAD');
  });

  it('PLACEHOLDER_MISSING, unknown secret names, placeholders in the host', async () => {
    const missing = await w.forward(
      fwd({ url: `${w.api.url}/reflect`, headers: { a: 'b' } }, [ref]),
    );
    expect(missing.status).toBe(400);
    expect(missing.json.error.code).toBe('PLACEHOLDER_MISSING');
    const getData = await w.forward(
      fwd({ url: `${w.api.url}/reflect`, method: 'GET', data: { a: '$CLIENT_SECRET' } }, [ref]),
    );
    expect(getData.json.error.code).toBe('PLACEHOLDER_MISSING');
    const unknown = await w.forward(
      fwd({ url: `${w.api.url}/reflect`, headers: { a: '$(secret:nope)' } }, [ref]),
    );
    expect(unknown.status).toBe(404);
    expect(unknown.json.error.code).toBe('SECRET_NOT_FOUND');
    const inHost = await w.forward(
      fwd({ url: 'http://$CLIENT_SECRET.example/', headers: {} }, [ref]),
    );
    expect(inHost.json.error.code).toBe('HOST_NOT_ALLOWED');
    const badBody = await w.forward({ request: { url: 42 }, secrets: [] });
    expect(badBody.json.error.code).toBe('INVALID_REQUEST');
    expect(badBody.headers.get(RELAY_ERROR_HEADER)).toBe('INVALID_REQUEST');
  });

  it('refuses CR/LF/NUL in header names, values, and in a value after substitution', async () => {
    const crlfSecret = await w.addSecret({
      name: 'crlf',
      type: 'plain',
      value: 'abc\r\nX-Injected: 1',
      allowedHosts: [`http://${w.api.hostPort}`],
    });
    const before = w.api.requests.length;
    const cases = [
      fwd({ url: `${w.api.url}/reflect`, headers: { 'x-a': 'v\r\nX-Evil: 1 $CLIENT_SECRET' } }, [
        ref,
      ]),
      fwd({ url: `${w.api.url}/reflect`, headers: { 'x-a\r\nX-Evil': '$CLIENT_SECRET' } }, [ref]),
      fwd({ url: `${w.api.url}/reflect`, headers: { 'x-a': 'v\u0000 $CLIENT_SECRET' } }, [ref]),
      fwd({ url: `${w.api.url}/reflect`, headers: { 'x-a': '$CLIENT_SECRET' } }, [crlfSecret]),
    ];
    for (const body of cases) {
      const res = await w.forward(body);
      expect(res.status).toBe(400);
      expect(res.json.error.code).toBe('INVALID_REQUEST');
      expect(res.text).not.toContain('abc');
    }
    expect(w.api.requests.length).toBe(before);
  });

  it('drops caller-set Host, hop-by-hop and framing headers; asks for identity encoding', async () => {
    const res = await w.forward(
      fwd(
        {
          url: `${w.api.url}/reflect`,
          method: 'POST',
          data: 'x=$CLIENT_SECRET',
          headers: {
            Host: '127.0.0.3',
            Connection: 'x-secret-hop',
            'Keep-Alive': 'timeout=1',
            'Transfer-Encoding': 'chunked',
            'Content-Length': '999',
            TE: 'trailers',
            Trailer: 'x',
            Upgrade: 'websocket',
            'Proxy-Authorization': 'Basic eA==',
            'Accept-Encoding': 'gzip, br',
            'x-kept': 'yes',
          },
        },
        [ref],
      ),
    );
    expect(res.status).toBe(200);
    const h = last().headers;
    expect(h.host).toBe(w.api.hostPort);
    expect(h['proxy-authorization']).toBeUndefined();
    expect(h.upgrade).toBeUndefined();
    expect(h.te).toBeUndefined();
    expect(h['transfer-encoding']).toBeUndefined();
    expect(h['content-length']).toBe(String(`x=${SECRET}`.length));
    expect(h['accept-encoding']).toBe('identity');
    expect(h['x-kept']).toBe('yes');
    expect(last().body).toBe(`x=${SECRET}`);
  });

  it('filters response headers: no set-cookie, HSTS, hop-by-hop or a forged keyhole-error', async () => {
    const res = await w.forward(
      fwd({ url: `${w.api.url}/headers`, headers: { a: '$CLIENT_SECRET' } }, [ref]),
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('set-cookie')).toBeNull();
    expect(res.headers.get(RELAY_ERROR_HEADER)).toBeNull();
    expect(res.headers.get('strict-transport-security')).toBeNull();
    expect(res.headers.get('x-custom')).toBe('kept');
  });

  it.each(['raw', 'url', 'json', 'b64'])(
    'scrubs a %s reflection split across chunks (body and headers)',
    async (mode) => {
      const res = await w.forward(
        fwd(
          {
            url: `${w.api.url}/reflect-header?name=x-key&parts=2&delay=30&mode=${mode}`,
            headers: { 'x-key': '$(secret:nasty)' },
          },
          [ref, nasty],
        ),
      );
      expect(res.status).toBe(200);
      expect(res.text).toBe('before [REDACTED] after');
      expect(res.headers.get('x-echo')).toBe('[REDACTED]');
    },
  );

  it('scrubs a reflection split into many small chunks', async () => {
    const res = await w.forward(
      fwd(
        {
          url: `${w.api.url}/reflect-header?name=authorization&parts=9&delay=5`,
          headers: { authorization: 'Bearer $CLIENT_SECRET' },
        },
        [ref],
      ),
    );
    expect(res.text).toBe('before Bearer [REDACTED] after');
  });

  it('decodes a gzip answer the upstream sent anyway, so it is scrubbed too', async () => {
    const res = await w.forward(
      fwd({ url: `${w.api.url}/gzip-reflect`, headers: { 'x-key': '$CLIENT_SECRET' } }, [ref]),
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('content-encoding')).toBeNull();
    expect(res.json.headers['x-key']).toBe('[REDACTED]');
  });

  it('passes upstream non-2xx through as it is (no keyhole-error header)', async () => {
    const res = await w.forward(
      fwd({ url: `${w.api.url}/reflect?status=418`, headers: { 'x-key': '$CLIENT_SECRET' } }, [
        ref,
      ]),
    );
    expect(res.status).toBe(418);
    expect(res.headers.get(RELAY_ERROR_HEADER)).toBeNull();
    expect(res.json.headers['x-key']).toBe('[REDACTED]');
  });

  it('streams SSE event by event (first event long before the last)', async () => {
    const res = await fetch(`${w.relay.url}/v1/forward`, {
      method: 'POST',
      headers: { authorization: `Bearer ${w.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(
        fwd(
          {
            url: `${w.api.url}/sse?n=5&delay=150`,
            headers: { authorization: 'Bearer $CLIENT_SECRET' },
          },
          [ref],
        ),
      ),
    });
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const t0 = Date.now();
    const reader = res.body!.getReader();
    const first = await reader.read();
    const firstAt = Date.now() - t0;
    expect(Buffer.from(first.value!).toString()).toContain('data: {"i":0}');
    let rest = '';
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      rest += Buffer.from(value).toString();
    }
    const lastAt = Date.now() - t0;
    expect(rest).toContain('data: {"i":4}');
    expect(firstAt).toBeLessThan(300);
    expect(lastAt).toBeGreaterThan(450);
  });

  describe('redirects are never followed (the secret never reaches another host)', () => {
    it.each([301, 302, 303, 307, 308])('%d to another host', async (status) => {
      w.other.clear();
      const to = encodeURIComponent(`${w.other.url}/steal`);
      const res = await w.forward(
        fwd(
          {
            url: `${w.api.url}/redirect?status=${status}&to=${to}`,
            method: 'POST',
            headers: { Authorization: 'Bearer $CLIENT_SECRET', 'x-api-key': '$CLIENT_SECRET' },
            data: { k: '$CLIENT_SECRET' },
          },
          [ref],
        ),
      );
      expect(res.status).toBe(status);
      expect(res.headers.get('location')).toBe(`${w.other.url}/steal`);
      await new Promise((r) => setTimeout(r, 50));
      expect(w.other.requests).toEqual([]);
    });

    it('a same-origin redirect is returned too, and a Location echoing the secret is scrubbed', async () => {
      const to = encodeURIComponent(`/next?k=${SECRET}`);
      const before = w.api.requests.length;
      const res = await w.forward(
        fwd({ url: `${w.api.url}/redirect?status=302&to=${to}&s=$CLIENT_SECRET` }, [ref]),
      );
      expect(res.status).toBe(302);
      expect(res.headers.get('location')).toBe('/next?k=[REDACTED]');
      expect(w.api.requests.length).toBe(before + 1);
    });
  });

  it('needs a session', async () => {
    const res = await w.forward(
      fwd({ url: `${w.api.url}/reflect`, headers: { a: '$CLIENT_SECRET' } }, [ref]),
      'A'.repeat(43),
    );
    expect(res.status).toBe(401);
    expect(res.json.error.code).toBe('UNAUTHENTICATED');
  });
});
