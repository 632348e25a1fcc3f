// Two devices (two KEYHOLE_HOMEs) on one account edit the same secret from stale copies: the
// relay refuses the stale write (409), the CLI merges, and no version is lost.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnRelay, type RelayProcess } from '../support/relay-process.js';
import {
  removeDir,
  runCli,
  startMockApi,
  tempHome,
  type CliResult,
  type MockApi,
} from '../support/cli.js';

const PASSWORD = 'two devices, one vault';
const EMAIL = `conflict-${Date.now()}@example.com`;

let relay: RelayProcess;
let api: MockApi;
let homeA: string;
let homeB: string;

const on =
  (home: string) =>
  (args: string[], input?: string): Promise<CliResult> =>
    runCli(args, { home, input, env: { KEYHOLE_PASSWORD: PASSWORD } });
let a: ReturnType<typeof on>;
let b: ReturnType<typeof on>;

/** The value the relay substitutes for NAME, as the mock API receives it. */
async function valueOf(device: ReturnType<typeof on>, name: string): Promise<string | undefined> {
  const r = await device([
    'request',
    name,
    '--url',
    `${api.origin}/peek`,
    '-H',
    'X-Key: $CLIENT_SECRET',
  ]);
  expect(r.code, r.stderr).toBe(0);
  return api.calls.at(-1)?.headers['x-key'] as string | undefined;
}

async function names(device: ReturnType<typeof on>): Promise<{ name: string; hosts: string[] }[]> {
  const r = await device(['secret', 'list', '--json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as { name: string; hosts: string[] }[];
}

beforeAll(async () => {
  api = await startMockApi();
  relay = await spawnRelay({ env: { KEYHOLE_ALLOW_PRIVATE: api.hostPort } });
  homeA = tempHome();
  homeB = tempHome();
  a = on(homeA);
  b = on(homeB);
  expect((await a(['signup', '--relay', relay.url, '--email', EMAIL])).code).toBe(0);
  expect((await b(['login', '--relay', relay.url, '--email', EMAIL])).code).toBe(0);
});

afterAll(async () => {
  await relay?.stop();
  await api?.close();
  for (const home of [homeA, homeB]) if (home) removeDir(home);
});

describe('conflicting edits from two devices', () => {
  it('same field changed on both: theirs stays, ours is kept as a conflict copy', async () => {
    expect(
      (await a(['secret', 'add', 'shared', '--host', api.origin, '--place', 'header:X-Key'], 'v1'))
        .code,
    ).toBe(0);
    expect((await names(b)).map((s) => s.name)).toEqual(['shared']); // B syncs v1

    expect((await a(['secret', 'update', 'shared'], 'from-A')).code).toBe(0);
    const fromB = await b(['secret', 'update', 'shared'], 'from-B'); // based on the stale v1
    expect(fromB.code, fromB.stderr).toBe(0);
    const copy = /saved as (shared\.conflict-\d{4}-\d{2}-\d{2})/.exec(fromB.stderr)?.[1];
    expect(copy, fromB.stderr).toBeDefined();

    expect((await names(a)).map((s) => s.name).sort()).toEqual(['shared', copy].sort());
    expect(await valueOf(a, 'shared')).toBe('from-A');
    expect(await valueOf(a, copy!)).toBe('from-B');
    expect(fromB.stderr + fromB.stdout).not.toMatch(/from-[AB]/);
  });

  it('different fields changed on both: the changes are merged', async () => {
    expect(
      (
        await a(
          ['secret', 'add', 'merge-me', '--host', api.origin, '--place', 'header:X-Key'],
          'm1',
        )
      ).code,
    ).toBe(0);
    await names(b);
    expect(
      (await a(['secret', 'update', 'merge-me', '--host', api.origin, '--host', 'api.example.com']))
        .code,
    ).toBe(0);
    const fromB = await b(['secret', 'update', 'merge-me'], 'm2');
    expect(fromB.code, fromB.stderr).toBe(0);
    expect(fromB.stderr).toContain('merged');

    const merged = (await names(a)).find((s) => s.name === 'merge-me');
    expect(merged?.hosts).toEqual([api.origin, 'api.example.com']);
    expect(await valueOf(a, 'merge-me')).toBe('m2');
  });

  it('an edit meets a delete: the edit comes back; a delete meets an edit: the edit stays', async () => {
    expect(
      (await a(['secret', 'add', 'phoenix', '--host', api.origin, '--place', 'header:X-Key'], 'p1'))
        .code,
    ).toBe(0);
    await names(b);
    expect((await a(['secret', 'rm', 'phoenix'])).code).toBe(0);
    const edit = await b(['secret', 'update', 'phoenix'], 'p2');
    expect(edit.code, edit.stderr).toBe(0);
    expect(edit.stderr).toContain('brought it back');
    expect(await valueOf(a, 'phoenix')).toBe('p2');

    await names(b);
    expect((await a(['secret', 'update', 'phoenix'], 'p3')).code).toBe(0);
    const rm = await b(['secret', 'rm', 'phoenix']);
    expect(rm.code, rm.stderr).toBe(0);
    expect(rm.stderr).toContain('not removed');
    expect(await valueOf(b, 'phoenix')).toBe('p3');
  });
});
