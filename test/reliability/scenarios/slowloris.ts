// Slowloris: `sockets` connections each trickle a never-finished header one byte at a time, while
// a legitimate client makes forward requests on fresh connections. The legitimate requests must
// all succeed, fast; the relay should also drop the trickling sockets at its headers timeout.
import { connect, type Socket } from 'node:net';
import { Client } from 'undici';
import { forwardBody } from '../../support/account.js';
import type { ForwardingSetup } from '../../support/forwarding.js';
import { summarize } from '../../support/stats.js';

export interface SlowlorisFigures {
  sockets: number;
  opened: number;
  seconds: number;
  legitRequests: number;
  legitErrors: number;
  legitP50: number;
  legitMax: number;
  droppedByRelay: number;
  pass: boolean;
}

export async function runSlowloris(
  setup: ForwardingSetup,
  opts: { sockets: number; seconds: number; maxLegitMs?: number },
): Promise<SlowlorisFigures> {
  const { hostname, port } = new URL(setup.relay.url);
  const socks: Socket[] = [];
  let dropped = 0;
  let opened = 0;
  let stopping = false;
  const partial = `POST /v1/forward HTTP/1.1\r\nHost: ${hostname}\r\nContent-Type: application/json\r\nX-Slow: `;
  await Promise.all(
    Array.from(
      { length: opts.sockets },
      (_, i) =>
        new Promise<void>((resolve) => {
          const s = connect({ host: hostname, port: Number(port) }, () => {
            opened += 1;
            s.write(partial);
            resolve();
          });
          s.on('error', () => resolve());
          s.on('close', () => {
            if (!stopping) dropped += 1;
          });
          s.setNoDelay(true);
          socks[i] = s;
        }),
    ),
  );
  const trickle = setInterval(() => {
    for (const s of socks) if (!s.destroyed) s.write('a');
  }, 1_000);

  const body = JSON.stringify(
    forwardBody(setup.account, setup.secret, { url: `${setup.api.origin}/ok` }),
  );
  const latencies: number[] = [];
  let legitErrors = 0;
  let legitRequests = 0;
  const deadline = Date.now() + opts.seconds * 1000;
  while (Date.now() < deadline) {
    // A fresh connection each time: accepting new clients is what slowloris attacks.
    const client = new Client(setup.relay.url, { headersTimeout: 10_000, bodyTimeout: 10_000 });
    const t0 = performance.now();
    legitRequests += 1;
    try {
      const res = await client.request({
        path: '/v1/forward',
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${setup.account.token}`,
        },
        body,
      });
      const text = await res.body.text();
      if (res.statusCode === 200 && text.includes('"ok":true'))
        latencies.push(performance.now() - t0);
      else legitErrors += 1;
    } catch {
      legitErrors += 1;
    } finally {
      await client.close().catch(() => undefined);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  clearInterval(trickle);
  stopping = true;
  for (const s of socks) s.destroy();
  const lat = summarize(latencies);
  return {
    sockets: opts.sockets,
    opened,
    seconds: opts.seconds,
    legitRequests,
    legitErrors,
    legitP50: lat.p50,
    legitMax: lat.max,
    droppedByRelay: dropped,
    pass:
      legitErrors === 0 &&
      legitRequests > 0 &&
      lat.max < (opts.maxLegitMs ?? 2_000) &&
      opened === opts.sockets,
  };
}
