import { spawnSync, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { startRelay } from '../../server/main.js';
import { encryptItem, initCrypto, newId, randomBytes, toBase64url } from '../../shared/crypto/index.js';
import { signedIn, call } from '../integration/relay-fixtures.js';

await initCrypto();
const up = spawn(process.execPath, ['--input-type=module', '-e', `import http from 'node:http'; const body=JSON.stringify({a:'x'.repeat(1000)}); http.createServer((q,s)=>{q.resume();q.on('end',()=>{s.writeHead(200,{'content-type':'application/json','content-length':Buffer.byteLength(body)});s.end(body)})}).listen(0,'127.0.0.2',function(){console.log('port '+this.address().port)})`], { stdio: ['ignore', 'pipe', 'inherit'] });
const port = await new Promise<number>((r) => up.stdout!.on('data', (d: Buffer) => r(Number(/port (\d+)/.exec(d.toString())![1]))));
const hp = `127.0.0.2:${port}`;
const dir = mkdtempSync(join(tmpdir(), 'kb-'));
const relay = await startRelay({ port: 0, host: '127.0.0.1', db: join(dir, 'k.db'), env: { KEYHOLE_ALLOW_PRIVATE: hp, KEYHOLE_LOG_LEVEL: 'warn' }, announce: () => undefined });
const ex = relay.store.db.getExecutor() as unknown as { executeQuery: (q: { sql: string }, id: unknown) => Promise<unknown> };
const orig = ex.executeQuery.bind(ex);
const timing = new Map<string, [number, number]>();
ex.executeQuery = async (q, id) => {
  const t0 = performance.now();
  try { return await orig(q, id); } finally {
    const k = q.sql.slice(0, 60); const e = timing.get(k) ?? [0, 0]; e[0]++; e[1] += performance.now() - t0; timing.set(k, e);
  }
};
process.on('exit', () => { for (const [k, [n, ms]] of timing) console.log(String(n).padStart(6), ms.toFixed(0).padStart(6), 'ms', k); });
const a = await signedIn(relay.url);
const itemId = newId();
const enc = encryptItem(randomBytes(32), a.vaultId, itemId, { name: 'b', type: 'bearer', value: 'sk-abcdefabcdef', allowedHosts: [`http://${hp}`], allowedOrigins: [], description: '' });
await call(relay.url, 'POST', `/v1/vaults/${a.vaultId}/items`, { token: a.token, body: { writes: [{ id: itemId, baseRevision: 0, deleted: false, wrappedKey: enc.wrappedKey, data: enc.data, keyGeneration: 0 }] } });
const body = JSON.stringify({ request: { url: `http://${hp}/json`, headers: { Authorization: 'Bearer $CLIENT_SECRET' } }, secrets: [{ name: 'b', vaultId: a.vaultId, itemId, itemKey: toBase64url(enc.itemKey) }] });
const undiciUrl = pathToFileURL(createRequire(import.meta.url).resolve('undici')).href;
const load = `import { Pool } from ${JSON.stringify(undiciUrl)}; const pool = new Pool(${JSON.stringify(relay.url)}, { connections: 50 }); let n=0; const end=performance.now()+5000; await Promise.all(Array.from({length:50}, async()=>{ while(performance.now()<end){ const r=await pool.request({method:'POST',path:'/v1/forward',headers:{authorization:'Bearer ${a.token}','content-type':'application/json'},body:${JSON.stringify(body)}}); await r.body.text(); if(r.statusCode!==200) throw new Error(r.statusCode); n++; } })); console.log('rps', n/5); await pool.close();`;
const child = spawn(process.execPath, ['--input-type=module', '-e', load], { stdio: 'inherit' });
const cpu0 = process.cpuUsage();
await new Promise((r) => child.on('exit', r));
const cpu = process.cpuUsage(cpu0);
console.log('relay cpu ms', (cpu.user + cpu.system) / 1000);
up.kill();
await relay.close();
void spawnSync;
