// Bounded load on loopback: `connections` closed-loop clients hammer POST /v1/forward (real relay
// process, real encrypted secret, the fault API's /ok on 127.0.0.2) for `seconds`. Zero errors
// allowed; p50/p99 reported; the relay's RSS before (after a warm-up at full concurrency) and
// after must stay flat.
import { forwardBody } from '../lib/account.js';
import type { ForwardingSetup } from '../lib/forwarding.js';
import { runLoad } from '../lib/load.js';
import { cpuMs, rssKiB } from '../lib/proc.js';
import { relayPid } from '../lib/relay.js';
import { summarize } from '../lib/stats.js';

export interface LoadFigures {
  connections: number;
  seconds: number;
  requests: number;
  errors: number;
  errorKinds: Record<string, number>;
  reqPerSec: number;
  p50: number;
  p99: number;
  max: number;
  rssBeforeMiB: number;
  rssAfterMiB: number;
  /** relay CPU time per forwarded request (user + system), µs */
  relayCpuUsPerReq: number;
  /** upstream requests that carried the real secret (substitution happened every time) */
  substituted: number;
  pass: boolean;
}

const mib = (kib: number) => Math.round((kib / 1024) * 10) / 10;

export async function runForwardLoad(
  setup: ForwardingSetup,
  opts: { connections: number; seconds: number },
): Promise<LoadFigures> {
  const pid = relayPid(setup.relay);
  if (pid === undefined) throw new Error('cannot find the relay process id');
  const job = {
    origin: setup.relay.url,
    path: '/v1/forward',
    method: 'POST' as const,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${setup.account.token}` },
    body: JSON.stringify(
      forwardBody(setup.account, setup.secret, { url: `${setup.api.origin}/ok` }),
    ),
    connections: opts.connections,
    timeoutMs: 30_000,
    expect: '"ok":true',
  };
  // Warm-up at full concurrency, so "before" already includes sockets, JIT and heap growth.
  const warm = await runLoad({
    ...job,
    durationMs: Math.min(5_000, opts.seconds * 250),
    rampMs: 1_000,
  });
  await new Promise((r) => setTimeout(r, 2_000));
  const rssBefore = rssKiB(pid);
  const hitsBefore = setup.api.hits.get('/ok') ?? 0;
  const authorizedBefore = setup.api.authorized;
  const cpuBefore = cpuMs(pid);

  const result = await runLoad({ ...job, durationMs: opts.seconds * 1000, rampMs: 1_000 });
  const cpuUsed = cpuMs(pid) - cpuBefore;
  await new Promise((r) => setTimeout(r, 3_000));
  const rssAfter = rssKiB(pid);
  const lat = summarize(result.latencies);
  const upstreamHits = (setup.api.hits.get('/ok') ?? 0) - hitsBefore;
  const substituted = setup.api.authorized - authorizedBefore;
  // Flat: within 25 % (+ 32 MiB of slack for allocator noise) of the warmed-up figure.
  const flat = rssAfter > 0 && rssAfter <= rssBefore * 1.25 + 32 * 1024;
  return {
    connections: opts.connections,
    seconds: opts.seconds,
    requests: result.requests,
    errors: result.errors + warm.errors,
    errorKinds: { ...warm.errorKinds, ...result.errorKinds },
    reqPerSec: Math.round(result.requests / (result.elapsedMs / 1000)),
    p50: lat.p50,
    p99: lat.p99,
    max: lat.max,
    rssBeforeMiB: mib(rssBefore),
    rssAfterMiB: mib(rssAfter),
    relayCpuUsPerReq: result.requests > 0 ? Math.round((cpuUsed * 1000) / result.requests) : 0,
    substituted,
    pass:
      result.errors === 0 &&
      warm.errors === 0 &&
      flat &&
      result.requests > 0 &&
      substituted === upstreamHits,
  };
}
