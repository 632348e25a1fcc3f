// Scale-out: two stateless relay processes on one PostgreSQL schema behave as one relay —
// sessions, sync (including conflicts), forward queues and login throttling are shared.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshPostgresUrl } from '../support/postgres.js';
import type { ForwardTicket, PullResponse } from '../../shared/protocol/index.js';
import {
  addSecret,
  createAccount,
  forwardBody,
  login,
  type TestAccount,
} from '../support/account.js';
import { startFaultApi, type FaultApi } from '../support/fault-api.js';
import { call } from '../support/http.js';
import { itemWrite, pullAll, pushOne } from '../support/items.js';
import { spawnRelay, type RelayProcess } from '../support/relay-process.js';

const LOGIN_FAILS = 4;

describe('scale-out: two relays on one PostgreSQL', () => {
  let pg: Awaited<ReturnType<typeof freshPostgresUrl>>;
  let api: FaultApi;
  let a: RelayProcess;
  let b: RelayProcess;
  let account: TestAccount;

  beforeAll(async () => {
    pg = await freshPostgresUrl();
    api = await startFaultApi();
    const opts = {
      db: pg.url,
      allowPrivate: [api.hostPort],
      forLoad: true,
      env: { KEYHOLE_LOGIN_FAILS_PER_ACCOUNT: String(LOGIN_FAILS) },
    };
    // Started together on purpose: concurrent migrations must be safe.
    [a, b] = await Promise.all([spawnRelay(opts), spawnRelay(opts)]);
    account = await createAccount(a.url);
  });

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await api?.close();
    await pg?.drop();
  });

  it('a session made on A is valid on B, and a logout on B ends it on A', async () => {
    const token = await login(a.url, account.email, account.authKey);
    const me = await call(b.url, 'GET', '/v1/accounts/me', { token });
    expect(me.status).toBe(200);
    expect((me.json as { accountId: string }).accountId).toBe(account.accountId);
    expect((await call(b.url, 'POST', '/v1/auth/logout', { token })).status).toBeLessThan(300);
    const after = await call(a.url, 'GET', '/v1/accounts/me', { token });
    expect(after.status).toBe(401);
    expect(after.code).toBe('UNAUTHENTICATED');
  });

  it('a push on A is pulled on B', async () => {
    const { acked } = await pushOne(a.url, account, itemWrite(account));
    expect(acked).toBeDefined();
    const onB = await pullAll(b.url, account);
    expect(onB.get(acked!.id)).toEqual({ revision: acked!.revision, data: acked!.data });
  });

  it('conflicting pushes on A and B: exactly one wins, the other gets 409 with the winner; nothing lost', async () => {
    for (let round = 0; round < 8; round++) {
      const { acked: base } = await pushOne(a.url, account, itemWrite(account));
      const wa = itemWrite(account, { id: base!.id, baseRevision: base!.revision });
      const wb = itemWrite(account, { id: base!.id, baseRevision: base!.revision });
      const [ra, rb] = await Promise.all([
        pushOne(a.url, account, wa),
        pushOne(b.url, account, wb),
      ]);
      const statuses = [ra.reply.status, rb.reply.status].sort();
      expect(statuses).toEqual([200, 409]);
      const winner = ra.acked ?? rb.acked;
      const loser = ra.acked ? rb.reply : ra.reply;
      expect(loser.code).toBe('CONFLICT');
      const current = (
        loser.json as { error: { details: { current: Array<{ id: string; data: string }> } } }
      ).error.details.current;
      expect(current.find((i) => i.id === base!.id)?.data).toBe(winner!.data);
      for (const relay of [a, b]) {
        expect((await pullAll(relay.url, account)).get(base!.id)).toEqual({
          revision: winner!.revision,
          data: winner!.data,
        });
      }
    }
  });

  it('concurrent pushes of different items on A and B all land, with distinct revisions', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        pushOne(i % 2 ? a.url : b.url, account, itemWrite(account)),
      ),
    );
    const acked = results.map((r) => r.acked);
    expect(acked.every(Boolean)).toBe(true);
    expect(new Set(acked.map((w) => w!.revision)).size).toBe(acked.length);
    const all = await pullAll(b.url, account);
    for (const w of acked) expect(all.get(w!.id)?.data).toBe(w!.data);
    const page = (
      await call(a.url, 'GET', `/v1/vaults/${account.vaultId}/items?since=0&limit=1000`, {
        token: account.token,
      })
    ).json as PullResponse;
    expect(page.revision).toBeGreaterThanOrEqual(Math.max(...acked.map((w) => w!.revision)));
  });

  it('queued forward requests submitted alternately to A and B run one at a time, in order', async () => {
    const secret = await addSecret(a.url, account, { hosts: [`http://${api.hostPort}`] });
    const queue = `q-${Date.now()}`;
    const n = 8;
    const tickets: string[] = [];
    for (let i = 0; i < n; i++) {
      const relay = i % 2 ? b : a;
      // Same method, url and queue name: one queue (Skapi's rule); the header tells them apart.
      const body = forwardBody(
        account,
        secret,
        {
          url: `${api.origin}/record?ms=40`,
          headers: { authorization: 'Bearer $CLIENT_SECRET', 'x-seq': `${queue}-${i}` },
        },
        { queue, poll: 100 },
      );
      const res = await call(relay.url, 'POST', '/v1/forward', { body, token: account.token });
      expect(res.status, res.text).toBe(202);
      tickets.push((res.json as ForwardTicket).requestId);
    }
    const deadline = Date.now() + 30_000;
    for (const [i, id] of tickets.entries()) {
      for (;;) {
        const relay = i % 2 ? a : b; // poll on the other relay
        const t = (
          await call(relay.url, 'GET', `/v1/forward/requests/${id}`, {
            token: account.token,
          })
        ).json as ForwardTicket;
        if (t.state === 'done' || t.state === 'failed') {
          expect(t.state).toBe('done');
          break;
        }
        if (Date.now() > deadline) throw new Error(`request ${i} still ${t.state}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    const mine = api.arrivals
      .filter((x) => x.seq.startsWith(`${queue}-`))
      .sort((x, y) => x.start - y.start);
    expect(mine.map((x) => x.seq)).toEqual(tickets.map((_, i) => `${queue}-${i}`));
    for (let i = 1; i < mine.length; i++)
      expect(mine[i]!.start).toBeGreaterThanOrEqual(mine[i - 1]!.end);
  });

  it('failed logins split across A and B are throttled as one count', async () => {
    const victim = await createAccount(a.url);
    const wrong = 'A'.repeat(43);
    const seen: number[] = [];
    for (let i = 0; i < LOGIN_FAILS * 2; i++) {
      const res = await call(i % 2 ? b.url : a.url, 'POST', '/v1/auth/login', {
        body: { email: victim.email, authKey: wrong },
      });
      seen.push(res.status);
      if (res.status === 429) {
        expect(res.code).toBe('RATE_LIMITED');
        break;
      }
    }
    // Per-process counters would allow 2 × LOGIN_FAILS failures before the first 429.
    expect(seen).toEqual([...Array<number>(LOGIN_FAILS).fill(401), 429]);
  });
});
