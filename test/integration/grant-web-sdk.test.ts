// The web SDK (`keyhole/web`, GET /v1/web.js) against a real relay process, run in Node with a
// fetch that sends the Origin a browser would: each refusal of a grant's limits reaches the page
// with the relay's code, the relay's message (which limit, and the fix) and, for RATE_LIMITED,
// retryAfter — the same codes the relay answers (docs/protocol.md "Grants"). A browser on another
// origin is stopped by CORS first (test/e2e/grants.test.ts); a non-browser gets the code.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initCrypto } from '../../shared/crypto/index.js';
import type { SecretRef } from '../../shared/protocol/forward.js';
import type { GrantPolicy } from '../../shared/protocol/grant.js';
import { connect, type WebError } from '../../shared/web/index.js';
import { startForwardWorld, type ForwardWorld } from '../support/forward-fixtures.js';
import { makeGrant } from '../support/grant-fixtures.js';
import { call } from '../support/http.js';

const APP = 'https://app.example';
let w: ForwardWorld;
let ref: SecretRef;
let origin = APP;
const realFetch = globalThis.fetch;

beforeAll(async () => {
  await initCrypto();
  w = await startForwardWorld();
  ref = await w.addSecret({
    name: 'openai',
    type: 'bearer',
    value: 'sk-web-sdk-3c9d02',
    allowedHosts: [`http://${w.api.hostPort}`],
    placement: ['header:Authorization'],
  });
  // What a browser adds to a cross-origin fetch from a page on `origin`.
  globalThis.fetch = (input, init) =>
    realFetch(input, { ...init, headers: { ...(init?.headers as object), origin } });
});

afterAll(async () => {
  globalThis.fetch = realFetch;
  await w?.stop();
});

/** One call through the SDK: what the page's promise settles with. */
async function page(
  over: Partial<GrantPolicy>,
  params: Record<string, unknown> = {},
  times = 1,
): Promise<WebError | 'ok'> {
  const g = await makeGrant(w.relay.url, w.token, ref, over);
  const keyhole = connect({ relay: w.relay.url, grants: { openai: g.token } });
  let out: WebError | 'ok' = 'ok';
  for (let i = 0; i < times; i++) {
    try {
      await keyhole.clientSecretRequest({
        clientSecretName: 'openai',
        url: `${w.api.url}/reflect`,
        method: 'POST',
        headers: { Authorization: 'Bearer $CLIENT_SECRET' },
        data: { prompt: 'hi' },
        ...params,
      });
      out = 'ok';
    } catch (err) {
      out = err as WebError;
    }
  }
  return out;
}

describe('web SDK: every grant limit reaches the page with the relay’s code', () => {
  it('a method or a path outside the grant: ORIGIN_NOT_ALLOWED, with which limit and the fix', async () => {
    const method = await page({ methods: ['GET'] });
    expect(method).toMatchObject({ code: 'ORIGIN_NOT_ALLOWED' });
    expect((method as WebError).message).toMatch(/only GET.*--method/);
    const path = await page({ paths: ['/v1/chat'] });
    expect(path).toMatchObject({ code: 'ORIGIN_NOT_ALLOWED' });
    expect((path as WebError).message).toMatch(/under \/v1\/chat.*--path/);
    expect(await page({ methods: ['POST'], paths: ['/reflect'] })).toBe('ok');
  });

  it("the secret's own hosts stay HOST_NOT_ALLOWED; its placement PLACEMENT_NOT_ALLOWED", async () => {
    expect(await page({}, { url: `${w.other.url}/reflect` })).toMatchObject({
      code: 'HOST_NOT_ALLOWED',
    });
    expect(await page({}, { headers: {}, data: { prompt: '$CLIENT_SECRET' } })).toMatchObject({
      code: 'PLACEMENT_NOT_ALLOWED',
    });
  });

  it('rate and quota: RATE_LIMITED with retryAfter (seconds)', async () => {
    const rate = await page({ ratePerMinute: 1 }, {}, 2);
    expect(rate).toMatchObject({ code: 'RATE_LIMITED' });
    expect((rate as WebError).retryAfter).toBeGreaterThan(0);
    expect((rate as WebError).retryAfter).toBeLessThanOrEqual(60);
    const quota = await page({ quotaPerDay: 2 }, {}, 3);
    expect(quota).toMatchObject({ code: 'RATE_LIMITED' });
    expect((quota as WebError).message).toMatch(/quota/);
    expect((quota as WebError).retryAfter).toBeGreaterThan(0);
  });

  it('expired or revoked: GRANT_INVALID; another origin: ORIGIN_NOT_ALLOWED', async () => {
    const expired = await page({ expiresAt: Date.now() - 1000 });
    expect(expired).toMatchObject({ code: 'GRANT_INVALID' });
    expect((expired as WebError).message).toMatch(/expired/);
    const g = await makeGrant(w.relay.url, w.token, ref);
    await call(w.relay.url, 'DELETE', `/v1/grants/${g.id}`, { token: w.token });
    const keyhole = connect({ relay: w.relay.url, grants: { openai: g.token } });
    await expect(
      keyhole.clientSecretRequest({
        clientSecretName: 'openai',
        url: `${w.api.url}/reflect`,
        headers: { Authorization: 'Bearer $CLIENT_SECRET' },
      }),
    ).rejects.toMatchObject({ code: 'GRANT_INVALID' });
    origin = 'https://evil.example';
    try {
      const other = await page({});
      expect(other).toMatchObject({ code: 'ORIGIN_NOT_ALLOWED' });
      expect((other as WebError).message).toMatch(/--origin/);
    } finally {
      origin = APP;
    }
  });
});
