// Load generator, run as a child process (load.ts) so its event loop does not compete with the
// caller's: `connections` closed-loop clients on one undici Pool, each sending the same request
// until the deadline. A warm-up at full concurrency on the same connections comes first; the
// measured window (counts, error kinds, every latency in ms) starts after it.
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';

export interface LoadJob {
  origin: string;
  path: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
  connections: number;
  /** spread the first request of each client over this many ms */
  rampMs: number;
  /** then run at full concurrency this long, on the same connections, before measuring */
  warmupMs?: number;
  durationMs: number;
  timeoutMs: number;
  /** a 2xx body must contain this to count as a success */
  expect?: string;
}

export interface LoadResult {
  requests: number;
  errors: number;
  errorKinds: Record<string, number>;
  /** failures during ramp-up and warm-up (they count as errors too) */
  warmupErrors: number;
  latencies: number[];
  elapsedMs: number;
}

async function run(job: LoadJob): Promise<LoadResult> {
  const pool = new Pool(job.origin, {
    connections: job.connections,
    pipelining: 1,
    keepAliveTimeout: 60_000,
    headersTimeout: job.timeoutMs,
    bodyTimeout: job.timeoutMs,
    connectTimeout: job.timeoutMs,
  });
  const latencies: number[] = [];
  const errorKinds: Record<string, number> = {};
  let requests = 0;
  let errors = 0;
  let warmupErrors = 0;
  const t00 = performance.now();
  const windowStart = t00 + job.rampMs + (job.warmupMs ?? 0);
  const deadline = windowStart + job.durationMs;
  let measuring = false;
  const opened = setTimeout(() => {
    measuring = true;
    process.send?.({ warm: true });
  }, windowStart - t00);

  const fail = (kind: string, counted: boolean) => {
    if (!counted) {
      warmupErrors += 1;
      kind = `warm-up ${kind}`;
    } else {
      errors += 1;
    }
    errorKinds[kind] = (errorKinds[kind] ?? 0) + 1;
  };

  const client = async (i: number) => {
    await new Promise((r) => setTimeout(r, (job.rampMs * i) / job.connections));
    while (performance.now() < deadline) {
      const counted = measuring;
      const t0 = performance.now();
      try {
        const res = await pool.request({
          path: job.path,
          method: job.method,
          headers: job.headers,
          body: job.body,
        });
        const text = await res.body.text();
        if (counted) requests += 1;
        if (res.statusCode < 200 || res.statusCode > 299) {
          const code = res.headers['keyhole-error'];
          fail(`HTTP ${res.statusCode}${typeof code === 'string' ? ` ${code}` : ''}`, counted);
        } else if (job.expect && !text.includes(job.expect)) {
          fail('unexpected body', counted);
        } else if (counted) {
          latencies.push(performance.now() - t0);
        }
      } catch (err) {
        if (counted) requests += 1;
        fail((err as { code?: string }).code ?? (err as Error).name ?? 'error', counted);
      }
    }
  };
  await Promise.all(Array.from({ length: job.connections }, (_, i) => client(i)));
  clearTimeout(opened);
  const elapsedMs = performance.now() - windowStart;
  await pool.close();
  return { requests, errors, errorKinds, warmupErrors, latencies, elapsedMs };
}

if (process.send) {
  process.once('message', (job: LoadJob) => {
    run(job).then(
      (result) => process.send?.({ ok: true, result }),
      (err: unknown) => process.send?.({ ok: false, error: String(err) }),
    );
  });
}
