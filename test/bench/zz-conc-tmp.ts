import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'undici';
import { startMockApi } from '../helpers/mock-api.js';
import { spawnRelay } from '../helpers/relay-process.js';
import { encryptItem, initCrypto, newId, randomBytes, toBase64url } from '../../shared/crypto/index.js';
import { signedIn, call } from '../integration/relay-fixtures.js';

await initCrypto();
const api = await startMockApi('127.0.0.2');
const dir = mkdtempSync(join(tmpdir(), 'kb-'));
const relay = await spawnRelay({ db: join(dir, 'k.db'), env: { KEYHOLE_ALLOW_PRIVATE: api.hostPort, KEYHOLE_LOG_LEVEL: 'warn', NODE_OPTIONS: '--cpu-prof --cpu-prof-dir=/tmp/kb/prof' } });
const a = await signedIn(relay.url);
const itemId = newId();
const enc = encryptItem(randomBytes(32), a.vaultId, itemId, { name: 'b', type: 'bearer', value: 'sk-abcdefabcdef', allowedHosts: [`http://${api.hostPort}`], allowedOrigins: [], description: '' });
await call(relay.url, 'POST', `/v1/vaults/${a.vaultId}/items`, { token: a.token, body: { writes: [{ id: itemId, baseRevision: 0, deleted: false, wrappedKey: enc.wrappedKey, data: enc.data, keyGeneration: 0 }] } });
const body = JSON.stringify({ request: { url: `${api.url}/json`, headers: { Authorization: 'Bearer $CLIENT_SECRET' } }, secrets: [{ name: 'b', vaultId: a.vaultId, itemId, itemKey: toBase64url(enc.itemKey) }] });
async function run(label: string, opts: { method: 'GET' | 'POST'; path: string; body?: string }) {
  const pool = new Pool(relay.url, { connections: 50 });
  const lat: number[] = [];
  const end = performance.now() + 3000;
  await Promise.all(Array.from({ length: 50 }, async () => {
    while (performance.now() < end) {
      const t0 = performance.now();
      const r = await pool.request({ method: opts.method, path: opts.path, headers: { authorization: `Bearer ${a.token}`, 'content-type': 'application/json' }, body: opts.body });
      await r.body.text();
      lat.push(performance.now() - t0);
    }
  }));
  lat.sort((x, y) => x - y);
  console.log(label, 'rps', Math.round(lat.length / 3), 'p50', lat[Math.floor(lat.length / 2)]!.toFixed(1), 'p99', lat[Math.floor(lat.length * 0.99)]!.toFixed(1));
  await pool.close();
}

await run('forward', { method: 'POST', path: '/v1/forward', body });

await relay.stop();
await api.close();
