// The CLI refuses what the popup refuses (shared/policy), before anything is sent, and explains a
// relay that refuses private addresses with the fix (KEYHOLE_ALLOW_PRIVATE), not "update the host".
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnRelay, type RelayProcess } from '../support/relay-process.js';
import { removeDir, runCli, startMockApi, tempHome, type MockApi } from '../support/cli.js';

const PASSWORD = 'input checks password';
let relay: RelayProcess;
let api: MockApi;
let home: string;

const cli = (args: string[], input?: string) =>
  runCli(args, { home, input, env: { KEYHOLE_PASSWORD: PASSWORD } });

beforeAll(async () => {
  api = await startMockApi();
  // As plain `npm start` runs it: no KEYHOLE_ALLOW_PRIVATE.
  relay = await spawnRelay();
  home = tempHome();
});

afterAll(async () => {
  await relay?.stop();
  await api?.close();
  if (home) removeDir(home);
});

describe('keyhole CLI input checks', () => {
  it('refuses an --origin without a scheme (or with a path), saying how to write it', async () => {
    for (const [origin, hint] of [
      ['localhost:5173', 'http://localhost:5173'],
      ['https://app.example.com/x', 'no path'],
      ['ftp://app.example.com', 'scheme://host'],
    ] as const) {
      const r = await cli(
        ['secret', 'add', 'x', '--host', 'api.example.com', '--origin', origin],
        'value',
      );
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`Not a valid --origin "${origin}"`);
      expect(r.stderr).toContain(hint);
    }
  });

  it('refuses a host with a wrong scheme, saying which', async () => {
    const r = await cli(['secret', 'add', 'x', '--host', 'htp://127.0.0.1:5174'], 'value');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('"htp://" is not a scheme');
  });

  it('tells a private-address refusal from a host that is not listed', async () => {
    expect(
      (await cli(['signup', '--relay', relay.url, '--email', `in-${Date.now()}@example.com`])).code,
    ).toBe(0);
    const add = await cli(
      [
        'secret',
        'add',
        'local',
        '--type',
        'bearer',
        '--host',
        api.origin,
        '--origin',
        'http://localhost:5173',
      ],
      'sk-local-123',
    );
    expect(add.code).toBe(0);
    const r = await cli([
      'request',
      'local',
      '--url',
      `${api.origin}/x`,
      '-H',
      'Authorization: Bearer $CLIENT_SECRET',
    ]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('HOST_NOT_ALLOWED');
    expect(r.stderr).toContain(`KEYHOLE_ALLOW_PRIVATE=${api.hostPort}`);
    expect(r.stderr).not.toContain('secret update');
    expect(api.calls).toHaveLength(0);
  });
});
