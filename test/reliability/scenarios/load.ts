// Bounded load on loopback: `connections` closed-loop clients hammer POST /v1/forward (real relay
// process, real encrypted secret, the fault API's /ok on 127.0.0.2) for `seconds`. The clients
// connect over a ramp and warm up at full concurrency on the same connections first, so the
// measured window is sustained load, not a connection storm. Zero errors allowed (warm-up
// included); p50/p99 reported; the relay's RSS at the start of the window and after it must stay
// flat (samples every 5 s show the trend).
import { forwardBody } from '../../support/account.js';
import type { ForwardingSetup } from '../../support/forwarding.js';
import { runLoad } from '../../support/load.js';
import { cpuMs, rssKiB } from '../../support/proc.js';
import { lastLogLine, relayPid } from '../../support/relay-process.js';
import { summarize } from '../../support/stats.js';

export interface LoadFigures {
  connections: number;
  seconds: number;
  requests: number;
  errors: number;
  warmupErrors: number;
  errorKinds: Record<string, number>;
  reqPerSec: number;
  p50: number;
  p99: number;
  max: number;
  rssBeforeMiB: number;
  rssAfterMiB: number;
  /** RSS every 5 s through the measured window */
  rssSamplesMiB: number[];
  /** relay CPU time per forwarded request (user + system), µs */
  relayCpuUsPerReq: number;
  /** upstream requests that carried the real secret (substitution happened every time) */
  substituted: number;
  upstreamHits: number;
  /** the relay's last error log line, when there were errors */
  relayLog?: string;
  pass: boolean;
}

const mib = (kib: number) => Math.round((kib / 1024) * 10) / 10;

export async function runForwardLoad(
  setup: ForwardingSetup,
  opts: { connections: number; seconds: number; rampSeconds?: number; warmupSeconds?: number },
): Promise<LoadFigures> {
  const pid = relayPid(setup.relay);
  if (pid === undefined) throw new Error('cannot find the relay process id');
  const at = { rss: 0, cpu: 0, hits: 0, authorized: 0 };
  const samples: number[] = [];
  let sampler: NodeJS.Timeout | undefined;
  const onWarm = () => {
    at.rss = rssKiB(pid);
    at.cpu = cpuMs(pid);
    at.hits = setup.api.hits.get('/ok') ?? 0;
    at.authorized = setup.api.authorized;
    samples.push(mib(at.rss));
    sampler = setInterval(() => samples.push(mib(rssKiB(pid))), 5_000);
  };
  const result = await runLoad(
    {
      origin: setup.relay.url,
      path: '/v1/forward',
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${setup.account.token}`,
      },
      body: JSON.stringify(
        forwardBody(setup.account, setup.secret, { url: `${setup.api.origin}/ok` }),
      ),
      connections: opts.connections,
      rampMs: (opts.rampSeconds ?? 5) * 1000,
      warmupMs: (opts.warmupSeconds ?? Math.min(10, Math.max(2, opts.seconds / 4))) * 1000,
      durationMs: opts.seconds * 1000,
      timeoutMs: 30_000,
      expect: '"ok":true',
    },
    onWarm,
  );
  const cpuUsed = cpuMs(pid) - at.cpu;
  clearInterval(sampler);
  const upstreamHits = (setup.api.hits.get('/ok') ?? 0) - at.hits;
  const substituted = setup.api.authorized - at.authorized;
  await new Promise((r) => setTimeout(r, 3_000));
  const rssAfter = rssKiB(pid);
  const lat = summarize(result.latencies);
  // Flat: within 25 % (+ 32 MiB of slack for allocator noise) of the figure at the window's start.
  const flat = rssAfter > 0 && rssAfter <= at.rss * 1.25 + 32 * 1024;
  return {
    connections: opts.connections,
    seconds: opts.seconds,
    requests: result.requests,
    errors: result.errors,
    warmupErrors: result.warmupErrors,
    errorKinds: result.errorKinds,
    reqPerSec: Math.round(result.requests / (result.elapsedMs / 1000)),
    p50: lat.p50,
    p99: lat.p99,
    max: lat.max,
    rssBeforeMiB: mib(at.rss),
    rssAfterMiB: mib(rssAfter),
    rssSamplesMiB: samples,
    relayCpuUsPerReq: result.requests > 0 ? Math.round((cpuUsed * 1000) / result.requests) : 0,
    substituted,
    upstreamHits,
    ...(result.errors + result.warmupErrors > 0
      ? { relayLog: lastLogLine(setup.relay.output()) }
      : {}),
    pass:
      result.errors === 0 &&
      result.warmupErrors === 0 &&
      flat &&
      result.requests > 0 &&
      substituted === upstreamHits,
  };
}
