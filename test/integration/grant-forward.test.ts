// Grants through a real relay process (SQLite), from Node: a non-browser client can forge any
// Origin, so everything here is what the relay itself enforces — origin, method, path, rate per
// visitor, quota, expiry, body cap, revocation, a deleted secret, a removed member, a DB writer
// who widens or moves a policy — plus audit rows and the at-rest / log scans (invariants 3, 7).
// Grants are served from the relay's cache once read: every end of a grant here is made through
// the relay, after the grant was cached.
import { readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initCrypto } from '../../shared/crypto/index.js';
import type { SecretRef } from '../../shared/protocol/forward.js';
import { startForwardWorld, type ForwardWorld } from '../support/forward-fixtures.js';
import {
  grantForward,
  makeGrant,
  preflight,
  teamGrant,
  type MadeGrant,
} from '../support/grant-fixtures.js';
import { call } from '../support/http.js';

const SECRET = 'sk-grant-canary-5f2b9c0e41d7a3';
const APP = 'https://app.example';
const EVIL = 'https://evil.example';

let w: ForwardWorld;
let ref: SecretRef;
const grants: MadeGrant[] = [];

const tpl = (path = '/reflect', method = 'POST', extra: Record<string, unknown> = {}) => ({
  request: {
    url: `${w.api.url}${path}`,
    method,
    headers: { authorization: 'Bearer $CLIENT_SECRET' },
    ...extra,
  },
});

async function grant(over: Parameters<typeof makeGrant>[3] = {}): Promise<MadeGrant> {
  const g = await makeGrant(w.relay.url, w.token, ref, over);
  grants.push(g);
  return g;
}

beforeAll(async () => {
  await initCrypto();
  // The test client connects from 127.0.0.1: believe its X-Forwarded-For (one proxy in front).
  w = await startForwardWorld({ KEYHOLE_TRUST_PROXY: '127.0.0.1' });
  ref = await w.addSecret({
    name: 'openai',
    type: 'bearer',
    value: SECRET,
    allowedHosts: [`http://${w.api.hostPort}`],
  });
});

afterAll(async () => {
  await w?.stop();
});

describe('grant forward: origin and CORS', () => {
  it('an allowed origin gets the answer, with CORS for that origin only; the secret is substituted and scrubbed', async () => {
    const g = await grant();
    w.api.clear();
    const r = await grantForward(w.relay.url, g, tpl());
    expect(r.status).toBe(200);
    expect(r.acao).toBe(APP);
    expect(r.headers.get('vary')).toMatch(/origin/i);
    expect(w.api.requests[0]?.headers.authorization).toBe(`Bearer ${SECRET}`);
    expect(r.text).not.toContain(SECRET);
    expect(r.text).toContain('[REDACTED]');
  });

  it('another origin, or none, is refused before anything is sent, with no CORS headers', async () => {
    const g = await grant();
    w.api.clear();
    for (const origin of [EVIL, 'https://app.example.evil.example', 'http://app.example', null]) {
      const r = await grantForward(w.relay.url, g, tpl(), { origin });
      expect(r.status).toBe(403);
      expect(r.code).toBe('ORIGIN_NOT_ALLOWED');
      expect(r.acao).toBeUndefined();
    }
    expect(w.api.requests).toHaveLength(0);
  });

  it('the preflight is answered for the exact origins only', async () => {
    const g = await grant({ origins: [APP, 'http://localhost:5173'] });
    expect(await preflight(w.relay.url, g.id, APP)).toEqual({ status: 204, acao: APP });
    const local = await preflight(w.relay.url, g.id, 'http://localhost:5173');
    expect(local.acao).toBe('http://localhost:5173');
    const evil = await preflight(w.relay.url, g.id, EVIL);
    expect(evil.status).toBe(403);
    expect(evil.acao).toBeUndefined();
    const unknown = await preflight(w.relay.url, 'AAAAAAAAAAAAAAAAAAAAAA', APP);
    expect(unknown.acao).toBeUndefined();
  });
});

describe('grant forward: a forged Origin gets no further than the policy', () => {
  it('method', async () => {
    const g = await grant({ methods: ['POST'] });
    w.api.clear();
    const r = await grantForward(w.relay.url, g, tpl('/reflect', 'DELETE'));
    // The grant's own limit: what this site may do with the secret (docs/protocol.md "Grants").
    expect(r.status).toBe(403);
    expect(r.code).toBe('ORIGIN_NOT_ALLOWED');
    expect((r.json as { error: { message: string } }).error.message).toMatch(/only POST/);
    expect(r.acao).toBe(APP); // the page can read why
    expect((await grantForward(w.relay.url, g, tpl('/reflect', 'POST'))).status).toBe(200);
    expect(w.api.requests.map((q) => q.method)).toEqual(['POST']);
  });

  it('path prefixes, on segment boundaries, with no encoded way out', async () => {
    const g = await grant({ paths: ['/reflect'] });
    w.api.clear();
    expect((await grantForward(w.relay.url, g, tpl('/reflect'))).status).toBe(200);
    expect((await grantForward(w.relay.url, g, tpl('/reflect/x?y=1'))).status).toBe(200);
    for (const path of ['/json', '/reflectx']) {
      const r = await grantForward(w.relay.url, g, tpl(path));
      expect(r.code, path).toBe('ORIGIN_NOT_ALLOWED');
      expect((r.json as { error: { message: string } }).error.message).toMatch(/under \/reflect/);
    }
    // An encoded way out is a refused url shape for any secret (shared/policy/url.ts), before
    // the grant's own prefixes are looked at.
    for (const path of ['/reflect/%2e%2e/json', '/reflect%2f..%2fjson']) {
      const r = await grantForward(w.relay.url, g, tpl(path));
      expect(['HOST_NOT_ALLOWED', 'ORIGIN_NOT_ALLOWED'], path).toContain(r.code);
    }
    // A placeholder in the path cannot move it outside the prefix either (checked after substitution).
    const r = await grantForward(w.relay.url, g, {
      request: { url: `${w.api.url}/reflect/$CLIENT_SECRET`, method: 'GET' },
    });
    expect(
      r.code === undefined || r.code === 'ORIGIN_NOT_ALLOWED' || r.code === 'PLACEMENT_NOT_ALLOWED',
    ).toBe(true);
    expect(w.api.requests.map((q) => q.path.split('?')[0])).not.toContain('/json');
  });

  it("the secret's own allowed hosts still hold (a grant narrows, never widens)", async () => {
    const g = await grant();
    w.other.clear();
    const r = await grantForward(w.relay.url, g, {
      request: {
        url: `${w.other.url}/reflect`,
        headers: { authorization: 'Bearer $CLIENT_SECRET' },
      },
    });
    expect(r.code).toBe('HOST_NOT_ALLOWED');
    expect(w.other.requests).toHaveLength(0);
  });

  it('rate per visitor per minute (client IP through the trusted proxy)', async () => {
    const g = await grant({ ratePerMinute: 3 });
    const a = { xff: '203.0.113.7' };
    const codes: Array<string | undefined> = [];
    for (let i = 0; i < 4; i++) codes.push((await grantForward(w.relay.url, g, tpl(), a)).code);
    expect(codes).toEqual([undefined, undefined, undefined, 'RATE_LIMITED']);
    const limited = await grantForward(w.relay.url, g, tpl(), a);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(limited.acao).toBe(APP); // the page can read why
    // Another visitor has a rate of its own.
    expect((await grantForward(w.relay.url, g, tpl(), { xff: '203.0.113.8' })).status).toBe(200);
  });

  it('an IPv6 visitor is its /64: other addresses of it get no fresh rate', async () => {
    // Every IPv6 client holds at least a /64: per address, one visitor would have 2^64 rates and
    // could use up the grant's quota alone.
    const g = await grant({ ratePerMinute: 2 });
    const codes: Array<string | undefined> = [];
    for (const xff of [
      '2001:db8:1:2::1',
      '2001:db8:1:2::2',
      '2001:DB8:1:2:0:0:0:3',
      '2001:db8:1:2:ab::9',
    ])
      codes.push((await grantForward(w.relay.url, g, tpl(), { xff })).code);
    expect(codes).toEqual([undefined, undefined, 'RATE_LIMITED', 'RATE_LIMITED']);
    // Another /64 is another visitor.
    expect((await grantForward(w.relay.url, g, tpl(), { xff: '2001:db8:1:3::1' })).status).toBe(
      200,
    );
  });

  it('a visitor over its rate reaches nothing, not even the token endpoint of a minting secret', async () => {
    // A token endpoint that never gives a token: nothing is cached, every build would ask it again.
    const minting = await w.addSecret({
      name: 'minting',
      type: 'oauth',
      oauth: {
        grant: 'client_credentials',
        tokenUrl: `${w.api.url}/no-token-here`,
        clientId: 'cid-rate',
        clientSecret: 'cs-rate-7f3a9d2e',
      },
      allowedHosts: [`http://${w.api.hostPort}`],
    });
    const g = await makeGrant(w.relay.url, w.token, minting, { ratePerMinute: 2 });
    grants.push(g);
    const before = w.api.requests.filter((q) => q.path === '/no-token-here').length;
    const codes: Array<string | undefined> = [];
    for (let i = 0; i < 6; i++)
      codes.push((await grantForward(w.relay.url, g, tpl(), { xff: '203.0.113.99' })).code);
    expect(codes.slice(2)).toEqual([
      'RATE_LIMITED',
      'RATE_LIMITED',
      'RATE_LIMITED',
      'RATE_LIMITED',
    ]);
    expect(w.api.requests.filter((q) => q.path === '/no-token-here').length - before).toBe(2);
  });

  it('quota per day for the whole grant, whoever asks', async () => {
    const g = await grant({ quotaPerDay: 4 });
    const codes: Array<string | undefined> = [];
    for (let i = 0; i < 6; i++)
      codes.push((await grantForward(w.relay.url, g, tpl(), { xff: `198.51.100.${i}` })).code);
    expect(codes).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      'RATE_LIMITED',
      'RATE_LIMITED',
    ]);
  });

  it('a visitor over its rate does not eat the quota of the others', async () => {
    const g = await grant({ ratePerMinute: 1, quotaPerDay: 3 });
    for (let i = 0; i < 10; i++) await grantForward(w.relay.url, g, tpl(), { xff: '192.0.2.1' });
    expect((await grantForward(w.relay.url, g, tpl(), { xff: '192.0.2.2' })).status).toBe(200);
    expect((await grantForward(w.relay.url, g, tpl(), { xff: '192.0.2.3' })).status).toBe(200);
    expect((await grantForward(w.relay.url, g, tpl(), { xff: '192.0.2.4' })).code).toBe(
      'RATE_LIMITED',
    );
  });

  it('body size cap', async () => {
    const g = await grant({ maxBodyBytes: 400 });
    const r = await grantForward(
      w.relay.url,
      g,
      tpl('/reflect', 'POST', { data: 'x'.repeat(500) }),
    );
    expect(r.code).toBe('PAYLOAD_TOO_LARGE');
    expect((await grantForward(w.relay.url, g, tpl())).status).toBe(200);
  });

  it('expiry', async () => {
    const g = await grant({ expiresAt: Date.now() + 1500 });
    expect((await grantForward(w.relay.url, g, tpl())).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1700));
    const r = await grantForward(w.relay.url, g, tpl());
    expect(r.code).toBe('GRANT_INVALID');
    expect((r.json as { error: { message: string } }).error.message).toMatch(/expired/);
  });
});

describe('grant forward: the token', () => {
  it('a wrong key, a wrong id, a malformed token are all GRANT_INVALID', async () => {
    const g = await grant();
    const other = await grant();
    const wrongKey = `${g.token.slice(0, 30)}${g.token[30] === 'A' ? 'B' : 'A'}${g.token.slice(31)}`;
    for (const [id, token] of [
      [g.id, wrongKey],
      [other.id, g.token],
      [g.id, 'khg_short'],
      [g.id, g.token.slice(4)],
    ] as const) {
      const r = await grantForward(w.relay.url, { id, token }, tpl());
      expect(r.code, token).toBe('GRANT_INVALID');
    }
  });

  it('revocation counts at the very next request', async () => {
    const g = await grant();
    expect((await grantForward(w.relay.url, g, tpl())).status).toBe(200);
    const revoked = await call(w.relay.url, 'DELETE', `/v1/grants/${g.id}`, { token: w.token });
    expect(revoked.status).toBe(200);
    const r = await grantForward(w.relay.url, g, tpl());
    expect(r.code).toBe('GRANT_INVALID');
    expect(r.acao).toBe(APP);
  });

  it('a database writer can neither widen a policy nor move one to another grant', async () => {
    // Written before the relay first reads these grants: a write behind a running relay's back
    // is not seen by its cache (docs/forward.md "Cache"), so this is what the relay reads.
    const g = await grant();
    const moved = await grant();
    const wide = await grant({ origins: [APP, EVIL] });
    const db = new Database(w.dbPath);
    try {
      // Widening the clear copy lets a preflight through, not a request.
      db.prepare('update grants set cors_origins = ? where id = ?').run(
        JSON.stringify([APP, EVIL]),
        g.id,
      );
      // The wider policy of another grant, copied over: bound to its own grant id.
      const other = db.prepare('select policy from grants where id = ?').get(wide.id) as {
        policy: string;
      };
      db.prepare('update grants set policy = ? where id = ?').run(other.policy, moved.id);
    } finally {
      db.close();
    }
    expect((await preflight(w.relay.url, g.id, EVIL)).status).toBe(204);
    const r = await grantForward(w.relay.url, g, tpl(), { origin: EVIL });
    expect(r.code).toBe('ORIGIN_NOT_ALLOWED');
    expect(r.acao).toBeUndefined();
    expect((await grantForward(w.relay.url, moved, tpl(), { origin: EVIL })).code).toBe(
      'GRANT_INVALID',
    );
    expect((await grantForward(w.relay.url, moved, tpl())).code).toBe('GRANT_INVALID');
  });

  it("the relay cache holds a grant, and drops it with its secret's deletion or its creator's removal", async () => {
    // Each end is made through the relay (as users make them), after the grant was served and
    // cached: the very next request is refused.
    for (const end of ['deleteSecret', 'removeMember'] as const) {
      const t = await teamGrant(w.relay.url, `http://${w.api.hostPort}`);
      for (let i = 0; i < 3; i++)
        expect((await grantForward(w.relay.url, t.grant, tpl())).status, end).toBe(200);
      await t[end]();
      const r = await grantForward(w.relay.url, t.grant, tpl());
      expect(r.code, end).toBe('GRANT_INVALID');
    }
  });
});

describe('grant forward: audit and scans', () => {
  it('audits each use with the grant id, origin, host, method, status and a keyed visitor hash', async () => {
    const g = await grant();
    await grantForward(w.relay.url, g, tpl(), { xff: '203.0.113.99' });
    await grantForward(w.relay.url, g, tpl(), { origin: EVIL, xff: '203.0.113.99' });
    await new Promise((r) => setTimeout(r, 600)); // audit batches every 250 ms
    const db = new Database(w.dbPath, { readonly: true });
    try {
      const rows = db
        .prepare('select * from audit_log where grant_id = ? order by created_at')
        .all(g.id) as Array<Record<string, unknown>>;
      expect(rows).toHaveLength(2);
      expect(rows[0]).toMatchObject({
        origin: APP,
        host: w.api.hostPort,
        method: 'POST',
        status: 200,
      });
      expect(rows[1]).toMatchObject({ origin: EVIL, error_code: 'ORIGIN_NOT_ALLOWED' });
      expect(rows[0]!.visitor).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(rows[0]!.visitor).toBe(rows[1]!.visitor);
      expect(JSON.stringify(rows)).not.toContain('203.0.113.99');
    } finally {
      db.close();
    }
    const listed = await call(w.relay.url, 'GET', '/v1/grants', { token: w.token });
    const mine = (
      listed.json as { grants: Array<{ id: string; uses: number; state: string }> }
    ).grants.find((x) => x.id === g.id);
    expect(mine).toMatchObject({ uses: 2, state: 'live' });
  });

  it('no token, grant key, item key or secret in any relay log line or the database file', async () => {
    await new Promise((r) => setTimeout(r, 400));
    const logs = w.relay.output();
    const dbText = ['', '-wal', '-shm']
      .map((s) => {
        try {
          return readFileSync(w.dbPath + s).toString('latin1');
        } catch {
          return '';
        }
      })
      .join('\n');
    expect(grants.length).toBeGreaterThan(5);
    for (const g of grants) {
      const keyB64 = Buffer.from(g.grantKey).toString('base64url');
      const keyHex = Buffer.from(g.grantKey).toString('hex');
      for (const needle of [g.token, g.token.slice(4), keyB64, keyHex]) {
        expect(logs).not.toContain(needle);
        expect(dbText).not.toContain(needle);
      }
    }
    for (const needle of [SECRET, ref.itemKey]) {
      expect(logs).not.toContain(needle);
      expect(dbText).not.toContain(needle);
    }
    expect(logs).toContain('/v1/grants/'); // the request log did run
  });
});

describe('grant forward: counters across a graceful stop (last: stops the relay)', () => {
  it('a quota is reserved in blocks; SIGTERM gives the unused part back to the store', async () => {
    const g = await grant({ quotaPerDay: 6400 });
    expect((await grantForward(w.relay.url, g, tpl())).status).toBe(200);
    const key = `q:${g.id}:${Math.floor(Date.now() / 86_400_000)}`;
    const count = (): number | undefined => {
      const db = new Database(w.dbPath, { readonly: true });
      try {
        const row = db.prepare('select count from grant_counters where key = ?').get(key) as
          { count: number } | undefined;
        return row?.count;
      } finally {
        db.close();
      }
    };
    // One use, one block of 6400/64 written (docs/protocol.md "Counters").
    expect(count()).toBe(100);
    await w.relay.stop();
    expect(count()).toBe(1);
  });
});
