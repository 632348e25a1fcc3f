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
const relay = await spawnRelay({ db: join(dir, 'k.db'), env: { KEYHOLE_ALLOW_PRIVATE: api.hostPort, KEYHOLE_LOG_LEVEL: 'warn' } });
const a = await signedIn(relay.url);
const itemId = newId();
const enc = encryptItem(randomBytes(32), a.vaultId, itemId, { name: 'b', type: 'bearer', value: 'sk-abcdefabcdef', allowedHosts: [`http://${api.hostPort}`], allowedOrigins: [], description: '' });
await call(relay.url, 'POST', `/v1/vaults/${a.vaultId}/items`, { token: a.token, body: { writes: [{ id: itemId, baseRevision: 0, deleted: false, wrappedKey: enc.wrappedKey, data: enc.data, keyGeneration: 0 }] } });
const body = JSON.stringify({ request: { url: `${api.url}/json`, headers: { Authorization: 'Bearer $CLIENT_SECRET' } }, secrets: [{ name: 'b', vaultId: a.vaultId, itemId, itemKey: toBase64url(enc.itemKey) }] });
const pool = new Pool(relay.url, { connections: 1 });
const times: number[] = [];
for (let i = 0; i < 300; i++) {
  const t0 = performance.now();
  const r = await pool.request({ method: 'POST', path: '/v1/forward', headers: { authorization: `Bearer ${a.token}`, 'content-type': 'application/json' }, body });
  await r.body.text();
  if (r.statusCode !== 200) console.log(r.statusCode);
  times.push(performance.now() - t0);
}
const s = times.slice(50).sort((x, y) => x - y);
console.log('seq p50', s[Math.floor(s.length / 2)], 'p90', s[Math.floor(s.length * 0.9)], 'max', s.at(-1));
const tsess: number[] = [];
for (let i = 0; i < 100; i++) {
  const t0 = performance.now();
  const r = await pool.request({ method: 'GET', path: '/v1/vaults', headers: { authorization: `Bearer ${a.token}` } });
  await r.body.text();
  tsess.push(performance.now() - t0);
}
tsess.sort((x, y) => x - y);
console.log('GET /v1/vaults p50', tsess[50]);
await pool.close();
await relay.stop();
await api.close();
