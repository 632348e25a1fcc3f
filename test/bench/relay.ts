// Relay benchmark: req/s and latency of forwarding through the Keyhole relay (the built relay
// process, SQLite, a real encrypted secret substituted into a header, scrubbing on) against a direct
// call and a minimal node:http + undici.stream proxy, all to a node:http mock API (~1 KB JSON) on
// 127.0.0.2; against the relay's floor (relay-floor.ts: only the work every forward must do); and
// the same relay on PostgreSQL, two processes behind the load generator (`pg2`).
// Saturating closed loop (undici Pool, 50 connections), paced open loop (500 req/s) for added
// latency (with the relay's event-loop delay and GC pauses: loop-stats.js), first-byte latency of
// a streamed (SSE-like, 100 chunks) answer, and on PostgreSQL the cache's invalidation delay
// (logout on relay A → refused on relay B) under load. Scenarios are interleaved over the rounds;
// figures are medians. Absolute figures move with the machine's load: judge by the ratios, which
// are measured in the same run. Standalone: `node --import tsx test/bench/relay.ts`.
// Targets (issue #16): relay ≥ 0.75 of the minimal proxy's req/s and ≥ 0.9 of the floor's; CPU per
// forward ≤ 1.6× the proxy's; paced p99 ≤ the proxy's + 2 ms; added p50 ≤ 0.5 ms; streamed first
// byte ≤ 1 ms behind the upstream's; invalidation delay p99 ≤ 50 ms.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Pool } from 'undici';
import {
  addSecret,
  createAccount,
  forwardBody as forwardRequest,
  login,
} from '../support/account.js';
import { makeGrant } from '../support/grant-fixtures.js';
import { freshPostgresUrl, isPostgresAvailable } from '../support/postgres.js';
import { spawnRelay, type RelayProcess } from '../support/relay-process.js';

const GRANT_ORIGIN = 'https://bench.example';
const SECONDS = Number(process.env.KEYHOLE_BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.KEYHOLE_BENCH_ROUNDS ?? 3);
const CONNECTIONS = 50;
const PACED_RPS = 500;
const STREAM_SAMPLES = 60;
const SECRET = 'sk-bench-4b1d7e0c9a2f6e3d8c5b';

const FLOOR_SCRIPT = fileURLToPath(new URL('./relay-floor.ts', import.meta.url));
const LOOP_STATS = fileURLToPath(new URL('./loop-stats.js', import.meta.url));
const PROPAGATION_SAMPLES = Number(process.env.KEYHOLE_BENCH_PROPAGATION ?? 100);
const undiciUrl = pathToFileURL(createRequire(import.meta.url).resolve('undici')).href;

export const UPSTREAM = `
import http from 'node:http';
const body = JSON.stringify({ object: 'list', data: Array.from({ length: 10 }, (_, i) => ({ id: 'item_' + i, name: 'Item number ' + i, price: i * 100, tags: ['a', 'b'] })) });
const server = http.createServer((req, res) => {
  if (req.url.startsWith('/sse')) {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    let i = 0;
    const tick = () => { res.write('data: {"i":' + i + ',"text":"token"}\\n\\n'); if (++i < 100) setTimeout(tick, 1); else res.end(); };
    tick();
    return;
  }
  req.resume();
  req.on('end', () => { res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }); res.end(body); });
});
server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.2', () => console.log('port ' + server.address().port));
`;

export const PROXY = `
import http from 'node:http';
import { Agent, stream } from ${JSON.stringify(undiciUrl)};
const upstream = process.argv[1];
const agent = new Agent({ keepAliveTimeout: 10000, connections: 256 });
const server = http.createServer((req, res) => {
  req.resume();
  stream(upstream + req.url, { method: 'GET', dispatcher: agent, headers: { authorization: 'Bearer x' } }, ({ statusCode, headers }) => {
    res.writeHead(statusCode, { 'content-type': headers['content-type'] });
    return res;
  }).catch(() => res.destroy());
});
server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', () => console.log('port ' + server.address().port));
`;

export function startScript(
  source: string,
  args: string[] = [],
): Promise<{ child: ChildProcess; port: number }> {
  return startNode(['--input-type=module', '-e', source, ...args]);
}

/** Starts `node ARGS` and waits for its "port N" line. */
function startNode(nodeArgs: string[]): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, nodeArgs, { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (c: string) => {
      out += c;
      const m = /port (\d+)/.exec(out);
      if (m) resolve({ child, port: Number(m[1]) });
    });
    child.once('exit', (code) => reject(new Error(`bench helper exited ${code}`)));
  });
}

/** user+system CPU ms of a process so far (Linux /proc; 0 elsewhere). */
function cpuMs(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10; // clock ticks of 10 ms
  } catch {
    return 0;
  }
}

/** The pid of our child process whose command line contains `needle`. */
export function childPid(needle: string): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.split(') ')[1]!.split(' ')[1]);
      if (ppid !== process.pid) continue;
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(needle)) return Number(entry);
    } catch {
      // gone
    }
  }
  return undefined;
}

interface Target {
  name: string;
  /** the forwarding process(es), for CPU per request */
  pid?: number;
  pids?: number[];
  origin: string;
  /** further origins served alike (several relays): connections are spread over all */
  more?: string[];
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const r2 = (n: number) => Math.round(n * 100) / 100;

async function once(pool: Pool, t: Target): Promise<number> {
  const t0 = performance.now();
  const res = await pool.request({
    method: t.method,
    path: t.path,
    headers: t.headers,
    body: t.body,
  });
  await res.body.dump({ limit: Infinity });
  if (res.statusCode !== 200) throw new Error(`${t.name}: status ${res.statusCode}`);
  return performance.now() - t0;
}

const pidsOf = (t: Target): number[] => t.pids ?? (t.pid ? [t.pid] : []);
const cpuOf = (t: Target): number => pidsOf(t).reduce((sum, pid) => sum + cpuMs(pid), 0);
function poolsOf(t: Target, connections: number): Pool[] {
  const origins = [t.origin, ...(t.more ?? [])];
  const each = Math.ceil(connections / origins.length);
  return origins.map((o) => new Pool(o, { connections: each, pipelining: 1 }));
}

/** Closed loop: CONNECTIONS workers, each sending as soon as its previous answer arrived. */
export async function saturate(
  t: Target,
  seconds = SECONDS,
  connections = CONNECTIONS,
): Promise<{ rps: number; p50: number; p99: number; cpuUs: number }> {
  const pools = poolsOf(t, connections);
  const lat: number[] = [];
  for (let i = 0; i < 200; i++) await once(pools[i % pools.length]!, t); // warm-up: JIT
  const end = performance.now() + seconds * 1000;
  const t0 = performance.now();
  const cpu0 = cpuOf(t);
  await Promise.all(
    Array.from({ length: connections }, async (_, w) => {
      const pool = pools[w % pools.length]!;
      while (performance.now() < end) lat.push(await once(pool, t));
    }),
  );
  const elapsed = (performance.now() - t0) / 1000;
  const cpuUs = ((cpuOf(t) - cpu0) * 1000) / lat.length;
  await Promise.all(pools.map((p) => p.close()));
  const sorted = Float64Array.from(lat).sort();
  return {
    rps: lat.length / elapsed,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    cpuUs,
  };
}

/** Open loop at PACED_RPS: latency without queueing. */
export async function paced(t: Target): Promise<{ p50: number; p99: number }> {
  const pools = poolsOf(t, CONNECTIONS);
  for (let i = 0; i < 200; i++) await once(pools[i % pools.length]!, t);
  const lat: number[] = [];
  const total = Math.round(PACED_RPS * Math.min(SECONDS, 3));
  const interval = 1000 / PACED_RPS;
  const start = performance.now();
  const pending: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = start + i * interval;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    pending.push(once(pools[i % pools.length]!, t).then((ms) => void lat.push(ms)));
  }
  await Promise.all(pending);
  await Promise.all(pools.map((p) => p.close()));
  const sorted = Float64Array.from(lat).sort();
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
}

/** Time to the first body chunk of a streamed (100-chunk SSE) answer, sequential requests. */
async function firstByte(t: Target): Promise<number> {
  const pool = new Pool(t.origin, { connections: 1 });
  const samples: number[] = [];
  for (let i = 0; i < STREAM_SAMPLES + 20; i++) {
    const t0 = performance.now();
    const res = await pool.request({
      method: t.method,
      path: t.path,
      headers: t.headers,
      body: t.body,
    });
    let first = 0;
    for await (const _chunk of res.body) {
      if (first === 0) first = performance.now() - t0;
    }
    if (i >= 20) samples.push(first);
  }
  await pool.close();
  return median(samples);
}

export async function setupRelayAccount(
  relayUrl: string,
  apiHostPort: string,
): Promise<{
  token: string;
  forwardBody: (path: string) => string;
  /** a fresh session of the same account */
  login: (relayUrl?: string) => Promise<string>;
  /** a grant of the bench secret (grant forwards beside session forwards) */
  grant: (origin: string, counted?: boolean) => Promise<{ id: string; token: string }>;
}> {
  const account = await createAccount(relayUrl, {
    email: `bench-${Math.random().toString(36).slice(2, 10)}@example.test`,
  });
  const secret = await addSecret(relayUrl, account, {
    name: 'bench',
    type: 'bearer',
    value: SECRET,
    hosts: [`http://${apiHostPort}`],
  });
  const forwardBody = (path: string) =>
    JSON.stringify(
      forwardRequest(
        account,
        secret,
        {
          url: `http://${apiHostPort}${path}`,
          headers: { Authorization: 'Bearer $CLIENT_SECRET', Accept: 'application/json' },
        },
        { origin: 'https://bench.example' },
      ),
    );
  const ref = {
    name: secret.name,
    vaultId: account.vaultId,
    itemId: secret.itemId,
    itemKey: secret.itemKey,
  };
  const grant = (origin: string, counted = true) =>
    makeGrant(relayUrl, account.token, ref, {
      origins: [origin],
      methods: ['GET'],
      paths: ['/json', '/sse'],
      // A realistic grant: every request is counted (one visitor: the limits never bite).
      ratePerMinute: counted ? 1_000_000 : null,
      quotaPerDay: counted ? 1_000_000_000 : null,
    });
  return {
    token: account.token,
    forwardBody,
    login: (url = relayUrl) => login(url, account.email, account.authKey),
    grant,
  };
}

/** Keeps `connections` requests in flight on `t` until the returned stop() is called. */
function backgroundLoad(t: Target, connections: number): () => Promise<void> {
  const pools = poolsOf(t, connections);
  const state = { done: false };
  const workers = Array.from({ length: connections }, async (_, w) => {
    const pool = pools[w % pools.length]!;
    while (!state.done) await once(pool, t).catch(() => undefined);
  });
  return async () => {
    state.done = true;
    await Promise.all(workers);
    await Promise.all(pools.map((p) => p.close()));
  };
}

/** The relay's event-loop delay and GC pauses since the previous call (loop-stats.js). */
async function loopStats(relay: RelayProcess): Promise<Record<string, number>> {
  const before = relay.output().length;
  if (relay.pid) process.kill(relay.pid, 'SIGUSR2');
  for (let i = 0; i < 200; i++) {
    const m = /BENCHSTATS (\{[^\n]*\})/.exec(relay.output().slice(before));
    if (m) return JSON.parse(m[1]!) as Record<string, number>;
    await new Promise((r) => setTimeout(r, 10));
  }
  return {};
}

/**
 * PostgreSQL: how long after a logout on relay A relay B still accepts the session it had cached
 * (NOTIFY delivery), while `load` keeps both relays busy. From the logout's answer to B's first
 * refusal; B is polled back to back.
 */
async function propagation(
  a: string,
  b: string,
  login: (url: string) => Promise<string>,
  body: string,
  load: Target,
): Promise<{ p50: number; p99: number; max: number; firstRefused: number }> {
  const stop = backgroundLoad(load, 16);
  let firstRefused = 0;
  const samples: number[] = [];
  const forwardOn = async (url: string, token: string) => {
    const res = await fetch(`${url}/v1/forward`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body,
    });
    await res.arrayBuffer();
    return res.status;
  };
  try {
    for (let i = 0; i < PROPAGATION_SAMPLES; i++) {
      const token = await login(a);
      if ((await forwardOn(b, token)) !== 200) throw new Error('warm-up forward on B failed');
      const out = await fetch(`${a}/v1/auth/logout`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
      });
      await out.arrayBuffer();
      const t0 = performance.now();
      let polls = 0;
      while ((await forwardOn(b, token)) !== 401) {
        polls++;
        if (performance.now() - t0 > 5000)
          throw new Error('B never refused the logged-out session');
      }
      if (polls === 0) firstRefused++;
      samples.push(performance.now() - t0);
    }
  } finally {
    await stop();
  }
  const sorted = Float64Array.from(samples).sort();
  return {
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] ?? NaN,
    // B's very first request after the logout's answer was already refused: the delay measured
    // is then only that request's own round trip (an upper bound of the propagation).
    firstRefused: firstRefused / samples.length,
  };
}

export async function benchRelay(): Promise<Record<string, number>> {
  const upstream = await startScript(UPSTREAM);
  const apiHostPort = `127.0.0.2:${upstream.port}`;
  const proxy = await startScript(PROXY, [`http://${apiHostPort}`]);
  const dir = mkdtempSync(join(tmpdir(), 'keyhole-bench-'));
  const stops: Array<() => Promise<unknown> | unknown> = [];
  const relayEnv = {
    KEYHOLE_ALLOW_PRIVATE: apiHostPort,
    KEYHOLE_LOG_LEVEL: 'warn',
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${LOOP_STATS}`.trim(),
  };
  const relay = await spawnRelay({ db: join(dir, 'keyhole.db'), env: relayEnv });
  stops.push(() => relay.stop());
  try {
    const { token, forwardBody, grant } = await setupRelayAccount(relay.url, apiHostPort);
    const benchGrant = await grant(GRANT_ORIGIN);
    const plainGrant = await grant(GRANT_ORIGIN, false);
    const grantBody = (path: string) =>
      JSON.stringify({
        request: {
          url: `http://${apiHostPort}${path}`,
          method: 'GET',
          headers: { Authorization: 'Bearer $CLIENT_SECRET', Accept: 'application/json' },
        },
      });
    const floor = await startNode([
      '--import',
      'tsx',
      FLOOR_SCRIPT,
      `http://${apiHostPort}`,
      join(dir, 'keyhole.db'),
    ]);
    stops.push(() => floor.child.kill());
    const relayHeaders = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const targets: Target[] = [
      {
        name: 'direct',
        origin: `http://${apiHostPort}`,
        method: 'GET',
        path: '/json',
        headers: { authorization: 'Bearer x' },
      },
      {
        name: 'proxy',
        pid: proxy.child.pid,
        origin: `http://127.0.0.1:${proxy.port}`,
        method: 'GET',
        path: '/json',
      },
      {
        name: 'floor',
        pid: floor.child.pid,
        origin: `http://127.0.0.1:${floor.port}`,
        method: 'POST',
        path: '/v1/forward',
        headers: relayHeaders,
        body: forwardBody('/json'),
      },
      {
        name: 'relay',
        pid: relay.pid,
        origin: relay.url,
        method: 'POST',
        path: '/v1/forward',
        headers: relayHeaders,
        body: forwardBody('/json'),
      },
      {
        // The same forward authorised by a grant (issue #12) instead of a session.
        name: 'grant',
        pid: relay.pid,
        origin: relay.url,
        method: 'POST',
        path: `/v1/grants/${benchGrant.id}/forward`,
        headers: {
          authorization: `Bearer ${benchGrant.token}`,
          'content-type': 'application/json',
          origin: GRANT_ORIGIN,
        },
        body: grantBody('/json'),
      },
      {
        // The same grant without rate and quota: no counter write per request.
        name: 'grant_nolimits',
        pid: relay.pid,
        origin: relay.url,
        method: 'POST',
        path: `/v1/grants/${plainGrant.id}/forward`,
        headers: {
          authorization: `Bearer ${plainGrant.token}`,
          'content-type': 'application/json',
          origin: GRANT_ORIGIN,
        },
        body: grantBody('/json'),
      },
    ];

    // PostgreSQL: two relays on one schema, the load spread over both.
    let pg:
      { a: RelayProcess; b: RelayProcess; login: (url?: string) => Promise<string> } | undefined;
    if (process.env.KEYHOLE_BENCH_PG !== '0' && (await isPostgresAvailable())) {
      const schema = await freshPostgresUrl();
      stops.push(() => schema.drop());
      const [a, b] = await Promise.all([
        spawnRelay({ db: schema.url, env: relayEnv }),
        spawnRelay({ db: schema.url, env: relayEnv }),
      ]);
      stops.push(
        () => a.stop(),
        () => b.stop(),
      );
      const account = await setupRelayAccount(a.url, apiHostPort);
      pg = { a, b, login: account.login };
      targets.push({
        name: 'pg2',
        pids: [a.pid!, b.pid!],
        origin: a.url,
        more: [b.url],
        method: 'POST',
        path: '/v1/forward',
        headers: { authorization: `Bearer ${account.token}`, 'content-type': 'application/json' },
        body: account.forwardBody('/json'),
      });
    }

    const names = targets.map((t) => t.name);
    const sat: Record<
      string,
      Array<{ rps: number; p50: number; p99: number; cpuUs: number }>
    > = Object.fromEntries(names.map((n) => [n, []]));
    const pace: Record<string, Array<{ p50: number; p99: number }>> = Object.fromEntries(
      names.map((n) => [n, []]),
    );
    const loop: Array<Record<string, number>> = [];
    for (let round = 0; round < ROUNDS; round++) {
      for (const t of targets) sat[t.name]!.push(await saturate(t));
      for (const t of targets) {
        if (t.name === 'floor') continue;
        if (t.name === 'relay') await loopStats(relay);
        pace[t.name]!.push(await paced(t));
        if (t.name === 'relay') loop.push(await loopStats(relay));
      }
    }
    const byName = (name: string) => targets.find((t) => t.name === name)!;
    const streamDirect: number[] = [];
    const streamRelay: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      streamDirect.push(await firstByte({ ...byName('direct'), path: '/sse' }));
      streamRelay.push(await firstByte({ ...byName('relay'), body: forwardBody('/sse') }));
    }
    const m = (name: string, key: 'rps' | 'p50' | 'p99' | 'cpuUs') =>
      median(sat[name]!.map((x) => x[key]));
    const mp = (name: string, key: 'p50' | 'p99') => median(pace[name]!.map((x) => x[key]));
    const out: Record<string, number> = {};
    for (const name of names) {
      out[`${name}_rps`] = Math.round(m(name, 'rps'));
      out[`${name}_p50_ms`] = r2(m(name, 'p50'));
      out[`${name}_p99_ms`] = r2(m(name, 'p99'));
    }
    for (const name of names) {
      if (name === 'floor') continue;
      out[`paced${PACED_RPS}_${name}_p50_ms`] = r2(mp(name, 'p50'));
      out[`paced${PACED_RPS}_${name}_p99_ms`] = r2(mp(name, 'p99'));
    }
    for (const name of names) {
      if (name !== 'direct') out[`${name}_cpu_us_per_req`] = Math.round(m(name, 'cpuUs'));
    }
    // The targets, as same-run ratios (the machine's load moves the absolute figures).
    out.relay_vs_proxy_rps_ratio = r2(out.relay_rps! / out.proxy_rps!); // ≥ 0.75
    out.relay_vs_floor_rps_ratio = r2(out.relay_rps! / out.floor_rps!); // ≥ 0.9
    out.relay_cpu_per_proxy_cpu = r2(out.relay_cpu_us_per_req! / out.proxy_cpu_us_per_req!); // ≤ 1.6
    // Grant forwards beside session forwards (issue #12: CPU per request ≤ 1.2×, req/s ≥ 1/1.2).
    out.grant_vs_session_rps_ratio = r2(out.grant_rps! / out.relay_rps!);
    out.grant_cpu_per_session_cpu = r2(out.grant_cpu_us_per_req! / out.relay_cpu_us_per_req!);
    out.grant_nolimits_cpu_per_session_cpu = r2(
      out.grant_nolimits_cpu_us_per_req! / out.relay_cpu_us_per_req!,
    );
    out.floor_vs_proxy_rps_ratio = r2(out.floor_rps! / out.proxy_rps!);
    out.proxy_vs_direct_rps_ratio = r2(out.proxy_rps! / out.direct_rps!);
    out.paced_added_p50_ms_vs_proxy = r2(mp('relay', 'p50') - mp('proxy', 'p50')); // ≤ 0.5
    out.paced_p99_ms_over_proxy = r2(mp('relay', 'p99') - mp('proxy', 'p99')); // ≤ 2
    out.paced_added_p50_ms_vs_direct = r2(mp('relay', 'p50') - mp('direct', 'p50'));
    const ml = (key: string) => r2(median(loop.map((l) => l[key] ?? NaN)));
    out.paced_relay_loop_delay_p99_ms = ml('loopP99Ms');
    out.paced_relay_loop_delay_max_ms = ml('loopMaxMs');
    out.paced_relay_gc_ms_per_s = ml('gcMsPerSec');
    out.paced_relay_gc_max_ms = ml('gcMaxMs');
    out.stream_first_byte_direct_ms = r2(median(streamDirect));
    out.stream_first_byte_relay_ms = r2(median(streamRelay));
    out.stream_first_byte_behind_ms = r2(median(streamRelay) - median(streamDirect)); // ≤ 1
    if (pg) {
      out.pg2_vs_proxy_rps_ratio = r2(out.pg2_rps! / out.proxy_rps!);
      out.pg2_vs_sqlite_relay_rps_ratio = r2(out.pg2_rps! / out.relay_rps!);
      out.pg2_cpu_per_proxy_cpu = r2(out.pg2_cpu_us_per_req! / out.proxy_cpu_us_per_req!);
      out.pg2_paced_added_p50_ms_vs_proxy = r2(mp('pg2', 'p50') - mp('proxy', 'p50'));
      out.pg2_paced_p99_ms_over_proxy = r2(mp('pg2', 'p99') - mp('proxy', 'p99'));
      const delay = await propagation(
        pg.a.url,
        pg.b.url,
        (url) => pg.login(url),
        byName('pg2').body!,
        byName('pg2'),
      );
      out.pg_invalidation_delay_p50_ms = r2(delay.p50);
      out.pg_invalidation_delay_p99_ms = r2(delay.p99); // ≤ 50
      out.pg_invalidation_delay_max_ms = r2(delay.max);
      out.pg_invalidation_first_request_refused_share = r2(delay.firstRefused);
    }
    return out;
  } finally {
    for (const stop of stops.reverse()) await stop();
    upstream.child.kill();
    proxy.child.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const figures = await benchRelay();
  console.table(figures);
  console.log(JSON.stringify({ bench: { relay: figures } }));
}
