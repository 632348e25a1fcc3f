// Issue #13, invariant 8: a relay that edits its own database is caught. Real CLI processes (own
// KEYHOLE_HOMEs) against a real relay on SQLite and on PostgreSQL; each attack rewrites the
// relay's rows directly, then asserts the exact error code and that nothing reached the mock API.
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RelayProcess } from '../support/relay-process.js';
import {
  removeDir,
  runCli,
  startMockApi,
  tempHome,
  type CliResult,
  type MockApi,
} from '../support/cli.js';
import { STORES, relayOn } from '../support/relay-fixtures.js';

const PASSWORD = 'a relay that lies';

/** Runs SQL on the relay's own database (`?` placeholders on both). */
interface RelayDb {
  all(query: string, ...params: unknown[]): Promise<Record<string, unknown>[]>;
  run(query: string, ...params: unknown[]): Promise<void>;
  close(): Promise<void>;
}

async function openRelayDb(relay: RelayProcess, url: string | undefined): Promise<RelayDb> {
  if (url === undefined) {
    const db = new Database(relay.dbPath!);
    db.pragma('busy_timeout = 5000');
    return {
      all: (q, ...p) => Promise.resolve(db.prepare(q).all(...p) as Record<string, unknown>[]),
      run: async (q, ...p) => {
        db.prepare(q).run(...p);
      },
      close: async () => {
        db.close();
      },
    };
  }
  const schema = new URL(url).searchParams.get('schema')!;
  const client = new pg.Client({ connectionString: url.replace(/\?.*$/, '') });
  await client.connect();
  await client.query(`set search_path to "${schema}"`);
  const numbered = (q: string) => {
    let n = 0;
    return q.replace(/\?/g, () => `$${++n}`);
  };
  return {
    all: async (q, ...p) => (await client.query(numbered(q), p)).rows as Record<string, unknown>[],
    run: async (q, ...p) => {
      await client.query(numbered(q), p);
    },
    close: () => client.end(),
  };
}

for (const store of STORES) {
  describe(`a relay that lies, on ${store.name}`, () => {
    let relay: RelayProcess;
    let api: MockApi;
    let db: RelayDb;
    let teardown: () => Promise<void>;
    const homes: string[] = [];
    const stamp = `${store.name}-${Date.now().toString(36)}`;

    const device = () => {
      const home = tempHome();
      homes.push(home);
      return (args: string[], input?: string): Promise<CliResult> =>
        runCli(args, { home, input, env: { KEYHOLE_PASSWORD: PASSWORD } });
    };
    type Device = ReturnType<typeof device>;
    const ok = (r: CliResult): CliResult => {
      expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
      return r;
    };
    /** `keyhole request NAME` to the mock API with the secret in a header. */
    const use = (who: Device, name: string, vault?: string) =>
      who([
        'request',
        name,
        '--url',
        `${api.origin}/use`,
        '-H',
        'X-Key: $CLIENT_SECRET',
        ...(vault ? ['--vault', vault] : []),
      ]);
    const lastKey = () => api.calls.at(-1)?.headers['x-key'];

    /** The item row of secret NAME as the relay stores it, found by the order it was written in. */
    async function itemRows(vaultId: string) {
      return db.all(
        'select id, revision, deleted, wrapped_key, data from items where vault_id = ? order by revision',
        vaultId,
      );
    }
    async function personalVaultOf(email: string): Promise<string> {
      const rows = await db.all(
        "select v.id from vaults v join accounts a on a.id = v.owner_id where a.email = ? and v.kind = 'personal'",
        email,
      );
      return rows[0]!.id as string;
    }
    /** Serves `row` again under a new, higher revision — the relay announcing it as an edit. */
    async function replay(
      vaultId: string,
      id: string,
      row: Record<string, unknown>,
    ): Promise<void> {
      const [vault] = await db.all('select revision from vaults where id = ?', vaultId);
      const next = Number(vault!.revision) + 1;
      await db.run(
        'update items set wrapped_key = ?, data = ?, deleted = 0, revision = ? where vault_id = ? and id = ?',
        row.wrapped_key,
        row.data,
        next,
        vaultId,
        id,
      );
      await db.run('update vaults set revision = ? where id = ?', next, vaultId);
    }

    beforeAll(async () => {
      const target = await store.setup();
      teardown = target.teardown;
      api = await startMockApi();
      relay = await relayOn(target.db, { env: { KEYHOLE_ALLOW_PRIVATE: api.hostPort } });
      db = await openRelayDb(relay, target.db);
    });

    afterAll(async () => {
      await db?.close();
      await relay?.stop();
      await api?.close();
      await teardown?.();
      for (const home of homes) removeDir(home);
    });

    it('rollback replayed as new: the device that wrote V2 and a new device refuse V1', async () => {
      const email = `gamma-${stamp}@example.test`;
      const a = device();
      ok(await a(['signup', '--relay', relay.url, '--email', email]));
      ok(
        await a(
          ['secret', 'add', 'gamma', '--host', api.origin, '--place', 'header:X-Key'],
          'gamma-V1',
        ),
      );
      const vaultId = await personalVaultOf(email);
      const v1 = (await itemRows(vaultId)).at(-1)!;
      ok(await a(['secret', 'update', 'gamma'], 'gamma-V2'));
      ok(await use(a, 'gamma'));
      expect(lastKey()).toBe('gamma-V2');

      await replay(vaultId, v1.id as string, v1);
      const before = api.calls.length;
      const replayed = await use(a, 'gamma');
      expect(replayed.code).not.toBe(0);
      expect(replayed.stderr).toContain('VAULT_VERIFICATION_FAILED');
      expect(replayed.stderr).toContain('"personal"');

      const fresh = device();
      ok(await fresh(['login', '--relay', relay.url, '--email', email]));
      const onNew = await use(fresh, 'gamma');
      expect(onNew.code).not.toBe(0);
      expect(onNew.stderr).toContain('VAULT_VERIFICATION_FAILED');
      expect(api.calls.length).toBe(before); // nothing reached the API
      expect(`${replayed.stderr}${onNew.stderr}`).not.toContain('gamma-V1');
    });

    it('whole-vault rollback to an older genuine state: a device that saw newer refuses it', async () => {
      const email = `epsilon-${stamp}@example.test`;
      const a = device();
      ok(await a(['signup', '--relay', relay.url, '--email', email]));
      ok(
        await a(
          ['secret', 'add', 'epsilon', '--host', api.origin, '--place', 'header:X-Key'],
          'eps-V1',
        ),
      );
      const vaultId = await personalVaultOf(email);
      const [old] = await db.all('select manifest, manifest_seq from vaults where id = ?', vaultId);
      const v1 = (await itemRows(vaultId)).at(-1)!;
      ok(await a(['secret', 'update', 'epsilon'], 'eps-V2'));
      ok(await a(['secret', 'list']));

      // The relay restores the old manifest and the old row together: a consistent, genuine state.
      await replay(vaultId, v1.id as string, v1);
      await db.run(
        'update vaults set manifest = ?, manifest_seq = ? where id = ?',
        old!.manifest,
        old!.manifest_seq,
        vaultId,
      );
      const before = api.calls.length;
      const r = await use(a, 'epsilon');
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain('VAULT_VERIFICATION_FAILED');
      expect(r.stderr).toMatch(/older than state/);
      expect(api.calls.length).toBe(before);
    });

    it('withheld signed state: a new device refuses a personal vault served without its manifest', async () => {
      const email = `zeta-${stamp}@example.test`;
      const a = device();
      ok(await a(['signup', '--relay', relay.url, '--email', email]));
      ok(
        await a(
          ['secret', 'add', 'zeta', '--host', api.origin, '--place', 'header:X-Key'],
          'zeta-value',
        ),
      );
      const vaultId = await personalVaultOf(email);
      // The relay drops the signed state, so the vault looks like one from before signing.
      await db.run('update vaults set manifest = null, manifest_seq = 0 where id = ?', vaultId);
      const fresh = device();
      ok(await fresh(['login', '--relay', relay.url, '--email', email]));
      const before = api.calls.length;
      const r = await use(fresh, 'zeta');
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain('VAULT_VERIFICATION_FAILED');
      expect(api.calls.length).toBe(before);
    });

    it('resurrection: a deleted secret served live again is refused by both devices', async () => {
      const email = `delta-${stamp}@example.test`;
      const a = device();
      ok(await a(['signup', '--relay', relay.url, '--email', email]));
      ok(
        await a(
          ['secret', 'add', 'keep', '--host', api.origin, '--place', 'header:X-Key'],
          'keep-value',
        ),
      );
      ok(
        await a(
          ['secret', 'add', 'delta', '--host', api.origin, '--place', 'header:X-Key'],
          'delta-value',
        ),
      );
      const vaultId = await personalVaultOf(email);
      const live = (await itemRows(vaultId)).at(-1)!;
      ok(await a(['secret', 'rm', 'delta']));
      const tomb = (await itemRows(vaultId)).find((r) => r.id === live.id)!;
      expect(Number(tomb.deleted)).toBe(1);

      await replay(vaultId, live.id as string, live);
      const before = api.calls.length;
      const onA = await use(a, 'delta');
      expect(onA.code).not.toBe(0);
      expect(onA.stderr).toContain('VAULT_VERIFICATION_FAILED');
      const fresh = device();
      ok(await fresh(['login', '--relay', relay.url, '--email', email]));
      const listed = await fresh(['secret', 'list', '--json']);
      expect(listed.stderr).toContain('VAULT_VERIFICATION_FAILED');
      expect(listed.stdout).not.toContain('delta');
      const onNew = await use(fresh, 'delta');
      expect(onNew.code).not.toBe(0);
      expect(api.calls.length).toBe(before);
    });

    it('forged member: no key is sealed to a row the relay inserted, and it is reported', async () => {
      const owner = device();
      const mallory = device();
      const ownerEmail = `owner-${stamp}@example.test`;
      const malloryEmail = `mallory-${stamp}@example.test`;
      ok(await owner(['signup', '--relay', relay.url, '--email', ownerEmail]));
      ok(await mallory(['signup', '--relay', relay.url, '--email', malloryEmail]));
      ok(
        await mallory(
          ['secret', 'add', 'mine', '--host', api.origin, '--place', 'header:X-Key'],
          'mallory-own',
        ),
      );
      ok(await owner(['team', 'create', `ops-${stamp}`]));
      ok(
        await owner(
          [
            'secret',
            'add',
            'teamkey',
            '--host',
            api.origin,
            '--vault',
            `ops-${stamp}`,
            '--place',
            'header:X-Key',
          ],
          'team-value',
        ),
      );
      const [team] = await db.all(
        "select id from vaults where name = ? and kind = 'team'",
        `ops-${stamp}`,
      );
      const [ownerRow] = await db.all(
        'select account_id, wrapped_key, key_generation, added_at from vault_members where vault_id = ?',
        team!.id,
      );
      const [mal] = await db.all('select id from accounts where email = ?', malloryEmail);
      await db.run(
        'insert into vault_members (vault_id, account_id, role, wrapped_key, key_generation, added_at, removed_at) values (?, ?, ?, ?, ?, ?, null)',
        team!.id,
        mal!.id,
        'member',
        ownerRow!.wrapped_key,
        ownerRow!.key_generation,
        ownerRow!.added_at,
      );

      const rotate = await owner(['team', 'rotate', `ops-${stamp}`]);
      expect(rotate.code).not.toBe(0);
      expect(rotate.stderr).toContain('VAULT_VERIFICATION_FAILED');
      expect(rotate.stderr).toContain(malloryEmail);
      const [after] = await db.all(
        'select wrapped_key from vault_members where vault_id = ? and account_id = ?',
        team!.id,
        mal!.id,
      );
      expect(after!.wrapped_key).toBe(ownerRow!.wrapped_key); // nothing new sealed to her
      const [gen] = await db.all('select key_generation from vaults where id = ?', team!.id);
      expect(Number(gen!.key_generation)).toBe(0);

      const members = ok(await owner(['team', 'members', `ops-${stamp}`]));
      expect(members.stdout).not.toContain(malloryEmail);
      expect(members.stderr).toContain(malloryEmail);
      expect(members.stderr).toContain('VAULT_VERIFICATION_FAILED');

      // No lock-out: the forged member's own vault keeps working; the team is reported, skipped.
      const list = ok(await mallory(['secret', 'list', '--json']));
      expect(list.stderr).toContain('VAULT_VERIFICATION_FAILED');
      expect(list.stderr).toContain(`ops-${stamp}`);
      expect((JSON.parse(list.stdout) as { name: string }[]).map((s) => s.name)).toEqual(['mine']);
      const before = api.calls.length;
      ok(await use(mallory, 'mine'));
      expect(lastKey()).toBe('mallory-own');
      const stolen = await use(mallory, 'teamkey', `ops-${stamp}`);
      expect(stolen.code).not.toBe(0);
      expect(stolen.stderr).toContain('VAULT_VERIFICATION_FAILED');
      expect(api.calls.length).toBe(before + 1);
    });
  });
}
