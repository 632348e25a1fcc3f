// The `keyhole` CLI end to end: real CLI processes against a real relay process and a local mock
// API — signup, login, secret add/list/update/rm, request (curl-like) and the refusals.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnRelay, type RelayProcess } from '../support/relay-process.js';
import {
  readHomeFiles,
  removeDir,
  runCli,
  startMockApi,
  tempHome,
  type CliResult,
  type MockApi,
} from '../support/cli.js';

const PASSWORD = 'tr0ub4dor & 3 horses';
const SECRET = 'sk-live-4f9a1c2e7b3d5f60';
const EMAIL = `cli-${Date.now()}@example.com`;

let relay: RelayProcess;
let api: MockApi;
let home: string;
const env = { KEYHOLE_PASSWORD: PASSWORD };

function cli(
  args: string[],
  input?: string,
  extraEnv: Record<string, string | undefined> = {},
): Promise<CliResult> {
  return runCli(args, { home, input, env: { ...env, ...extraEnv } });
}

function expectNoSecret(result: CliResult): void {
  expect(result.stdout).not.toContain(SECRET);
  expect(result.stderr).not.toContain(SECRET);
  expect(result.stdout + result.stderr).not.toContain(PASSWORD);
}

beforeAll(async () => {
  api = await startMockApi();
  relay = await spawnRelay({ env: { KEYHOLE_ALLOW_PRIVATE: api.hostPort } });
  home = tempHome();
});

afterAll(async () => {
  await relay?.stop();
  await api?.close();
  if (home) removeDir(home);
});

describe('keyhole CLI', () => {
  it('prints help for the tool and for each command', async () => {
    const top = await cli(['--help']);
    expect(top.code).toBe(0);
    for (const name of ['relay', 'signup', 'login', 'logout', 'secret', 'request'])
      expect(top.stdout).toContain(name);
    for (const args of [
      ['signup', '--help'],
      ['secret', 'add', '--help'],
      ['request', '--help'],
      ['secret', 'list', '-h'],
    ]) {
      const r = await cli(args);
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.stdout).toMatch(/^Usage: keyhole /);
    }
    const unknown = await cli(['frobnicate']);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain('INVALID_REQUEST');
  });

  it('tells a new user to log in first', async () => {
    const r = await cli(['secret', 'list']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('NOT_CONFIGURED');
    expect(r.stderr).toContain('keyhole login');
  });

  it('never accepts the password as an argument', async () => {
    for (const flag of ['--password', `--password=${PASSWORD}`, '--pass']) {
      const r = await cli(['signup', '--relay', relay.url, '--email', EMAIL, flag, PASSWORD]);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain('never accepted as an argument');
      expect(r.stderr).not.toContain(PASSWORD);
    }
  });

  it('refuses clearly with no KEYHOLE_PASSWORD and no terminal', async () => {
    const r = await cli(['signup', '--relay', relay.url, '--email', EMAIL], undefined, {
      KEYHOLE_PASSWORD: undefined,
    });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('KEYHOLE_PASSWORD');
  });

  it('signs up, then logs in', async () => {
    const signup = await cli(['signup', '--relay', relay.url, '--email', EMAIL]);
    expect(signup.stderr).toContain('✓');
    expect(signup.code).toBe(0);
    const again = await cli(['signup', '--relay', relay.url, '--email', EMAIL]);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain('ACCOUNT_EXISTS');

    const login = await cli(['login', '--relay', relay.url, '--email', EMAIL]);
    expect(login.code).toBe(0);
    expect(login.stderr).toContain(`Logged in as ${EMAIL}`);
  });

  it('refuses a wrong password with INVALID_CREDENTIALS', async () => {
    const other = tempHome();
    try {
      const r = await runCli(['login', '--relay', relay.url, '--email', EMAIL], {
        home: other,
        env: { KEYHOLE_PASSWORD: 'not the password' },
      });
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain('INVALID_CREDENTIALS');
    } finally {
      removeDir(other);
    }
    // A command that unlocks the cached bundle refuses too, without the relay.
    const list = await cli(['secret', 'list'], undefined, { KEYHOLE_PASSWORD: 'not the password' });
    expect(list.code).not.toBe(0);
    expect(list.stderr).toContain('INVALID_CREDENTIALS');
  });

  it('adds a secret from stdin and lists it without its value', async () => {
    const add = await cli(
      [
        'secret',
        'add',
        'demo',
        '--host',
        api.origin,
        '--type',
        'bearer',
        '--origin',
        'https://app.example',
        // The requests below place it in these headers (a bearer defaults to Authorization only).
        '--place',
        'header:Authorization',
        '--place',
        'header:X-Key',
        '--place',
        'header:X',
      ],
      `${SECRET}\n`,
    );
    expect(add.stderr).toContain('✓ Added demo');
    expect(add.code).toBe(0);
    expectNoSecret(add);

    const dup = await cli(
      ['secret', 'add', 'demo', '--host', api.origin, '--place', 'header:X-Key'],
      SECRET,
    );
    expect(dup.code).not.toBe(0);

    const list = await cli(['secret', 'list']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(
      /demo\s+bearer\s+personal\s+http:\/\/127\.0\.0\.2:\d+\s+https:\/\/app\.example/,
    );
    expectNoSecret(list);

    const json = await cli(['secret', 'list', '--json']);
    expect(JSON.parse(json.stdout)).toEqual([
      expect.objectContaining({
        name: 'demo',
        type: 'bearer',
        hosts: [api.origin],
        origins: ['https://app.example'],
      }),
    ]);
    expectNoSecret(json);
  });

  it('refuses bad secret input', async () => {
    const noHost = await cli(['secret', 'add', 'x'], 'v');
    expect(noHost.code).not.toBe(0);
    const badHost = await cli(['secret', 'add', 'x', '--host', 'https://user@evil.example'], 'v');
    expect(badHost.code).not.toBe(0);
    expect(badHost.stderr).toContain('--host');
    const badBasic = await cli(
      ['secret', 'add', 'x', '--host', 'api.example.com', '--type', 'basic'],
      'no-colon',
    );
    expect(badBasic.code).not.toBe(0);
    expect(badBasic.stderr).not.toContain('no-colon');
  });

  it('sends a request with the secret in a header, the secret never in its output', async () => {
    // The mock API reflects the Authorization header it got (body and a response header): the
    // relay scrubs it, so the output shows [REDACTED] where the secret was, never the secret.
    const before = api.calls.length;
    const r = await cli([
      'request',
      'demo',
      '--url',
      `${api.origin}/reflect`,
      '-i',
      '-H',
      'Authorization: Bearer $CLIENT_SECRET',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const call = api.calls[before];
    expect(call?.headers.authorization).toBe(`Bearer ${SECRET}`);
    expect(r.stdout.toLowerCase()).toContain('x-reflected-authorization: bearer [redacted]');
    const body = r.stdout.slice(r.stdout.indexOf('{'));
    expect(JSON.parse(body)).toEqual({
      ok: true,
      method: 'GET',
      path: '/reflect',
      authorization: 'Bearer [REDACTED]',
    });
    expectNoSecret(r);
    expect(r.stdout).not.toContain(Buffer.from(SECRET).toString('base64'));
  });

  it('-i prints the status line and headers; -d sends a body and defaults to POST', async () => {
    const r = await cli([
      'request',
      'demo',
      '--url',
      `${api.origin}/echo`,
      '-i',
      '-H',
      'X-Key: $CLIENT_SECRET',
      '-H',
      'Content-Type: application/json',
      '-d',
      '{"q":"hi"}',
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^HTTP\/1\.1 200/);
    expect(r.stdout.toLowerCase()).toContain('content-type: application/json');
    expect(r.stdout).toContain('"method":"POST"');
    expect(api.calls.at(-1)?.body).toBe('{"q":"hi"}');
    expectNoSecret(r);
  });

  it('streams the body as it arrives', async () => {
    const r = await cli([
      'request',
      'demo',
      '--url',
      `${api.origin}/stream`,
      '-H',
      'X-Key: $CLIENT_SECRET',
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('chunk0\nchunk1\nchunk2\n');
  });

  it('an upstream error prints its body and exits non-zero with UPSTREAM_ERROR', async () => {
    const r = await cli([
      'request',
      'demo',
      '--url',
      `${api.origin}/fail`,
      '-H',
      'X-Key: $CLIENT_SECRET',
    ]);
    expect(r.code).not.toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ error: 'no such thing' });
    expect(r.stderr).toContain('UPSTREAM_ERROR');
    expectNoSecret(r);
  });

  it('refuses before sending: HOST_NOT_ALLOWED, PLACEHOLDER_MISSING, SECRET_NOT_FOUND', async () => {
    const before = api.calls.length;
    const host = await cli([
      'request',
      'demo',
      '--url',
      'https://evil.example/steal',
      '-H',
      'X-Key: $CLIENT_SECRET',
    ]);
    expect(host.code).not.toBe(0);
    expect(host.stderr).toContain('HOST_NOT_ALLOWED');
    const https = await cli([
      'request',
      'demo',
      '--url',
      `${api.origin.replace('http:', 'https:')}/x`,
      '-H',
      'X-Key: $CLIENT_SECRET',
    ]);
    expect(https.stderr).toContain('HOST_NOT_ALLOWED');
    const missing = await cli(['request', 'demo', '--url', `${api.origin}/x`]);
    expect(missing.stderr).toContain('PLACEHOLDER_MISSING');
    const unknown = await cli([
      'request',
      'nope',
      '--url',
      `${api.origin}/x`,
      '-H',
      'X: $CLIENT_SECRET',
    ]);
    expect(unknown.stderr).toContain('SECRET_NOT_FOUND');
    expect(api.calls.length).toBe(before);
  });

  it('--queue waits for the queued request and prints its result', async () => {
    const r = await cli([
      'request',
      'demo',
      '--url',
      `${api.origin}/queued`,
      '--queue',
      'q1',
      '-H',
      'X-Key: $CLIENT_SECRET',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ ok: true, method: 'GET', path: '/queued' });
    expect(api.calls.at(-1)?.headers['x-key']).toBe(SECRET);
    expectNoSecret(r);
  });

  it('logs in again by itself when the session was revoked (the password is at hand)', async () => {
    const { readFileSync } = await import('node:fs');
    const token = (JSON.parse(readFileSync(`${home}/session`, 'utf8')) as { token: string }).token;
    const out = await fetch(`${relay.url}/v1/auth/logout`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(out.ok).toBe(true);
    const list = await cli(['secret', 'list']);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toContain('demo');
    const next = (JSON.parse(readFileSync(`${home}/session`, 'utf8')) as { token: string }).token;
    expect(next).not.toBe(token);
  });

  it('updates a secret: new value from stdin, hosts replaced', async () => {
    const upd = await cli(['secret', 'update', 'demo'], 'sk-rotated-0001');
    expect(upd.code).toBe(0);
    const r = await cli([
      'request',
      'demo',
      '--url',
      `${api.origin}/after`,
      '-H',
      'X-Key: $CLIENT_SECRET',
    ]);
    expect(r.code).toBe(0);
    expect(api.calls.at(-1)?.headers['x-key']).toBe('sk-rotated-0001');
    expect(r.stdout).not.toContain('sk-rotated-0001');
  });

  it('placement: --place is checked, the default for bearer is Authorization, legacy is REVIEW', async () => {
    const bad = await cli(
      ['secret', 'add', 'p1', '--host', api.origin, '--place', 'cookie:x'],
      'v-place-1',
    );
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('--place');
    const bearer = await cli(
      ['secret', 'add', 'p2', '--host', api.origin, '--type', 'bearer'],
      'v-place-2',
    );
    expect(bearer.code).toBe(0);
    // A plain secret goes only where its owner lists: without --place it is refused, with the fix.
    const unplaced = await cli(['secret', 'add', 'p3', '--host', api.origin], 'v-place-3');
    expect(unplaced.code).toBe(2);
    expect(unplaced.stderr).toContain('Say where p3 may be placed');
    const plain = await cli(
      ['secret', 'add', 'p3', '--host', api.origin, '--place', 'header:X-Other'],
      'v-place-3',
    );
    expect(plain.code).toBe(0);
    const listed = JSON.parse((await cli(['secret', 'list', '--json'])).stdout) as {
      name: string;
      placement: string[] | null;
      needsReview: boolean;
    }[];
    const row = (n: string) => listed.find((r) => r.name === n)!;
    expect(row('p2')).toMatchObject({ placement: ['header:Authorization'], needsReview: false });
    expect(row('p3')).toMatchObject({ placement: ['header:X-Other'], needsReview: false });
    // The bearer may not go into another header: refused before anything is sent.
    const before = api.calls.length;
    const wrong = await cli([
      'request',
      'p2',
      '--url',
      `${api.origin}/x`,
      '-H',
      'X-Echo: $CLIENT_SECRET',
    ]);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toContain('PLACEMENT_NOT_ALLOWED');
    expect(api.calls.length).toBe(before);
    // The owner changes the placement: enforced at once.
    const upd = await cli(['secret', 'update', 'p3', '--place', 'query:key'], '');
    expect(upd.code).toBe(0);
    const again = JSON.parse((await cli(['secret', 'list', '--json'])).stdout) as typeof listed;
    expect(again.find((r) => r.name === 'p3')).toMatchObject({
      placement: ['query:key'],
      needsReview: false,
    });
    const ok = await cli(['request', 'p3', '--url', `${api.origin}/q?key=$CLIENT_SECRET`]);
    expect(ok.code).toBe(0);
    const no = await cli(['request', 'p3', '--url', `${api.origin}/q?other=$CLIENT_SECRET`]);
    expect(no.stderr).toContain('PLACEMENT_NOT_ALLOWED');
    for (const n of ['p2', 'p3']) expect((await cli(['secret', 'rm', n])).code).toBe(0);
  });

  it('keeps only ciphertext in KEYHOLE_HOME, with private file modes', async () => {
    const { names, text } = readHomeFiles(home);
    expect(names.sort()).toEqual(['config.json', 'keys.json', 'session', 'vault-cache.json']);
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain('sk-rotated-0001');
    expect(text).not.toContain(PASSWORD);
    expect(text).not.toContain('demo'); // even secret names are encrypted
    const { statSync } = await import('node:fs');
    expect(statSync(home).mode & 0o777).toBe(0o700);
    for (const n of names) expect(statSync(`${home}/${n}`).mode & 0o777, n).toBe(0o600);
  });

  it('removes a secret', async () => {
    const rm = await cli(['secret', 'rm', 'demo']);
    expect(rm.code).toBe(0);
    const list = await cli(['secret', 'list', '--json']);
    expect(JSON.parse(list.stdout)).toEqual([]);
    const again = await cli(['secret', 'rm', 'demo']);
    expect(again.stderr).toContain('SECRET_NOT_FOUND');
  });

  it('logs out: the session and cache are gone, the token no longer works', async () => {
    const { readFileSync } = await import('node:fs');
    const token = (JSON.parse(readFileSync(`${home}/session`, 'utf8')) as { token: string }).token;
    const r = await cli(['logout']);
    expect(r.code).toBe(0);
    expect(readHomeFiles(home).names).toEqual(['config.json']);
    const me = await fetch(`${relay.url}/v1/accounts/me`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(me.status).toBe(401);
    const list = await cli(['secret', 'list']);
    expect(list.stderr).toContain('NOT_CONFIGURED');
  });
});
