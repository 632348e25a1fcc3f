// Profiles the relay bundle under the bench's saturating load (issue #16): the mock API, the relay
// from dist/ with `--cpu-prof`, 50 connections closed-loop for KEYHOLE_BENCH_SECONDS (default 5).
// Writes a .cpuprofile into the directory given (open it in Chrome DevTools, or summarise it with
// test/bench/profile-top.ts). Also prints CPU µs per forward of the relay process.
//   node --import tsx test/bench/profile-relay.ts OUT_DIR [json|sse]
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnRelay } from '../support/relay-process.js';
import { saturate, setupRelayAccount, startScript, UPSTREAM } from './relay.js';

const [outDir = tmpdir(), path = 'json'] = process.argv.slice(2);
const upstream = await startScript(UPSTREAM);
const apiHostPort = `127.0.0.2:${upstream.port}`;
const dir = mkdtempSync(join(tmpdir(), 'keyhole-prof-'));
const relay = await spawnRelay({
  db: join(dir, 'keyhole.db'),
  env: {
    KEYHOLE_ALLOW_PRIVATE: apiHostPort,
    KEYHOLE_LOG_LEVEL: 'warn',
  },
  nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${outDir}`, '--cpu-prof-interval=100'],
});
try {
  const { token, forwardBody } = await setupRelayAccount(relay.url, apiHostPort);
  const r = await saturate({
    name: 'relay',
    pid: relay.pid,
    origin: relay.url,
    method: 'POST',
    path: '/v1/forward',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: forwardBody(`/${path}`),
  });
  console.log(JSON.stringify({ rps: Math.round(r.rps), cpuUs: Math.round(r.cpuUs), p50: r.p50 }));
} finally {
  await relay.stop();
  upstream.child.kill();
}
