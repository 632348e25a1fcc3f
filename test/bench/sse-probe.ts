// Probe for issue #16's streamed-first-byte target: where the SSE event stage (sse-scrub.ts) holds
// the first event. The bench's SSE stream ("token" per event) through the relay, against the same
// stream with "tokem" (no form of the bench secret starts with "m"; "n" starts its base64 form at
// byte offset 1, folded) and the same bytes as text/plain (no event stage). Medians of 60
// sequential requests each, interleaved, after 20 warm-up ones.
//   node --import tsx test/bench/sse-probe.ts
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'undici';
import { spawnRelay } from '../support/relay-process.js';
import { setupRelayAccount, startScript } from './relay.js';

const UPSTREAM = `
import http from 'node:http';
http.createServer((req, res) => {
  const [, kind, word] = req.url.split('/');
  res.writeHead(200, { 'content-type': kind === 'sse' ? 'text/event-stream' : 'text/plain' });
  let i = 0;
  const tick = () => { res.write('data: {"i":' + i + ',"text":"' + word + '"}\\n\\n'); if (++i < 20) setTimeout(tick, 1); else res.end(); };
  tick();
}).listen(0, '127.0.0.2', function () { console.log('port ' + this.address().port); });
`;

const pools = new Map<string, Pool>();
async function firstByte(
  origin: string,
  opts: { method: 'GET' | 'POST'; path: string; headers?: Record<string, string>; body?: string },
): Promise<number> {
  let pool = pools.get(origin);
  if (!pool) pools.set(origin, (pool = new Pool(origin, { connections: 1 })));
  const t0 = performance.now();
  const res = await pool.request(opts);
  let first = 0;
  for await (const _chunk of res.body) if (first === 0) first = performance.now() - t0;
  return first;
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
const upstream = await startScript(UPSTREAM);
const api = `127.0.0.2:${upstream.port}`;
const relay = await spawnRelay({
  db: join(mkdtempSync(join(tmpdir(), 'keyhole-sse-')), 'keyhole.db'),
  env: { KEYHOLE_ALLOW_PRIVATE: api, KEYHOLE_LOG_LEVEL: 'warn' },
});
try {
  const { token, forwardBody } = await setupRelayAccount(relay.url, api);
  const paths = ['/sse/token', '/sse/tokem', '/plain/token'];
  const direct = new Map(paths.map((p) => [p, [] as number[]]));
  const via = new Map(paths.map((p) => [p, [] as number[]]));
  for (let i = 0; i < 80; i++) {
    for (const p of paths) {
      const d = await firstByte(`http://${api}`, { method: 'GET', path: p });
      const r = await firstByte(relay.url, {
        method: 'POST',
        path: '/v1/forward',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: forwardBody(p),
      });
      if (i >= 20) {
        direct.get(p)!.push(d);
        via.get(p)!.push(r);
      }
    }
  }
  for (const p of paths) {
    const d = median(direct.get(p)!);
    const r = median(via.get(p)!);
    console.log(
      `${p.padEnd(14)} direct ${d.toFixed(2)} ms, relay ${r.toFixed(2)} ms, behind ${(r - d).toFixed(2)} ms`,
    );
  }
} finally {
  for (const pool of pools.values()) await pool.close();
  await relay.stop();
  upstream.child.kill();
}
