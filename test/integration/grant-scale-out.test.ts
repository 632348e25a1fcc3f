// Two relay processes on one PostgreSQL schema: a grant made on A works on B, its quota and each
// visitor's rate are counted once for both, and a revocation, the secret's deletion or the
// creator's removal made through one relay counts on the other at the very next request, although
// both hold the grant in their caches (a write answers once every relay has applied its NOTIFY:
// docs/forward.md "Cache").
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initCrypto } from '../../shared/crypto/index.js';
import type { SecretRef } from '../../shared/protocol/forward.js';
import { freshPostgresUrl } from '../support/postgres.js';
import { spawnRelay, type RelayProcess } from '../support/relay-process.js';
import { startForwardWorld, type ForwardWorld } from '../support/forward-fixtures.js';
import { grantForward, makeGrant, teamGrant } from '../support/grant-fixtures.js';
import { call } from '../support/http.js';

let pg: Awaited<ReturnType<typeof freshPostgresUrl>>;
let w: ForwardWorld;
let b: RelayProcess;
let ref: SecretRef;

const tpl = () => ({
  request: {
    url: `${w.api.url}/reflect`,
    method: 'POST',
    headers: { authorization: 'Bearer $CLIENT_SECRET' },
  },
});

beforeAll(async () => {
  await initCrypto();
  pg = await freshPostgresUrl();
  w = await startForwardWorld({ KEYHOLE_TRUST_PROXY: '127.0.0.1' }, [], pg.url);
  b = await spawnRelay({ db: pg.url, env: w.relayEnv });
  ref = await w.addSecret({
    name: 'shared',
    type: 'bearer',
    value: 'sk-pg-grant-31337',
    allowedHosts: [`http://${w.api.hostPort}`],
  });
});

afterAll(async () => {
  await b?.stop();
  await w?.stop();
  await pg?.drop();
});

describe('grants on two relays sharing PostgreSQL', () => {
  it('a revocation on one relay counts on the other at the very next request', async () => {
    const g = await makeGrant(w.relay.url, w.token, ref);
    expect((await grantForward(w.relay.url, g, tpl())).status).toBe(200);
    expect((await grantForward(b.url, g, tpl())).status).toBe(200);
    const revoked = await call(b.url, 'DELETE', `/v1/grants/${g.id}`, { token: w.token });
    expect(revoked.status).toBe(200);
    expect((await grantForward(w.relay.url, g, tpl())).code).toBe('GRANT_INVALID');
    expect((await grantForward(b.url, g, tpl())).code).toBe('GRANT_INVALID');
  });

  it('revocations on either relay count on the other at once, every time (both had it cached)', async () => {
    for (let i = 0; i < 10; i++) {
      const g = await makeGrant(w.relay.url, w.token, ref);
      const [writer, other] = i % 2 === 0 ? [w.relay.url, b.url] : [b.url, w.relay.url];
      for (let k = 0; k < 3; k++) expect((await grantForward(other, g, tpl())).status).toBe(200);
      const revoked = await call(writer, 'DELETE', `/v1/grants/${g.id}`, { token: w.token });
      expect(revoked.status).toBe(200);
      expect((await grantForward(other, g, tpl())).code, `round ${i}`).toBe('GRANT_INVALID');
    }
  });

  it("the secret's deletion or the creator's removal through A counts on B at the very next request", async () => {
    for (const end of ['deleteSecret', 'removeMember'] as const) {
      const t = await teamGrant(w.relay.url, `http://${w.api.hostPort}`);
      for (let k = 0; k < 3; k++)
        expect((await grantForward(b.url, t.grant, tpl())).status, end).toBe(200);
      await t[end]();
      expect((await grantForward(b.url, t.grant, tpl())).code, end).toBe('GRANT_INVALID');
    }
  });

  it('the daily quota and a visitor’s rate are counted once across both relays', async () => {
    const q = await makeGrant(w.relay.url, w.token, ref, { quotaPerDay: 4 });
    const codes: Array<string | undefined> = [];
    for (let i = 0; i < 6; i++) {
      const relay = i % 2 === 0 ? w.relay.url : b.url;
      codes.push((await grantForward(relay, q, tpl(), { xff: `198.51.100.${i}` })).code);
    }
    expect(codes).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      'RATE_LIMITED',
      'RATE_LIMITED',
    ]);

    const r = await makeGrant(w.relay.url, w.token, ref, { ratePerMinute: 2 });
    const visitor = { xff: '203.0.113.50' };
    const rc = [
      (await grantForward(w.relay.url, r, tpl(), visitor)).code,
      (await grantForward(b.url, r, tpl(), visitor)).code,
      (await grantForward(w.relay.url, r, tpl(), visitor)).code,
    ];
    expect(rc).toEqual([undefined, undefined, 'RATE_LIMITED']);
  });
});
