// Review finding: `keyhole serve` / `run` / `mcp` got only the relay's byte scrub. An API whose
// JSON encoder escapes some characters echoes a key in a mixed form; the relay lists the forms of
// common encoders (scrub.ts), but no list holds every mix, and the agent's JSON.parse decodes any
// of them to the raw key. The extension has had a second, decoding pass
// for pages (shared/client/decoded-scrub.ts); the agent surfaces now run the same pass.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnRelay, type RelayProcess } from '../support/relay-process.js';
import { FAST_KDF_ENV, ROOT, removeDir, runCli, tempHome } from '../support/cli.js';

const BIN = join(ROOT, 'bin/keyhole.mjs');
const PASSWORD = 'decoded scrub for agents';
const SECRET = 'kh-live-café-8c2e9a41f077Zq';
const EMAIL = `agents-scrub-${Date.now()}@example.com`;

/** An encoder of its own: every third character as \uXXXX (a mix no relay form lists). */
function mixedJson(text: string): string {
  let i = 0;
  return JSON.stringify(text).replace(/[A-Za-z0-9é-]/g, (c) =>
    i++ % 3 === 1 ? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}` : c,
  );
}

let relay: RelayProcess;
let api: Server;
let apiUrl: string;
let home: string;
let serve: ChildProcess | undefined;

beforeAll(async () => {
  api = createServer((req, res) => {
    res.writeHead(401, { 'content-type': 'application/json' });
    res.end(`{"error":"bad key","key":${mixedJson(req.headers.authorization ?? '')}}`);
  });
  await new Promise<void>((ok) => api.listen(0, '127.0.0.2', ok));
  const { port } = api.address() as AddressInfo;
  apiUrl = `http://127.0.0.2:${port}`;
  relay = await spawnRelay({ env: { KEYHOLE_ALLOW_PRIVATE: `127.0.0.2:${port}` } });
  home = tempHome();
  const env = { KEYHOLE_PASSWORD: PASSWORD };
  const signup = await runCli(['signup', '--relay', relay.url, '--email', EMAIL], { home, env });
  expect(signup.code, signup.stderr).toBe(0);
  const add = await runCli(
    ['secret', 'add', 'dotnet', '--host', apiUrl, '--type', 'bearer', '--agent', 'on'],
    { home, env, input: SECRET },
  );
  expect(add.code, add.stderr).toBe(0);
});

afterAll(async () => {
  if (serve?.pid) process.kill(-serve.pid, 'SIGTERM');
  await relay?.stop();
  await new Promise((ok) => api?.close(ok));
  if (home) removeDir(home);
});

describe('keyhole serve: the decoded second pass', () => {
  it('an echo in a partly \\u-escaped form does not decode to the key', async () => {
    serve = spawn(process.execPath, [BIN, 'serve', '--port', '0'], {
      cwd: ROOT,
      env: { ...process.env, KEYHOLE_HOME: home, KEYHOLE_PASSWORD: PASSWORD, ...FAST_KDF_ENV },
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    let out = '';
    serve.stdout!.setEncoding('utf8').on('data', (c: string) => (out += c));
    let base: string | undefined;
    for (let i = 0; i < 600 && !base; i++) {
      base = /^(http:\/\/127\.0\.0\.1:\d+\/t\/\S+)$/m.exec(out)?.[1];
      if (!base) await new Promise((r) => setTimeout(r, 50));
    }
    expect(base, out).toBeDefined();
    const res = await fetch(`${base}/s/dotnet/v1/me`, {
      headers: { authorization: 'Bearer keyhole-placeholder' },
    });
    expect(res.status).toBe(401);
    const text = await res.text();
    const parsed = JSON.parse(text) as { error: string; key: string };
    expect(parsed.error).toBe('bad key');
    // The key went out (the API echoed something of the right length) …
    expect(parsed.key.startsWith('Bearer ')).toBe(true);
    // … and what the agent decodes holds no part of it.
    expect(parsed.key).not.toContain(SECRET);
    expect(text).not.toContain(SECRET);
  }, 60_000);
});
