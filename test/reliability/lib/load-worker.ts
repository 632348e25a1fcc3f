// Load generator, run as a child process (load.ts) so its event loop does not compete with the caller's:
// `connections` closed-loop clients on one undici Pool, each sending the same request until the
// deadline. Reports counts, error kinds and every latency (ms).
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';

export interface LoadJob {
  origin: string;
  path: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
  connections: number;
  durationMs: number;
  /** spread the first request of each client over this many ms */
  rampMs: number;
  timeoutMs: number;
  /** a 2xx body must contain this to count as a success */
  expect?: string;
}

export interface LoadResult {
  requests: number;
  errors: number;
  errorKinds: Record<string, number>;
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
  const fail = (kind: string) => {
    errors += 1;
    errorKinds[kind] = (errorKinds[kind] ?? 0) + 1;
  };
  const start = performance.now();
  const deadline = start + job.rampMs + job.durationMs;

  const client = async (i: number) => {
    await new Promise((r) => setTimeout(r, (job.rampMs * i) / job.connections));
    while (performance.now() < deadline) {
      const t0 = performance.now();
      try {
        const res = await pool.request({
          path: job.path,
          method: job.method,
          headers: job.headers,
          body: job.body,
        });
        const text = await res.body.text();
        requests += 1;
        if (res.statusCode < 200 || res.statusCode > 299) {
          const code = res.headers['keyhole-error'];
          fail(`HTTP ${res.statusCode}${typeof code === 'string' ? ` ${code}` : ''}`);
        } else if (job.expect && !text.includes(job.expect)) {
          fail('unexpected body');
        } else {
          latencies.push(performance.now() - t0);
        }
      } catch (err) {
        requests += 1;
        fail((err as { code?: string }).code ?? (err as Error).name ?? 'error');
      }
    }
  };
  await Promise.all(Array.from({ length: job.connections }, (_, i) => client(i)));
  const elapsedMs = performance.now() - start;
  await pool.close();
  return { requests, errors, errorKinds, latencies, elapsedMs };
}

if (process.send) {
  process.once('message', (job: LoadJob) => {
    run(job).then(
      (result) => process.send?.({ ok: true, result }),
      (err: unknown) => process.send?.({ ok: false, error: String(err) }),
    );
  });
}
