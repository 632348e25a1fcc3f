// `keyhole grant create|list|revoke` end to end: real CLI processes against a real relay, then the
// printed token used for a grant forward as a page's SDK would, and revoked.
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
import { grantForward } from '../support/grant-fixtures.js';

const PASSWORD = 'grant cli horse battery';
const SECRET = 'sk-live-grant-cli-77aa10';
const EMAIL = `grant-cli-${Date.now()}@example.com`;
const APP = 'https://shop.example';

let relay: RelayProcess;
let api: MockApi;
let home: string;

const cli = (args: string[], input?: string): Promise<CliResult> =>
  runCli(args, { home, input, env: { KEYHOLE_PASSWORD: PASSWORD } });

beforeAll(async () => {
  api = await startMockApi();
  relay = await spawnRelay({ env: { KEYHOLE_ALLOW_PRIVATE: api.hostPort } });
  home = tempHome();
  expect((await cli(['signup', '--relay', relay.url, '--email', EMAIL])).code).toBe(0);
  const added = await cli(
    ['secret', 'add', 'shop', '--host', api.origin, '--type', 'bearer'],
    SECRET,
  );
  expect(added.code, added.stderr).toBe(0);
});

afterAll(async () => {
  await relay?.stop();
  await api?.close();
  if (home) removeDir(home);
});

describe('keyhole grant', () => {
  it('create prints the id, then the token alone on the last line; list shows it; revoke ends it', async () => {
    const made = await cli([
      'grant',
      'create',
      'shop',
      '--origin',
      APP,
      '--method',
      'post',
      '--path',
      '/reflect',
      '--rate',
      '5',
      '--quota',
      '100',
      '--expires',
      '7d',
    ]);
    expect(made.code, made.stderr).toBe(0);
    const lines = made.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    const [id, token] = lines as [string, string];
    expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(token).toMatch(/^khg_[A-Za-z0-9_-]{66}$/);
    expect(made.stdout + made.stderr).not.toContain(SECRET);

    const used = await grantForward(
      relay.url,
      { id, token },
      {
        request: {
          url: `${api.origin}/reflect`,
          method: 'POST',
          headers: { authorization: 'Bearer $CLIENT_SECRET' },
        },
      },
      { origin: APP },
    );
    expect(used.status, used.text).toBe(200);
    expect(used.text).not.toContain(SECRET);

    const listed = await cli(['grant', 'list', '--json']);
    expect(listed.code).toBe(0);
    const rows = JSON.parse(listed.stdout) as Array<Record<string, unknown>>;
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ id, secret: 'shop', origins: [APP], state: 'live' });
    expect(rows[0]!.limits).toBe('POST /reflect 5/min/visitor 100/day');
    expect(listed.stdout).not.toContain(token.slice(4));
    const table = await cli(['grant', 'list']);
    expect(table.stdout).toContain(id);

    expect((await cli(['grant', 'revoke', id])).code).toBe(0);
    const after = await grantForward(
      relay.url,
      { id, token },
      {
        request: {
          url: `${api.origin}/reflect`,
          method: 'POST',
          headers: { authorization: 'Bearer $CLIENT_SECRET' },
        },
      },
      { origin: APP },
    );
    expect(after.code).toBe('GRANT_INVALID');
    const again = JSON.parse((await cli(['grant', 'list', '--json'])).stdout) as Array<{
      state: string;
    }>;
    expect(again[0]!.state).toBe('revoked');
  });

  it('refuses bad input with a clear error and changes nothing', async () => {
    const cases: string[][] = [
      ['grant', 'create', 'shop'],
      ['grant', 'create', 'shop', '--origin', 'https://shop.example/'],
      ['grant', 'create', 'shop', '--origin', APP, '--method', 'TRACE'],
      ['grant', 'create', 'shop', '--origin', APP, '--path', 'v1'],
      ['grant', 'create', 'shop', '--origin', APP, '--rate', '0'],
      ['grant', 'create', 'shop', '--origin', APP, '--expires', '3w'],
      ['grant', 'create', 'shop', '--origin', APP, '--locked'],
      ['grant', 'create', 'nope', '--origin', APP],
    ];
    for (const args of cases) {
      const r = await cli(args);
      expect(r.code, args.join(' ')).not.toBe(0);
      expect(r.stderr).toMatch(/[A-Z_]+:/);
    }
    const rows = JSON.parse((await cli(['grant', 'list', '--json'])).stdout) as unknown[];
    expect(rows).toHaveLength(1);
  });
});
