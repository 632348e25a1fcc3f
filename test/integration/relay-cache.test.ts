// The relay cache (server/db/relay-cache.ts) stays exact: one relay per SQLite file (a second one
// exits with a clear message); on PostgreSQL a logout or a deletion on relay A reaches relay B's
// cache through NOTIFY; a relay whose listening connection is cut drops its cache and serves
// uncached (fail closed) until it listens again. forward-session.test.ts covers one relay.
import { createHash } from 'node:crypto';
import { mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SecretRef } from '../../shared/protocol/forward.js';
import { freshPostgresUrl, TEST_PG_URL } from '../support/postgres.js';
import { spawnRelay, type RelayProcess } from '../support/relay-process.js';
import { fakeAccount, signedIn, type FakeAccount } from '../support/account.js';
import { call } from '../support/http.js';
import {
  fwd,
  postForward,
  startForwardWorld,
  type Account,
  type ForwardWorld,
} from '../support/forward-fixtures.js';

const SECRET = 'sk-cache-5d1f0a9e2b7c4e3a';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until `check` is true or `ms` passed; returns the time it took (or Infinity). */
async function within(ms: number, check: () => Promise<boolean>): Promise<number> {
  const start = performance.now();
  while (performance.now() - start < ms) {
    if (await check()) return performance.now() - start;
    await sleep(2);
  }
  return Infinity;
}

describe('relay cache on SQLite: one relay per file', () => {
  let w: ForwardWorld;
  beforeAll(async () => {
    w = await startForwardWorld();
  });
  afterAll(async () => {
    await w?.stop();
  });

  it('a second relay on the same file exits with a clear message, before touching it', async () => {
    await expect(spawnRelay({ db: w.dbPath, env: w.relayEnv })).rejects.toThrow(
      /relay exited \(1\) before listening:[\s\S]*another relay is already serving .*keyhole\.db/,
    );
    // The first relay is unaffected.
    const me = await call(w.relay.url, 'GET', '/v1/accounts/me', { token: w.token });
    expect(me.status).toBe(200);
  });

  it('a second relay reaching the same file through a symlink is kept out too', async () => {
    // The lock file is named after the database's real path, not the spelling KEYHOLE_DB uses.
    const link = join(mkdtempSync(join(tmpdir(), 'keyhole-link-')), 'alias.db');
    symlinkSync(w.dbPath, link);
    const second = await spawnRelay({ db: link, env: w.relayEnv }).then(
      async (r) => (await r.stop(), 'a second relay started'),
      (err: unknown) => String(err),
    );
    expect(second).toMatch(
      /relay exited \(1\) before listening:[\s\S]*another relay is already serving/,
    );
    const me = await call(w.relay.url, 'GET', '/v1/accounts/me', { token: w.token });
    expect(me.status).toBe(200);
  });

  it('deleting an item the cache holds counts at the next forward', async () => {
    const ref = await w.addSecret({
      name: 'api',
      type: 'bearer',
      value: SECRET,
      allowedHosts: [`http://${w.api.hostPort}`],
    });
    const body = () =>
      fwd({ url: `${w.api.url}/reflect`, headers: { authorization: 'Bearer $CLIENT_SECRET' } }, [
        { ...ref },
      ]);
    expect((await w.forward(body())).status).toBe(200);
    expect((await w.forward(body())).status).toBe(200); // (served from the cache)
    const del = await call(w.relay.url, 'POST', `/v1/vaults/${w.vaultId}/items`, {
      token: w.token,
      body: {
        writes: [
          {
            id: ref.itemId,
            baseRevision: 1,
            deleted: true,
            wrappedKey: '',
            data: '',
            keyGeneration: 0,
          },
        ],
      },
    });
    expect(del.status).toBe(200);
    const res = await w.forward(body());
    expect(res.status).toBe(404);
    expect(res.json.error.code).toBe('SECRET_NOT_FOUND');
  });
});

describe('relay cache on PostgreSQL: two relays, one database', () => {
  let pgUrl: Awaited<ReturnType<typeof freshPostgresUrl>>;
  let w: ForwardWorld;
  let b: RelayProcess;
  let admin: pg.Client;
  let acc: FakeAccount;
  let owner: Account;
  let ref: SecretRef;
  const appName = () => `keyhole-cache keyhole_cache_${pgUrl.schema}`;
  const body = () =>
    fwd({ url: `${w.api.url}/reflect`, headers: { authorization: 'Bearer $CLIENT_SECRET' } }, [
      { ...ref },
    ]);
  const addSecret = () =>
    w.addSecret(
      { name: 'api', type: 'bearer', value: SECRET, allowedHosts: [`http://${w.api.hostPort}`] },
      owner,
    );
  /** a fresh session of the same account, made on relay A */
  const login = async (): Promise<string> => {
    const res = await call(w.relay.url, 'POST', '/v1/auth/login', {
      body: { email: acc.email, authKey: acc.authKey },
    });
    expect(res.status).toBe(200);
    return res.json.token as string;
  };

  beforeAll(async () => {
    pgUrl = await freshPostgresUrl();
    w = await startForwardWorld({ KEYHOLE_SIGNUPS_PER_IP: '1000' }, [], pgUrl.url);
    b = await spawnRelay({ db: pgUrl.url, env: w.relayEnv });
    admin = new pg.Client({ connectionString: TEST_PG_URL });
    await admin.connect();
    acc = fakeAccount();
    const s = await signedIn(w.relay.url, acc);
    owner = { token: s.token, accountId: s.accountId, vaultId: s.vaultId };
    ref = await addSecret();
  });
  afterAll(async () => {
    await admin?.end();
    await b?.stop();
    await w?.stop();
    await pgUrl?.drop();
  });

  it('a logout on relay A is refused on relay B within 2 s (NOTIFY), after B cached the session', async () => {
    const token = await login();
    for (let i = 0; i < 3; i++) expect((await postForward(b.url, body(), token)).status).toBe(200);
    expect((await call(w.relay.url, 'POST', '/v1/auth/logout', { token })).status).toBe(200);
    const took = await within(2000, async () => {
      return (await postForward(b.url, body(), token)).status === 401;
    });
    expect(took).toBeLessThan(2000);
  });

  it('an item deleted through relay A is SECRET_NOT_FOUND on relay B', async () => {
    const token = await login();
    for (let i = 0; i < 2; i++) expect((await postForward(b.url, body(), token)).status).toBe(200);
    const pulled = await call(w.relay.url, 'GET', `/v1/vaults/${ref.vaultId}/items?since=0`, {
      token,
    });
    const row = (pulled.json.items as Array<{ id: string; revision: number }>).find(
      (i) => i.id === ref.itemId,
    )!;
    const del = await call(w.relay.url, 'POST', `/v1/vaults/${ref.vaultId}/items`, {
      token,
      body: {
        writes: [
          {
            id: ref.itemId,
            baseRevision: row.revision,
            deleted: true,
            wrappedKey: '',
            data: '',
            keyGeneration: 0,
          },
        ],
      },
    });
    expect(del.status).toBe(200);
    const took = await within(2000, async () => {
      return (await postForward(b.url, body(), token)).status === 404;
    });
    expect(took).toBeLessThan(2000);
  });

  it('cutting B’s listening connection drops its cache: a change it was never told about counts at once', async () => {
    ref = await addSecret();
    const revokeBehindTheRelays = async (token: string) => {
      const hash = createHash('sha256').update(token).digest('hex');
      await admin.query(
        `update "${pgUrl.schema}".sessions set revoked_at = $1 where token_hash = $2`,
        [Date.now(), hash],
      );
    };

    // Control: a write no relay made (so no NOTIFY) is not seen while B listens — B answers from
    // its cache. So what follows measures the cut, not luck.
    const control = await login();
    expect((await postForward(b.url, body(), control)).status).toBe(200);
    await revokeBehindTheRelays(control);
    expect((await postForward(b.url, body(), control)).status).toBe(200);

    const token = await login();
    expect((await postForward(b.url, body(), token)).status).toBe(200);
    const listeners = await admin.query<{ pid: number }>(
      'select pid from pg_stat_activity where application_name = $1 order by backend_start',
      [appName()],
    );
    expect(listeners.rows.length).toBe(2); // A's and B's
    const bPid = listeners.rows[1]!.pid; // B started after A
    const cuts = () => b.output().split('invalidation listener lost').length;
    const before = cuts();
    await admin.query('select pg_terminate_backend($1)', [bPid]);
    expect(await within(2000, async () => cuts() > before)).toBeLessThan(2000);
    await revokeBehindTheRelays(token);
    const res = await postForward(b.url, body(), token);
    expect(res.status).toBe(401);

    // B listens again (a new backend) and serves from its cache again.
    const relistened = await within(5000, async () => {
      const r = await admin.query('select pid from pg_stat_activity where application_name = $1', [
        appName(),
      ]);
      return r.rows.length === 2 && !r.rows.some((row: { pid: number }) => row.pid === bPid);
    });
    expect(relistened).toBeLessThan(5000);
    const again = await login();
    expect((await postForward(b.url, body(), again)).status).toBe(200);
    await revokeBehindTheRelays(again);
    expect((await postForward(b.url, body(), again)).status).toBe(200);
  });
});
