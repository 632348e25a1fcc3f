// `keyhole team …` and `keyhole audit …` end to end: real CLI processes (own KEYHOLE_HOMEs)
// against a real relay process and a mock API — create, fingerprint check, invite, use a team
// secret, roles, audit, remove (with the list of exposed secrets) and what removal cuts off.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockApi, type MockApi } from '../support/mock-api.js';
import { spawnRelay, type RelayProcess } from '../support/relay-process.js';
import { removeDir, runCli, tempHome, type CliResult } from '../support/cli.js';

const PASSWORD = 'team cli password';
const SECRET = 'sk-team-cli-9f8e7d6c';
const stamp = Date.now().toString(36);
const people = ['owner', 'bob', 'carol'] as const;
type Person = (typeof people)[number];

let relay: RelayProcess;
let api: MockApi;
const homes = {} as Record<Person, string>;
const email = (p: Person) => `${p}-${stamp}@example.test`;

function cli(who: Person, args: string[], input?: string): Promise<CliResult> {
  return runCli(args, { home: homes[who], input, env: { KEYHOLE_PASSWORD: PASSWORD } });
}

function ok(r: CliResult): CliResult {
  expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
  return r;
}

/** The owner's `keyhole team invite backend <email> [extra…] --fingerprint <fingerprint>`. */
function invite(who: Person, fingerprint: string, extra: string[] = []): Promise<CliResult> {
  return cli('owner', [
    'team',
    'invite',
    'backend',
    email(who),
    ...extra,
    '--fingerprint',
    fingerprint,
  ]);
}

/** `keyhole secret add <name> --host <host> --vault backend`, the value on stdin. */
function addToTeam(who: Person, name: string, host: string, value: string): Promise<CliResult> {
  return cli(
    who,
    [
      'secret',
      'add',
      name,
      '--host',
      host,
      '--vault',
      'backend',
      '--place',
      'header:Authorization',
    ],
    value,
  );
}

/** `keyhole request <name>` from the backend team, the secret as a bearer header to /reflect. */
function requestWith(who: Person, name: string): Promise<CliResult> {
  const url = `http://${api.hostPort}/reflect`;
  return cli(who, [
    'request',
    name,
    '--vault',
    'backend',
    '--url',
    url,
    '-H',
    'Authorization: Bearer $CLIENT_SECRET',
  ]);
}

beforeAll(async () => {
  api = await startMockApi('127.0.0.2');
  relay = await spawnRelay({ env: { KEYHOLE_ALLOW_PRIVATE: api.hostPort } });
  for (const p of people) {
    homes[p] = tempHome();
    ok(await cli(p, ['signup', '--relay', relay.url, '--email', email(p)]));
  }
});

afterAll(async () => {
  await relay?.stop();
  await api?.close();
  for (const p of people) if (homes[p]) removeDir(homes[p]);
});

describe('keyhole team / audit', () => {
  const fp: Partial<Record<Person, string>> = {};

  it('creates a team and refuses an invitation whose fingerprint does not match, sending nothing', async () => {
    ok(await cli('owner', ['team', 'create', 'backend']));
    for (const p of people) fp[p] = ok(await cli(p, ['team', 'fingerprint'])).stdout.trim();
    expect(fp.bob).toMatch(/^[0-9A-F]{4}(-[0-9A-F]{4}){4}$/);

    const wrong = await invite('bob', fp.carol ?? '');
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toContain('FINGERPRINT_MISMATCH');
    expect(wrong.stdout).toContain(fp.bob);
    const members = ok(await cli('owner', ['team', 'members', 'backend']));
    expect(members.stdout).not.toContain(email('bob'));
    const bobView = await cli('bob', ['secret', 'list', '--vault', 'backend']);
    expect(bobView.stderr).toContain('NOT_FOUND');
  });

  it('invites with a matching fingerprint and lists members with their fingerprints', async () => {
    const invited = ok(await invite('bob', (fp.bob ?? '').toLowerCase()));
    expect(invited.stdout).toContain(`fingerprint: ${fp.bob}`);
    const user = ok(await invite('carol', fp.carol ?? '', ['--role', 'user']));
    expect(user.stderr).toContain('not cryptography');
    const members = ok(await cli('bob', ['team', 'members', 'backend'])).stdout;
    expect(members).toMatch(new RegExp(`${email('owner')}\\s+owner\\s+${fp.owner}`));
    expect(members).toMatch(new RegExp(`${email('bob')}\\s+member\\s+${fp.bob}`));
    expect(members).toMatch(new RegExp(`${email('carol')}\\s+user\\s+${fp.carol}`));
  });

  it('a member uses a team secret through the relay; a user may use but not write', async () => {
    ok(await addToTeam('owner', 'openai', `http://${api.hostPort}`, SECRET));
    ok(await addToTeam('owner', 'stripe', `http://${api.hostPort}`, 'sk-stripe'));
    const used = ok(await requestWith('bob', 'openai'));
    expect(api.requests.at(-1)?.headers.authorization).toBe(`Bearer ${SECRET}`);
    expect(used.stdout).not.toContain(SECRET); // the reflection is scrubbed

    ok(await requestWith('carol', 'stripe'));
    const write = await addToTeam('carol', 'mine', 'api.example.com', 'x');
    expect(write.code).not.toBe(0);
    expect(write.stderr).toContain('FORBIDDEN');
    const listed = ok(await cli('carol', ['secret', 'list', '--vault', 'backend']));
    expect(listed.stdout).toContain('openai');
    expect(listed.stdout + listed.stderr).not.toContain(SECRET);
  });

  it('audit: the owner sees everyone, a member only their own rows', async () => {
    let owner = '';
    for (let i = 0; i < 40 && !owner.includes(email('carol')); i++) {
      owner = ok(await cli('owner', ['audit', 'backend'])).stdout;
    }
    expect(owner).toMatch(/AT \(UTC\)\s+WHO\s+SECRET\s+ORIGIN\s+METHOD\s+HOST\s+STATUS/);
    expect(owner).toMatch(
      new RegExp(
        `${email('bob')}\\s+openai\\s+-\\s+GET\\s+${api.hostPort.replace(/\./g, '\\.')}\\s+200`,
      ),
    );
    expect(owner).toContain(email('carol'));
    const bob = ok(await cli('bob', ['audit', 'backend']));
    expect(bob.stderr).toContain('Your requests');
    expect(bob.stdout).toContain(email('bob'));
    expect(bob.stdout).not.toContain(email('carol'));
  });

  it('remove: lists what the member could have seen, cuts them off, the owner keeps working', async () => {
    const removed = ok(await cli('owner', ['team', 'remove', 'backend', email('bob')]));
    expect(removed.stderr).toContain(`Removed ${email('bob')} from backend (key generation 0 → 1)`);
    expect(removed.stderr).toContain('rotate them at the provider');
    expect(
      removed.stdout
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean),
    ).toEqual(['openai', 'stripe']);
    expect(removed.stdout + removed.stderr).not.toContain(SECRET);

    const before = api.requests.length;
    const bobRequest = await requestWith('bob', 'openai');
    expect(bobRequest.code).not.toBe(0);
    expect(bobRequest.stderr).toMatch(/NOT_FOUND|FORBIDDEN/);
    expect(api.requests.length).toBe(before);
    expect((await cli('bob', ['audit', 'backend'])).stderr).toContain('NOT_FOUND');
    expect((await cli('bob', ['team', 'members', 'backend'])).stderr).toContain('NOT_FOUND');

    ok(await requestWith('owner', 'openai'));
    expect(api.requests.at(-1)?.headers.authorization).toBe(`Bearer ${SECRET}`);
    ok(await requestWith('carol', 'stripe'));
    const members = ok(await cli('owner', ['team', 'members', 'backend'])).stdout;
    expect(members).not.toContain(email('bob'));
  });

  it('explains itself', async () => {
    const help = ok(await cli('owner', ['team', '--help']));
    expect(help.stdout).toContain('not cryptography');
    const usage = await cli('owner', ['team', 'invite', 'backend']);
    expect(usage.code).toBe(2);
  });
});
