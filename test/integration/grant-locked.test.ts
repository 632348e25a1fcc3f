// Locked grants (Skapi's "only logged-in users"): the page passes the visitor's ID token; the
// relay verifies it against the site's JWKS, here a local server on loopback (allowed through
// KEYHOLE_ALLOW_PRIVATE, fetched through the SSRF-guarded client), and rates per `sub`.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHmac } from 'node:crypto';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initCrypto } from '../../shared/crypto/index.js';
import type { SecretRef } from '../../shared/protocol/forward.js';
import { startForwardWorld, type ForwardWorld } from '../support/forward-fixtures.js';
import { grantForward, makeGrant, type MadeGrant } from '../support/grant-fixtures.js';

const ISS = 'https://login.example/';
const AUD = 'shop-app';

type Key = Awaited<ReturnType<typeof generateKeyPair>>;
let w: ForwardWorld;
let ref: SecretRef;
let jwks: Server;
let jwksUrl: string;
let served: JWK[] = [];
let fetches = 0;
let k1: Key;
let k2: Key;
let stranger: Key;
let g: MadeGrant;

const b64 = (s: string): string => Buffer.from(s).toString('base64url');

function sign(
  key: Key,
  kid: string,
  claims: Record<string, unknown> = {},
  opts: { exp?: string | number; aud?: string; iss?: string } = {},
): Promise<string> {
  return new SignJWT({ ...claims })
    .setProtectedHeader({ alg: 'RS256', kid })
    .setSubject((claims.sub as string) ?? 'user-1')
    .setIssuer(opts.iss ?? ISS)
    .setAudience(opts.aud ?? AUD)
    .setIssuedAt()
    .setExpirationTime(opts.exp ?? '5m')
    .sign(key.privateKey);
}

const call = (idToken: string | undefined, xff = '203.0.113.10') =>
  grantForward(
    w.relay.url,
    g,
    {
      request: {
        url: `${w.api.url}/reflect`,
        method: 'POST',
        headers: { authorization: 'Bearer $CLIENT_SECRET' },
      },
      ...(idToken === undefined ? {} : { idToken }),
    },
    { xff },
  );

beforeAll(async () => {
  await initCrypto();
  k1 = await generateKeyPair('RS256', { extractable: true });
  k2 = await generateKeyPair('RS256', { extractable: true });
  stranger = await generateKeyPair('RS256', { extractable: true });
  served = [{ ...(await exportJWK(k1.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' }];
  jwks = createServer((req, res) => {
    fetches++;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: served }));
  });
  await new Promise<void>((r) => jwks.listen(0, '127.0.0.4', r));
  const port = (jwks.address() as AddressInfo).port;
  jwksUrl = `http://127.0.0.4:${port}/.well-known/jwks.json`;
  w = await startForwardWorld({ KEYHOLE_TRUST_PROXY: '127.0.0.1' }, [`127.0.0.4:${port}`]);
  ref = await w.addSecret({
    name: 'members',
    type: 'bearer',
    value: 'sk-locked-4242',
    allowedHosts: [`http://${w.api.hostPort}`],
  });
  g = await makeGrant(w.relay.url, w.token, ref, {
    ratePerMinute: 2,
    locked: { jwksUrl, issuer: ISS, audience: AUD },
  });
});

afterAll(async () => {
  await w?.stop();
  await new Promise((r) => jwks?.close(r));
});

describe('locked grants', () => {
  it('a valid ID token works; the key set is fetched once and cached', async () => {
    const r = await call(await sign(k1, 'k1', { sub: 'alice' }));
    expect(r.status, r.text).toBe(200);
    expect((await call(await sign(k1, 'k1', { sub: 'bob' }))).status).toBe(200);
    expect(fetches).toBe(1);
  });

  it('no token, an expired one, a wrong audience or issuer are LOGIN_REQUIRED', async () => {
    const past = Math.floor(Date.now() / 1000) - 3600;
    const bad = [
      undefined,
      '',
      'not.a.jwt',
      await sign(k1, 'k1', { sub: 'carol' }, { exp: past }),
      await sign(k1, 'k1', { sub: 'carol' }, { aud: 'another-app' }),
      await sign(k1, 'k1', { sub: 'carol' }, { iss: 'https://evil.example/' }),
    ];
    w.api.clear();
    for (const t of bad) {
      const r = await call(t);
      expect(r.code, String(t)).toBe('LOGIN_REQUIRED');
      expect(r.status).toBe(401);
    }
    expect(w.api.requests).toHaveLength(0);
  });

  it('forged tokens: alg none, HS256 keyed with the public key, another key under a known kid', async () => {
    const exp = Math.floor(Date.now() / 1000) + 300;
    const claims = b64(JSON.stringify({ sub: 'mallory', iss: ISS, aud: AUD, exp }));
    const none = `${b64(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${claims}.`;
    const pem = await exportSPKI(k1.publicKey);
    const hsHead = b64(JSON.stringify({ alg: 'HS256', typ: 'JWT', kid: 'k1' }));
    const hs = `${hsHead}.${claims}.${createHmac('sha256', pem).update(`${hsHead}.${claims}`).digest('base64url')}`;
    const jwkJson = JSON.stringify(served[0]);
    const hs2 = `${hsHead}.${claims}.${createHmac('sha256', jwkJson).update(`${hsHead}.${claims}`).digest('base64url')}`;
    const foreign = await sign(stranger, 'k1', { sub: 'mallory' });
    w.api.clear();
    for (const t of [none, hs, hs2, foreign]) expect((await call(t)).code).toBe('LOGIN_REQUIRED');
    expect(w.api.requests).toHaveLength(0);
  });

  it('the rate is per subject, not per IP', async () => {
    const dave = await sign(k1, 'k1', { sub: 'dave' });
    const erin = await sign(k1, 'k1', { sub: 'erin' });
    const codes = [];
    for (let i = 0; i < 3; i++) codes.push((await call(dave, `198.51.100.${i}`)).code);
    expect(codes).toEqual([undefined, undefined, 'RATE_LIMITED']);
    expect((await call(erin, '198.51.100.0')).status).toBe(200);
  });

  it('a rotated key is picked up (after a short cooldown between fetches)', async () => {
    served = [{ ...(await exportJWK(k2.publicKey)), kid: 'k2', alg: 'RS256', use: 'sig' }];
    await new Promise((r) => setTimeout(r, 5200));
    const r = await call(await sign(k2, 'k2', { sub: 'frank' }));
    expect(r.status, r.text).toBe(200);
    expect(fetches).toBe(2);
  });

  it('the JWKS is fetched through the SSRF guard: loopback or plain http elsewhere is refused', async () => {
    for (const url of ['https://127.0.0.1:9/jwks.json', 'http://127.0.0.5:9/jwks.json']) {
      const locked = await makeGrant(w.relay.url, w.token, ref, {
        locked: { jwksUrl: url, issuer: ISS, audience: AUD },
      });
      const r = await grantForward(w.relay.url, locked, {
        request: {
          url: `${w.api.url}/reflect`,
          headers: { authorization: 'Bearer $CLIENT_SECRET' },
        },
        idToken: await sign(k2, 'k2'),
      });
      expect(r.code, url).toBe('HOST_NOT_ALLOWED');
    }
  });
});
