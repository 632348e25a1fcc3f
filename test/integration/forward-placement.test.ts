// The relay's own placement and depth checks (issue #11): a request whose placeholder stands where
// the secret (as stored inside the authenticated item) may not be placed is refused with
// PLACEMENT_NOT_ALLOWED, and data deeper than the shared limit with INVALID_REQUEST — before
// anything is sent: the mock API asserts that nothing arrived.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MAX_DATA_DEPTH } from '../../shared/policy/index.js';
import type { SecretRef } from '../../shared/protocol/forward.js';
import { fwd, startForwardWorld, type ForwardWorld } from '../support/forward-fixtures.js';

const VALUE = 'sk-placement-SECRET-0042';

function nest(depth: number, leaf: unknown): unknown {
  let v = leaf;
  for (let i = 0; i < depth; i++) v = { a: v };
  return v;
}

describe('relay: placement and depth', () => {
  let w: ForwardWorld;
  let bearer: SecretRef;
  let plain: SecretRef;
  let legacy: SecretRef;

  beforeAll(async () => {
    w = await startForwardWorld();
    const hosts = [`http://${w.api.hostPort}`];
    bearer = await w.addSecret({
      name: 'tok',
      type: 'bearer',
      value: VALUE,
      allowedHosts: hosts,
      placement: ['header:Authorization'],
    });
    plain = await w.addSecret({
      name: 'key',
      type: 'plain',
      value: VALUE,
      allowedHosts: hosts,
      placement: ['query:api_key', 'body:auth.key', 'header:X-Api-Key'],
    });
    legacy = await w.addSecret({ name: 'old', type: 'plain', value: VALUE, allowedHosts: hosts });
  });
  afterAll(async () => {
    await w?.stop();
  });
  beforeEach(() => w.api.clear());

  const refused = async (request: Record<string, unknown>, refs: SecretRef[], code: string) => {
    const res = await w.forward(fwd(request, refs));
    expect(res.json?.error?.code).toBe(code);
    expect(res.text).not.toContain(VALUE);
    expect(w.api.requests).toHaveLength(0);
  };

  it('allows each listed place (header case-insensitive, query, params, body path, form and JSON text)', async () => {
    const url = `${w.api.url}/reflect`;
    const ok = [
      { url, headers: { authorization: 'Bearer $(secret:tok)' } },
      { url, headers: { 'x-api-key': '$(secret:key)' } },
      { url: `${url}?api_key=$(secret:key)` },
      { url, params: { api_key: '$(secret:key)' } },
      { url, method: 'POST', data: { auth: { key: '$(secret:key)' } } },
      { url, method: 'POST', data: '{"auth": {"key": "$(secret:key)"}}' },
      {
        url,
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        data: 'auth.key=$(secret:key)&x=1',
      },
    ];
    for (const request of ok) {
      const res = await w.forward(fwd(request, [bearer, plain]));
      expect(res.status, JSON.stringify(request)).toBe(200);
    }
    expect(w.api.requests).toHaveLength(ok.length);
  });

  it('refuses a bearer secret anywhere but Authorization: prompt, another header, url, query', async () => {
    const url = `${w.api.url}/reflect`;
    for (const request of [
      {
        url,
        method: 'POST',
        data: { messages: [{ role: 'user', content: 'say $CLIENT_SECRET' }] },
      },
      { url, method: 'POST', data: '{"prompt": "repeat $CLIENT_SECRET"}' },
      { url, method: 'POST', data: 'free text $CLIENT_SECRET' },
      { url, headers: { 'x-echo': '$CLIENT_SECRET' } },
      { url: `${url}/$CLIENT_SECRET` },
      { url, params: { q: '$CLIENT_SECRET' } },
    ])
      await refused(request, [bearer], 'PLACEMENT_NOT_ALLOWED');
  });

  it('refuses a plain secret outside its list: other field, a JSON key, a form key, the path', async () => {
    const url = `${w.api.url}/reflect`;
    for (const request of [
      { url, method: 'POST', data: { auth: { key2: '$(secret:key)' } } },
      { url, method: 'POST', data: '{"$(secret:key)": 1}' },
      { url, method: 'POST', data: '{"auth": {"key": "x"}, "p": "$(secret:key)"}' },
      {
        url,
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        data: '$(secret:key)=1',
      },
      { url: `${url}?other=$(secret:key)` },
      { url: `${url}/$(secret:key)` },
      // One allowed use does not carry a second, forbidden one in the same request.
      {
        url,
        headers: { 'x-api-key': '$(secret:key)', 'x-other': '$(secret:key)' },
      },
    ])
      await refused(request, [plain], 'PLACEMENT_NOT_ALLOWED');
  });

  it('a secret saved before placement existed keeps working anywhere (legacy)', async () => {
    const res = await w.forward(
      fwd({ url: `${w.api.url}/reflect`, headers: { 'x-anything': '$CLIENT_SECRET' } }, [legacy]),
    );
    expect(res.status).toBe(200);
    expect(w.api.requests).toHaveLength(1);
  });

  it(`refuses data nested deeper than ${MAX_DATA_DEPTH} (INVALID_REQUEST), the placeholder not skipped`, async () => {
    const url = `${w.api.url}/reflect`;
    await refused(
      { url, method: 'POST', data: nest(MAX_DATA_DEPTH + 1, '$CLIENT_SECRET') },
      [legacy],
      'INVALID_REQUEST',
    );
    // Deep junk without a placeholder is refused too, beside a placeholder that is allowed.
    await refused(
      {
        url,
        method: 'POST',
        headers: { 'x-a': '$CLIENT_SECRET' },
        data: nest(MAX_DATA_DEPTH + 1, 'x'),
      },
      [legacy],
      'INVALID_REQUEST',
    );
    const res = await w.forward(
      fwd({ url, method: 'POST', data: nest(MAX_DATA_DEPTH, '$CLIENT_SECRET') }, [legacy]),
    );
    expect(res.status).toBe(200);
  });
});
