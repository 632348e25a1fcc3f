// Skapi's poll / expires / queue through a real relay: 202 tickets, polling until done, queued
// requests of one queue run one at a time in submission order (even when the first is slow),
// other queues run in parallel, expired records answer REQUEST_EXPIRED, tickets are per account.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ForwardTicket, SecretRef } from '../../shared/protocol/forward.js';
import { freshPostgresUrl, isPostgresAvailable } from '../support/postgres.js';
import { spawnRelay, type RelayProcess } from '../support/relay-process.js';
import { call } from '../support/http.js';
import {
  fwd,
  newAccountOn,
  postForward,
  startForwardWorld,
  type ForwardWorld,
} from '../support/forward-fixtures.js';

const SECRET = 'queue-secret-abcdef12';

describe('forward: poll, queue, expiry', () => {
  let w: ForwardWorld;
  let ref: SecretRef;
  beforeAll(async () => {
    w = await startForwardWorld();
    ref = await w.addSecret({
      name: 'q',
      type: 'plain',
      value: SECRET,
      allowedHosts: [`http://${w.api.hostPort}`],
    });
  });
  afterAll(async () => {
    await w?.stop();
  });

  const ticket = (id: string, token = w.token) =>
    call(w.relay.url, 'GET', `/v1/forward/requests/${id}`, { token });
  async function until(
    id: string,
    state: ForwardTicket['state'][] = ['done', 'failed'],
    timeoutMs = 10_000,
  ): Promise<ForwardTicket> {
    const t0 = Date.now();
    for (;;) {
      const res = await ticket(id);
      if (res.status === 200 && state.includes(res.json.state)) return res.json as ForwardTicket;
      if (Date.now() - t0 > timeoutMs) throw new Error(`ticket ${id} stuck in ${res.text}`);
      await new Promise((r) => setTimeout(r, 40));
    }
  }

  it('poll: answers 202 with a ticket, then the scrubbed answer when done', async () => {
    const res = await w.forward(
      fwd(
        { url: `${w.api.url}/reflect`, headers: { authorization: 'Bearer $CLIENT_SECRET' } },
        [ref],
        { poll: 100 },
      ),
    );
    expect(res.status).toBe(202);
    expect(res.json).toMatchObject({
      requestId: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
      state: 'queued',
      expiresAt: expect.any(Number),
    });
    expect(res.json.expiresAt).toBeGreaterThan(Date.now() + 200_000); // default 300 s
    const done = await until(res.json.requestId);
    expect(done.state).toBe('done');
    expect(done.response!.status).toBe(200);
    expect(done.response!.headers['content-type']).toBe('application/json');
    expect(JSON.parse(done.response!.body).headers.authorization).toBe('Bearer [REDACTED]');
    expect(done.response!.body).not.toContain(SECRET);
  });

  it('a failing polled request ends in state failed with the error code', async () => {
    const res = await w.forward(
      fwd({ url: `${w.api.url}/reset`, headers: { a: '$CLIENT_SECRET' } }, [ref], { poll: 0 }),
    );
    expect(res.status).toBe(202);
    const failed = await until(res.json.requestId);
    expect(failed).toMatchObject({ state: 'failed', error: { code: 'UPSTREAM_UNREACHABLE' } });
  });

  it('validation errors are answered at once, not as tickets', async () => {
    const res = await w.forward(
      fwd({ url: `${w.api.url}/reflect`, headers: { a: 'none' } }, [ref], { queue: 'x' }),
    );
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe('PLACEHOLDER_MISSING');
  });

  it('queue: same (url, method, queue) run one at a time in submission order, even when the first is slow', async () => {
    w.api.clear();
    const ids: string[] = [];
    const delays = [600, 10, 10, 10];
    for (let i = 0; i < delays.length; i++) {
      const headers = { 'x-k': '$CLIENT_SECRET', 'x-tag': String(i), 'x-delay': String(delays[i]) };
      const res = await w.forward(
        fwd({ url: `${w.api.url}/delay`, method: 'POST', headers, data: { i } }, [ref], {
          queue: 'rate-limited',
        }),
      );
      expect(res.status).toBe(202);
      ids.push(res.json.requestId);
    }
    const tickets = await Promise.all(ids.map((id) => until(id)));
    expect(tickets.every((t) => t.state === 'done')).toBe(true);
    const order = w.api.requests
      .filter((r) => r.path.startsWith('/delay'))
      .map((r) => r.headers['x-tag']);
    expect(order).toEqual(['0', '1', '2', '3']);
    // one at a time: each started after the previous one had answered
    const at = w.api.requests.filter((r) => r.path.startsWith('/delay')).map((r) => r.at);
    expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(550);
  });

  it('queue: a slow first request holds back the next of the same queue only', async () => {
    w.api.clear();
    const slow = await w.forward(
      fwd(
        { url: `${w.api.url}/delay?ms=800`, headers: { 'x-k': '$CLIENT_SECRET', 'x-tag': 'slow' } },
        [ref],
        { queue: 'A' },
      ),
    );
    const next = await w.forward(
      fwd(
        { url: `${w.api.url}/delay?ms=800`, headers: { 'x-k': '$CLIENT_SECRET', 'x-tag': 'next' } },
        [ref],
        { queue: 'A' },
      ),
    );
    const other = await w.forward(
      fwd(
        { url: `${w.api.url}/delay?ms=10`, headers: { 'x-k': '$CLIENT_SECRET', 'x-tag': 'other' } },
        [ref],
        { queue: 'B' },
      ),
    );
    const otherDone = await until(other.json.requestId);
    expect(otherDone.state).toBe('done');
    // While the slow one runs, the next of queue A has not even been sent.
    const sent = w.api.requests.map((r) => r.headers['x-tag']);
    expect(sent).toContain('slow');
    expect(sent).not.toContain('next');
    expect((await ticket(next.json.requestId)).json.state).toBe('queued');
    await until(slow.json.requestId);
    await until(next.json.requestId);
    const s = w.api.requests.find((r) => r.headers['x-tag'] === 'slow')!;
    const n = w.api.requests.find((r) => r.headers['x-tag'] === 'next')!;
    expect(n.at - s.at).toBeGreaterThanOrEqual(750);
  });

  it('expires: after expiresAt the record answers 410 REQUEST_EXPIRED', async () => {
    const res = await w.forward(
      fwd({ url: `${w.api.url}/reflect`, headers: { a: '$CLIENT_SECRET' } }, [ref], {
        poll: 50,
        expires: 1,
      }),
    );
    expect(res.status).toBe(202);
    await until(res.json.requestId);
    await new Promise((r) => setTimeout(r, 1100));
    const gone = await ticket(res.json.requestId);
    expect(gone.status).toBe(410);
    expect(gone.json.error.code).toBe('REQUEST_EXPIRED');
  });

  it("tickets are the account's own; unknown ids are NOT_FOUND", async () => {
    const res = await w.forward(
      fwd({ url: `${w.api.url}/reflect`, headers: { a: '$CLIENT_SECRET' } }, [ref], { poll: 50 }),
    );
    await until(res.json.requestId);
    const other = await newAccountOn(w.relay.url);
    expect((await ticket(res.json.requestId, other.token)).json.error.code).toBe('NOT_FOUND');
    expect((await ticket('A'.repeat(22))).status).toBe(404);
    expect((await ticket('bad')).status).toBe(404);
  });
});

describe.runIf(await isPostgresAvailable())(
  'forward: one queue across two relays on PostgreSQL',
  () => {
    let w: ForwardWorld;
    let second: RelayProcess;
    let drop: () => Promise<void>;
    beforeAll(async () => {
      const pg = await freshPostgresUrl();
      drop = pg.drop;
      w = await startForwardWorld({}, [], pg.url);
      second = await spawnRelay({ db: pg.url, env: w.relayEnv });
    });
    afterAll(async () => {
      await second?.stop();
      await w?.stop();
      await drop?.();
    });

    it('requests submitted alternately to both relays run in submission order, one at a time', async () => {
      const ref = await w.addSecret({
        name: 'q',
        type: 'plain',
        value: SECRET,
        allowedHosts: [`http://${w.api.hostPort}`],
      });
      const relays = [w.relay.url, second.url];
      const delays = [700, 10, 300, 10, 10, 10];
      const ids: Array<[string, string]> = [];
      for (let i = 0; i < delays.length; i++) {
        const base = relays[i % 2]!;
        const headers = {
          'x-k': '$CLIENT_SECRET',
          'x-tag': String(i),
          'x-delay': String(delays[i]),
        };
        const res = await postForward(
          base,
          fwd({ url: `${w.api.url}/delay`, method: 'POST', headers, data: { i } }, [{ ...ref }], {
            queue: 'shared',
          }),
          w.token,
        );
        expect(res.status).toBe(202);
        ids.push([base, res.json.requestId]);
      }
      const t0 = Date.now();
      for (const [base, id] of ids) {
        for (;;) {
          const t = await call(base, 'GET', `/v1/forward/requests/${id}`, { token: w.token });
          if (t.json.state === 'done') break;
          expect(t.json.state).not.toBe('failed');
          if (Date.now() - t0 > 15_000) throw new Error('queue stuck');
          await new Promise((r) => setTimeout(r, 50));
        }
      }
      const seen = w.api.requests.filter((r) => r.path === '/delay');
      expect(seen.map((r) => r.headers['x-tag'])).toEqual(['0', '1', '2', '3', '4', '5']);
      expect(seen[1]!.at - seen[0]!.at).toBeGreaterThanOrEqual(650);
      expect(seen[3]!.at - seen[2]!.at).toBeGreaterThanOrEqual(250);
    });
  },
);
