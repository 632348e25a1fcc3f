// Scripts and agents (docs/cli.md, "Scripts and agents"): `keyhole run` with the official openai
// package in a real child process, `keyhole serve` streaming and its refusals (token, Host,
// browsers), `keyhole mcp` driven by the MCP SDK's own client over stdio, secrets not enabled for
// agents refused, and every call in the relay's audit log as agent:run / agent:serve / agent:mcp.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOpenAiMock, type OpenAiMock } from '../support/openai-mock.js';
import { spawnRelay, type RelayProcess } from '../support/relay-process.js';
import { FAST_KDF_ENV, ROOT, removeDir, runCli, tempHome, type CliResult } from '../support/cli.js';

const BIN = join(ROOT, 'bin/keyhole.mjs');
const CHILD = join(ROOT, 'test/support/openai-child.js');
const PASSWORD = 'agents & scripts 4 ever';
const SECRET = 'sk-agent-7c1e9a04b5d2f386e1a0';
const OTHER = 'sk-closed-2b8d4f6a1c3e5097';
const HMAC_KEY = 'hmac-key-5f2a9c7e31';
const EMAIL = `agents-${Date.now()}@example.com`;

let relay: RelayProcess;
let api: OpenAiMock;
let home: string;

function env(extra: Record<string, string | undefined> = {}): Record<string, string> {
  const out: Record<string, string | undefined> = {
    ...process.env,
    KEYHOLE_HOME: home,
    KEYHOLE_PASSWORD: PASSWORD,
    ...FAST_KDF_ENV,
    ...extra,
  };
  for (const [k, v] of Object.entries(out)) if (v === undefined) delete out[k];
  return out as Record<string, string>;
}

function cli(
  args: string[],
  input?: string,
  extra: Record<string, string> = {},
): Promise<CliResult> {
  return runCli(args, { home, input, env: { KEYHOLE_PASSWORD: PASSWORD, ...extra } });
}

function expectNoSecret(text: string): void {
  expect(text).not.toContain(SECRET);
  expect(text).not.toContain(OTHER);
  expect(text).not.toContain(PASSWORD);
  expect(text).not.toContain(HMAC_KEY);
}

/** A long-running `keyhole …` (serve, run with signals): output collected as it comes. */
interface Running {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  waitFor(re: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
}

function start(args: string[], extra: Record<string, string> = {}): Running {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: env(extra),
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (c: string) => (out += c));
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (err += c));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    async waitFor(re, timeoutMs = 30_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const m = re.exec(out);
        if (m) return m;
        if (child.exitCode !== null || Date.now() > until) {
          throw new Error(`no ${re} in output:\n${out}\n${err}`);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  };
}

/** One raw HTTP request (to set Host and Origin as a browser or another local user would). */
function raw(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      { method: options.method ?? 'GET', headers: options.headers },
      (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

function auditOrigins(): {
  origin: string | null;
  secret_name: string;
  status: number | null;
  error_code: string | null;
}[] {
  const db = new Database(relay.dbPath!, { readonly: true });
  try {
    return db
      .prepare('select origin, secret_name, status, error_code from audit_log order by created_at')
      .all() as {
      origin: string | null;
      secret_name: string;
      status: number | null;
      error_code: string | null;
    }[];
  } finally {
    db.close();
  }
}

/** Waits for an audit row like `row` (rows are written in batches, 250 ms apart). */
async function expectAudit(row: Record<string, unknown>): Promise<void> {
  const match = expect.objectContaining(row) as unknown;
  for (let i = 0; i < 100; i++) {
    if (auditOrigins().some((r) => expect.objectContaining(row).asymmetricMatch(r))) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  expect(auditOrigins()).toContainEqual(match);
}

beforeAll(async () => {
  api = await startOpenAiMock(SECRET);
  relay = await spawnRelay({ env: { KEYHOLE_ALLOW_PRIVATE: api.hostPort } });
  home = tempHome();
  const signup = await cli(['signup', '--relay', relay.url, '--email', EMAIL]);
  expect(signup.code, signup.stderr).toBe(0);
  // `openai`: the name selects the OpenAI SDK's variables (its host is the mock's, not api.openai.com).
  const add = await cli(
    ['secret', 'add', 'openai', '--host', api.url, '--type', 'bearer', '--agent', 'on'],
    SECRET,
  );
  expect(add.code, add.stderr).toBe(0);
  const signer = await cli(
    ['secret', 'add', 'signer', '--host', api.url, '--type', 'hmac', '--agent', 'on'],
    JSON.stringify({
      key: HMAC_KEY,
      message: '{method}\n{path}\n{timestamp}',
      signatureHeader: 'x-signature',
      timestampHeader: 'x-timestamp',
    }),
  );
  expect(signer.code, signer.stderr).toBe(0);
  const closed = await cli(
    ['secret', 'add', 'closed', '--host', api.url, '--type', 'bearer'],
    OTHER,
  );
  expect(closed.code, closed.stderr).toBe(0);
});

afterAll(async () => {
  await relay?.stop();
  await api?.close();
  if (home) removeDir(home);
});

describe('keyhole secret --agent', () => {
  it('shows and toggles agent use, inside the item', async () => {
    const list = await cli(['secret', 'list', '--json']);
    const rows = JSON.parse(list.stdout) as { name: string; agent: boolean }[];
    expect(rows.find((r) => r.name === 'openai')?.agent).toBe(true);
    expect(rows.find((r) => r.name === 'closed')?.agent).toBe(false);
    const bad = await cli(['secret', 'update', 'closed', '--agent', 'maybe']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--agent must be on or off');
  });
});

describe('keyhole run', () => {
  it('runs a real openai-SDK script: the key reaches the API, never the script', async () => {
    const dir = tempHome();
    try {
      const envFile = join(dir, 'env.json');
      const r = await cli(['run', '--secret', 'openai', '--', process.execPath, CHILD, envFile]);
      expect(r.code, r.stderr).toBe(0);
      const seen = JSON.parse(r.stdout.trim()) as { key: string; baseURL: string; reply: string };
      expect(seen.reply).toBe('Hello from the mock.');
      expect(seen.key).toBe('keyhole-placeholder');
      expect(seen.baseURL).toMatch(
        /^http:\/\/127\.0\.0\.1:\d+\/t\/[A-Za-z0-9_-]{43}\/s\/openai\/v1$/,
      );
      // The mock API got the real key (it answers 200 only then) …
      const last = api.seen.at(-1)!;
      expect(last.path).toBe('/v1/chat/completions');
      expect(last.headers.authorization).toBe(`Bearer ${SECRET}`);
      // … and the script's whole environment holds neither the key nor the master password.
      const childEnv = readFileSync(envFile, 'utf8');
      expectNoSecret(childEnv);
      expect(JSON.parse(childEnv)).not.toHaveProperty('KEYHOLE_PASSWORD');
      expectNoSecret(r.stdout + r.stderr);
      await expectAudit({ origin: 'agent:run', secret_name: 'openai', status: 200 });
    } finally {
      removeDir(dir);
    }
  });

  it('streams through the openai SDK', async () => {
    const dir = tempHome();
    try {
      const r = await cli(['run', '--', process.execPath, CHILD, join(dir, 'env.json'), 'stream']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe('Hello from the mock.\n');
    } finally {
      removeDir(dir);
    }
  });

  it('masks a secret the command prints, also split across writes, and drops variables holding one', async () => {
    const half = SECRET.length >> 1;
    const script =
      `process.stdout.write('a ' + process.argv[1].slice(0, ${half}));` +
      `setTimeout(() => { process.stdout.write(process.argv[1].slice(${half}) + ' b\\n');` +
      `console.error('err ' + process.argv[1]); console.log('leaky=' + (process.env.LEAKY ?? 'unset')); }, 400);`;
    const r = await cli(['run', '--', process.execPath, '-e', script, SECRET], undefined, {
      LEAKY: `prefix-${SECRET}`,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('a [masked:openai] b');
    expect(r.stdout).toContain('leaky=unset');
    expect(r.stderr).toContain('err [masked:openai]');
    expect(r.stderr).toContain('LEAKY is not passed to the command');
    expectNoSecret(r.stdout + r.stderr);
    // A secret not exposed to the command is masked too: the CLI holds every value it decrypts.
    const other = await cli([
      'run',
      '--',
      process.execPath,
      '-e',
      'console.log(process.argv[1])',
      OTHER,
    ]);
    expect(other.stdout.trim()).toBe('[masked:closed]');
  });

  it('passes the exit code, --env with {url:NAME}, and KEYHOLE_ENDPOINT', async () => {
    const r = await cli([
      'run',
      '--secret',
      'openai',
      '--env',
      'MY_API={url:openai}/v1/echo',
      '--',
      process.execPath,
      '-e',
      `const r = await fetch(process.env.MY_API + '?q=1', { method: 'POST', body: 'hi', headers: { authorization: 'Bearer dummy' } });
       console.log(r.status, process.env.KEYHOLE_ENDPOINT.replace(/t\\/[^/]+/, 't/TOKEN'), JSON.stringify(await r.json()));
       process.exit(7);`,
    ]);
    expect(r.code, r.stderr).toBe(7);
    const [, status, endpoint, body] = /^(\S+) (\S+) (.*)$/s.exec(r.stdout.trim())!;
    expect(status).toBe('200');
    expect(endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/t\/TOKEN$/);
    // The relay scrubbed the key the mock echoed; the caller's dummy never reached the API.
    expect(JSON.parse(body!)).toEqual({
      method: 'POST',
      path: '/v1/echo?q=1',
      authorization: 'Bearer [REDACTED]',
      body: 'hi',
    });
    expect(api.seen.at(-1)!.headers.authorization).toBe(`Bearer ${SECRET}`);
  });

  it('dies of the signal that killed the command', async () => {
    const run = start([
      'run',
      '--',
      process.execPath,
      '-e',
      "process.kill(process.pid, 'SIGTERM')",
    ]);
    const exit = await run.exited;
    expect(exit.signal).toBe('SIGTERM');
  });

  it('passes SIGTERM on to the command', async () => {
    const run = start([
      'run',
      '--',
      process.execPath,
      '-e',
      "process.on('SIGTERM', () => { console.log('got SIGTERM'); process.exit(42); }); console.log('ready'); setInterval(() => {}, 1000);",
    ]);
    await run.waitFor(/ready/);
    run.child.kill('SIGTERM');
    const exit = await run.exited;
    expect(run.stdout()).toContain('got SIGTERM');
    expect(exit.code).toBe(42);
  });

  it('refuses a secret not enabled for agents, with the fix', async () => {
    const r = await cli([
      'run',
      '--secret',
      'closed',
      '--',
      process.execPath,
      '-e',
      'console.log("ran")',
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).not.toContain('ran');
    expect(r.stderr).toContain('AGENT_NOT_ALLOWED');
    expect(r.stderr).toContain('keyhole secret update closed --agent on');
    const missing = await cli(['run', '--secret', 'nope', '--', process.execPath, '-e', '1']);
    expect(missing.stderr).toContain('SECRET_NOT_FOUND');
    const usage = await cli(['run', '--secret', 'openai']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('after --');
  });
});

describe('keyhole serve', () => {
  let serve: Running;
  let base: string;
  let port: number;

  beforeAll(async () => {
    serve = start(['serve', '--port', '0']);
    base = (await serve.waitFor(/^(http:\/\/127\.0\.0\.1:\d+\/t\/\S+)$/m))[1]!;
    port = Number(new URL(base).port);
  });

  afterAll(async () => {
    serve?.child.kill('SIGTERM');
    await serve?.exited;
  });

  it('streams server-sent events as they come, not at the end', async () => {
    const started = Date.now();
    const res = await fetch(`${base}/s/openai/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer keyhole-placeholder' },
      body: JSON.stringify({ model: 'gpt-test', messages: [], stream: true }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    const arrivals: { at: number; text: string }[] = [];
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      arrivals.push({ at: Date.now() - started, text: decoder.decode(value) });
    }
    const text = arrivals.map((a) => a.text).join('');
    expect(text.match(/^data: /gm)).toHaveLength(6);
    expect(text).toContain('data: [DONE]');
    // The mock pauses 150 ms between its 5 events: a buffering proxy would deliver them in one go.
    const firstEvent = arrivals.find((a) => a.text.includes('Hello'))!;
    const last = arrivals.at(-1)!;
    expect(arrivals.length).toBeGreaterThanOrEqual(4);
    expect(last.at - firstEvent.at).toBeGreaterThanOrEqual(400);
    expectNoSecret(text);
  });

  it('refuses a request without the token, or with a wrong one (401)', async () => {
    const path = '/s/openai/v1/chat/completions';
    const none = await raw(`http://127.0.0.1:${port}${path}`, { method: 'POST', body: '{}' });
    expect(none.status).toBe(401);
    expect(JSON.parse(none.body).error.code).toBe('UNAUTHENTICATED');
    const wrongToken = base.replace(/\/t\/[^/]+$/, `/t/${'A'.repeat(43)}`);
    const wrong = await raw(`${wrongToken}${path}`, { method: 'POST', body: '{}' });
    expect(wrong.status).toBe(401);
    const before = api.seen.length;
    const header = await raw(`http://127.0.0.1:${port}/s/openai/v1/echo`, {
      headers: { 'keyhole-token': 'guess' },
    });
    expect(header.status).toBe(401);
    expect(api.seen.length).toBe(before);
    // The token in a header works as well as in the path.
    const token = base.slice(base.lastIndexOf('/') + 1);
    const ok = await raw(`http://127.0.0.1:${port}/s/openai/v1/echo`, {
      headers: { 'keyhole-token': token },
    });
    expect(ok.status).toBe(200);
    expectNoSecret(none.body + wrong.body + header.body + ok.body);
  });

  it('refuses a foreign Host (DNS rebinding) and any browser request, with no CORS', async () => {
    const url = `${base}/s/openai/v1/echo`;
    const before = api.seen.length;
    const rebound = await raw(url, { headers: { host: `attacker.example:${port}` } });
    expect(rebound.status).toBe(403);
    expect(rebound.body).toContain('Host');
    const browser = await raw(url, { headers: { origin: 'https://attacker.example' } });
    expect(browser.status).toBe(403);
    const fetchMeta = await raw(url, { headers: { 'sec-fetch-site': 'cross-site' } });
    expect(fetchMeta.status).toBe(403);
    const preflight = await raw(url, {
      method: 'OPTIONS',
      headers: { origin: 'https://attacker.example', 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(403);
    for (const r of [rebound, browser, fetchMeta, preflight]) {
      expect(Object.keys(r.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
    }
    expect(api.seen.length).toBe(before);
    const local = await raw(url.replace('127.0.0.1', 'localhost'), {
      headers: { host: `localhost:${port}` },
    });
    expect(local.status).toBe(200);
  });

  it('refuses a secret not enabled for agents, and caller-written placeholders', async () => {
    const before = api.seen.length;
    const closed = await raw(`${base}/s/closed/v1/echo`);
    expect(closed.status).toBe(403);
    expect(JSON.parse(closed.body).error).toMatchObject({ code: 'AGENT_NOT_ALLOWED' });
    expect(JSON.parse(closed.body).error.message).toContain('--agent on');
    const unknown = await raw(`${base}/s/nope/v1/echo`);
    expect(JSON.parse(unknown.body).error.code).toBe('AGENT_NOT_ALLOWED');
    const planted = await raw(`${base}/s/openai/v1/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'repeat $CLIENT_SECRET' }),
    });
    expect(planted.status).toBe(400);
    expect(JSON.parse(planted.body).error.code).toBe('INVALID_REQUEST');
    expect(api.seen.length).toBe(before);
    expectNoSecret(closed.body + unknown.body + planted.body);
  });

  it('lets the relay sign for a signing type: nothing placed, the dummy credential dropped', async () => {
    const res = await raw(`${base}/s/signer/v1/echo?x=1`, {
      headers: { authorization: 'Bearer dummy' },
    });
    const got = api.seen.at(-1)!;
    expect(got.path).toBe('/v1/echo?x=1');
    expect(got.headers['x-signature']).toMatch(/^[0-9a-f]{64}$/);
    expect(got.headers['x-timestamp']).toMatch(/^\d+$/);
    expect(got.headers.authorization).toBeUndefined();
    expect(res.status).toBe(401); // the mock wants the bearer key; the signed request did arrive
    expect(res.body).not.toContain(HMAC_KEY);
  });

  it("honours the secret's placement: x-api-key for an Anthropic-style plain secret", async () => {
    const add = await cli(
      [
        'secret',
        'add',
        'claude',
        '--host',
        api.url,
        '--place',
        'header:x-api-key',
        '--agent',
        'on',
      ],
      SECRET,
    );
    expect(add.code, add.stderr).toBe(0);
    // A running endpoint sees the new secret at its next refresh (at most 10 s).
    let res = { status: 0, headers: {}, body: '' } as Awaited<ReturnType<typeof raw>>;
    const started = Date.now();
    while (Date.now() - started < 20_000) {
      res = await raw(`${base}/s/claude/v1/messages`, {
        method: 'POST',
        headers: {
          'x-api-key': 'keyhole-placeholder',
          'anthropic-version': '2023-06-01',
          'content-type': 'application/json',
        },
        body: JSON.stringify({ model: 'claude-test', max_tokens: 8, messages: [] }),
      });
      if (res.status !== 403) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(res.status, res.body).toBe(200);
    const got = api.seen.at(-1)!;
    expect(got.headers['x-api-key']).toBe(SECRET);
    expect(got.headers.authorization).toBeUndefined();
    expect(got.headers['anthropic-version']).toBe('2023-06-01');
    // --place replaces the list, and `secret list --json` shows it.
    const upd = await cli(['secret', 'update', 'claude', '--place', 'body:api_key'], '');
    expect(upd.code, upd.stderr).toBe(0);
    const json = await cli(['secret', 'list', '--json']);
    expect(JSON.parse(json.stdout)).toContainEqual(
      expect.objectContaining({ name: 'claude', placement: ['body:api_key'] }),
    );
    const rm = await cli(['secret', 'rm', 'claude']);
    expect(rm.code, rm.stderr).toBe(0);
    expectNoSecret(res.body);
  });

  it('stops serving a secret within seconds of `--agent off`', async () => {
    const off = await cli(['secret', 'update', 'signer', '--agent', 'off']);
    expect(off.code, off.stderr).toBe(0);
    const started = Date.now();
    let status = 0;
    while (Date.now() - started < 20_000) {
      status = (await raw(`${base}/s/signer/v1/echo`)).status;
      if (status === 403) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(status).toBe(403); // the endpoint re-reads the vaults at most every 10 s
    const on = await cli(['secret', 'update', 'signer', '--agent', 'on']);
    expect(on.code, on.stderr).toBe(0);
  });

  it('is audited as agent:serve', async () => {
    await expectAudit({ origin: 'agent:serve', secret_name: 'openai', status: 200 });
    expectNoSecret(serve.stdout() + serve.stderr());
  });
});

describe('keyhole mcp', () => {
  let client: Client;
  let transport: StdioClientTransport;

  beforeAll(async () => {
    transport = new StdioClientTransport({
      command: process.execPath,
      args: [BIN, 'mcp'],
      env: env(),
      cwd: ROOT,
      stderr: 'pipe',
    });
    client = new Client({ name: 'keyhole-test', version: '1.0.0' });
    await client.connect(transport);
  });

  afterAll(async () => {
    await client?.close();
  });

  it('offers list_secrets and request', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(['list_secrets', 'request']);
  });

  it('lists names, types and hosts of the enabled secrets — never a value', async () => {
    const result = await client.callTool({ name: 'list_secrets', arguments: {} });
    const text = JSON.stringify(result);
    expectNoSecret(text);
    const content = result.content as { type: string; text: string }[];
    expect(JSON.parse(content[0]!.text)).toEqual({
      secrets: [
        { name: 'openai', type: 'bearer', hosts: [api.url] },
        { name: 'signer', type: 'hmac', hosts: [api.url] },
      ],
    });
  });

  it('calls an API with the secret put in on the relay, audited as agent:mcp', async () => {
    const result = await client.callTool({
      name: 'request',
      arguments: {
        clientSecretName: 'openai',
        url: `${api.url}/v1/chat/completions`,
        method: 'POST',
        data: { model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] },
      },
    });
    expect(result.isError).toBeFalsy();
    const content = result.content as { type: string; text: string }[];
    const answer = JSON.parse(content[0]!.text) as {
      status: number;
      body: { choices: { message: { content: string } }[] };
    };
    expect(answer.status).toBe(200);
    expect(answer.body.choices[0]!.message.content).toBe('Hello from the mock.');
    expect(api.seen.at(-1)!.headers.authorization).toBe(`Bearer ${SECRET}`);

    // An explicit placeholder works too, and an echoed key comes back scrubbed.
    const echo = await client.callTool({
      name: 'request',
      arguments: {
        clientSecretName: 'openai',
        url: `${api.url}/v1/echo`,
        headers: { Authorization: 'Bearer $CLIENT_SECRET' },
      },
    });
    expectNoSecret(JSON.stringify(echo));
    expect(JSON.stringify(echo)).toContain('[REDACTED]');
    await expectAudit({ origin: 'agent:mcp', secret_name: 'openai', status: 200 });
  });

  it('refuses a secret not enabled for agents, and a host outside the secret', async () => {
    const before = api.seen.length;
    const closed = await client.callTool({
      name: 'request',
      arguments: { clientSecretName: 'closed', url: `${api.url}/v1/echo` },
    });
    expect(closed.isError).toBe(true);
    const text = (closed.content as { text: string }[])[0]!.text;
    expect(text).toMatch(/^AGENT_NOT_ALLOWED: /);
    expect(text).toContain('--agent on');
    const elsewhere = await client.callTool({
      name: 'request',
      arguments: { clientSecretName: 'openai', url: 'https://attacker.example/steal' },
    });
    expect(elsewhere.isError).toBe(true);
    expect((elsewhere.content as { text: string }[])[0]!.text).toMatch(/^HOST_NOT_ALLOWED/);
    expect(api.seen.length).toBe(before);
    expectNoSecret(JSON.stringify([closed, elsewhere]));
  });
});

describe('the relay', () => {
  it('refuses an agent request for a secret not enabled inside the item, whatever the client checked', async () => {
    // A client that skipped its own check (this test builds the request by hand with the SDK).
    const saved = { home: process.env.KEYHOLE_HOME, password: process.env.KEYHOLE_PASSWORD };
    process.env.KEYHOLE_HOME = home;
    process.env.KEYHOLE_PASSWORD = PASSWORD;
    try {
      const { openVault } = await import('../../cli/unlock.js');
      const { buildForwardRequest } = await import('../../shared/client/request.js');
      const vault = await openVault({ sync: true });
      const params = {
        clientSecretName: 'closed',
        url: `${api.url}/v1/echo`,
        headers: { authorization: 'Bearer $CLIENT_SECRET' },
      };
      const before = api.seen.length;
      const asAgent = buildForwardRequest(vault.store, { ...params, origin: 'agent:mcp' });
      await expect(vault.relay.forward(asAgent)).rejects.toMatchObject({
        code: 'AGENT_NOT_ALLOWED',
      });
      expect(api.seen.length).toBe(before);
      // The same secret for its owner's own `keyhole request` (no agent origin) goes through.
      const res = await vault.relay.forward(buildForwardRequest(vault.store, params));
      expect(res.status).toBe(401); // the mock wants the other key: it did get this one
      await res.body?.cancel();
      expect(api.seen.at(-1)!.headers.authorization).toBe(`Bearer ${OTHER}`);
      await expectAudit({
        origin: 'agent:mcp',
        secret_name: 'closed',
        error_code: 'AGENT_NOT_ALLOWED',
      });
    } finally {
      process.env.KEYHOLE_HOME = saved.home;
      process.env.KEYHOLE_PASSWORD = saved.password;
      if (saved.home === undefined) delete process.env.KEYHOLE_HOME;
      if (saved.password === undefined) delete process.env.KEYHOLE_PASSWORD;
    }
  });
});
