import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'undici';
import { spawnRelay } from '../helpers/relay-process.js';
import { encryptItem, initCrypto, newId, randomBytes, toBase64url } from '../../shared/crypto/index.js';
import { signedIn, call } from '../integration/relay-fixtures.js';

await initCrypto();
const up = spawn(process.execPath, ['--input-type=module', '-e', `import http from 'node:http'; const body=JSON.stringify({a:'x'.repeat(1000)}); http.createServer((q,s)=>{q.resume();q.on('end',()=>{s.writeHead(200,{'content-type':'application/json','content-length':Buffer.byteLength(body)});s.end(body)})}).listen(0,'127.0.0.2',function(){console.log('port '+this.address().port)})`], { stdio: ['ignore', 'pipe', 'inherit'] });
const port = await new Promise<number>((r) => up.stdout!.on('data', (d: Buffer) => r(Number(/port (\d+)/.exec(d.toString())![1]))));
const hp = `127.0.0.2:${port}`;
const dir = mkdtempSync(join(tmpdir(), 'kb-'));
const relay = await spawnRelay({ db: join(dir, 'k.db'), env: { KEYHOLE_ALLOW_PRIVATE: hp, KEYHOLE_LOG_LEVEL: 'warn' } });
const pid = Number(readFileSync('/proc/self/stat', 'utf8')) || 0; void pid;
const { execSync } = await import('node:child_process');
const rpid = Number(execSync(`pgrep -f -n 'server/main.ts --port 0 --host 127.0.0.1 --db ${join(dir, 'k.db')}'`).toString().trim());
const cpu = () => { const f = readFileSync(`/proc/${rpid}/stat`, 'utf8').split(') ')[1]!.split(' '); return (Number(f[11]) + Number(f[12])) * 10; };
const a = await signedIn(relay.url);
const itemId = newId();
const enc = encryptItem(randomBytes(32), a.vaultId, itemId, { name: 'b', type: 'bearer', value: 'sk-abcdefabcdef', allowedHosts: [`http://${hp}`], allowedOrigins: [], description: '' });
await call(relay.url, 'POST', `/v1/vaults/${a.vaultId}/items`, { token: a.token, body: { writes: [{ id: itemId, baseRevision: 0, deleted: false, wrappedKey: enc.wrappedKey, data: enc.data, keyGeneration: 0 }] } });
const body = JSON.stringify({ request: { url: `http://${hp}/json`, headers: { Authorization: 'Bearer $CLIENT_SECRET' } }, secrets: [{ name: 'b', vaultId: a.vaultId, itemId, itemKey: toBase64url(enc.itemKey) }] });
async function run(label: string, opts: { method: 'GET' | 'POST'; path: string; body?: string }) {
  const pool = new Pool(relay.url, { connections: 50 });
  let n = 0;
  const end = performance.now() + 3000;
  const c0 = cpu();
  await Promise.all(Array.from({ length: 50 }, async () => {
    while (performance.now() < end) {
      const r = await pool.request({ method: opts.method, path: opts.path, headers: { authorization: `Bearer ${a.token}`, 'content-type': 'application/json' }, body: opts.body });
      await r.body.text();
      n++;
    }
  }));
  console.log(label.padEnd(10), 'rps', Math.round(n / 3), 'cpu µs/req', Math.round(((cpu() - c0) * 1000) / n));
  await pool.close();
}
for (let i = 0; i < 2; i++) {
  await run('health', { method: 'GET', path: '/v1/health' });
  await run('vaults', { method: 'GET', path: '/v1/vaults' });
  await run('forward', { method: 'POST', path: '/v1/forward', body });
}
await relay.stop();
up.kill();
