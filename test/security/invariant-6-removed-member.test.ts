// Invariant 6, as a thief of the relay's database would test it: after Bob is removed, NOTHING in
// the stored rows (every member row of the team, every item row) opens with anything Bob held —
// his key pair, the old vault key, the old item keys — for what was written after removal. And the
// relay serves Bob nothing of the team: no polled/queued forward, no audit row, and it refuses a
// rotation that would hand the new key to him.
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pullAll, updateSecret } from '../../shared/client/index.js';
import { listMembers, readAudit, removeMember } from '../../shared/client/team.js';
import {
  decryptItemData,
  initCrypto,
  openSealedVaultKey,
  sealVaultKeyTo,
  unwrapItemKey,
} from '../../shared/crypto/index.js';
import { startMockApi, type MockApi } from '../support/mock-api.js';
import { spawnRelay, type RelayProcess } from '../support/relay-process.js';
import {
  addTeamSecret,
  errorCode,
  forwardWith,
  makeTeam,
  newDevice,
  raw,
  secret,
  type Device,
} from '../support/team-fixtures.js';
import { sleep } from './invariant-world.js';

describe('invariant 6: a removed member cannot open anything written after removal', () => {
  let relay: RelayProcess;
  let api: MockApi;
  let owner: Device;
  let bob: Device;
  let carol: Device;
  let vaultId: string;
  let host: string;
  const bobHeld = {
    vaultKeys: [] as Uint8Array[],
    itemKeys: new Map<string, Uint8Array>(),
  };
  let removalRevision = 0;
  let openaiId = '';

  beforeAll(async () => {
    await initCrypto();
    api = await startMockApi('127.0.0.2');
    relay = await spawnRelay({ env: { KEYHOLE_ALLOW_PRIVATE: api.hostPort } });
    host = `http://${api.hostPort}`;
    owner = await newDevice(relay.url, 'inv6-owner');
    bob = await newDevice(relay.url, 'inv6-bob');
    carol = await newDevice(relay.url, 'inv6-carol');
    vaultId = await makeTeam(owner, 'inv6-team', [
      [bob, 'admin'],
      [carol, 'member'],
    ]);
    openaiId = await addTeamSecret(owner, vaultId, secret('openai', 'inv6-before-1', host));
    await addTeamSecret(bob, vaultId, secret('stripe', 'inv6-before-2', host));
    // Bob keeps everything a member can keep: the vault key and every item key.
    await pullAll(bob.relay, bob.store);
    bobHeld.vaultKeys.push(bob.store.vaultKey(vaultId).slice());
    for (const e of bob.store.index(vaultId).byName.values())
      bobHeld.itemKeys.set(e.itemId, e.itemKey.slice());
    expect(bobHeld.itemKeys.size).toBe(2);

    const removed = await removeMember(owner.relay, owner.store, vaultId, bob.email);
    expect(removed.sealedTo.map((m) => m.email)).not.toContain(bob.email);
    removalRevision = (
      await raw(relay.url, 'GET', `/v1/vaults/${vaultId}/items?since=0`, owner.token)
    ).json.revision;

    // Written after removal: an update of an existing item, and a new item.
    await updateSecret(owner.relay, owner.store, vaultId, 'openai', { value: 'inv6-after-1' });
    await addTeamSecret(owner, vaultId, secret('twilio', 'inv6-after-2', host));
    await pullAll(carol.relay, carol.store);
    await updateSecret(carol.relay, carol.store, vaultId, 'stripe', { value: 'inv6-after-3' });
  });
  afterAll(async () => {
    await relay?.stop();
    await api?.close();
  });

  it('stolen database: no member row opens for Bob at the new generation, no post-removal item opens with his keys', () => {
    const db = new BetterSqlite3(relay.dbPath!, { readonly: true });
    try {
      const vault = db.prepare('select key_generation from vaults where id = ?').get(vaultId) as {
        key_generation: number;
      };
      expect(vault.key_generation).toBe(1);
      const members = db
        .prepare(
          'select account_id, wrapped_key, key_generation, removed_at from vault_members where vault_id = ?',
        )
        .all(vaultId) as {
        account_id: string;
        wrapped_key: string;
        key_generation: number;
        removed_at: number | null;
      }[];
      expect(members).toHaveLength(3);
      // Bob's key pair opens no stored sealed key at the current generation (nor at any other
      // than his old 0), whoever's row it sits in.
      for (const m of members) {
        for (let g = 1; g <= vault.key_generation + 1; g++) {
          expect(() =>
            openSealedVaultKey(bob.session.unlocked.keyPair, m.wrapped_key, vaultId, g),
          ).toThrow();
        }
      }
      const bobRow = members.find((m) => m.account_id === bob.session.accountId)!;
      expect(bobRow.removed_at).not.toBeNull();
      expect(bobRow.key_generation).toBe(0);

      const items = db
        .prepare(
          'select id, revision, deleted, wrapped_key, data, key_generation from items where vault_id = ?',
        )
        .all(vaultId) as {
        id: string;
        revision: number;
        deleted: number;
        wrapped_key: string;
        data: string;
        key_generation: number;
      }[];
      const after = items.filter((i) => i.revision > removalRevision && !i.deleted);
      expect(after.map((i) => i.id).sort()).toHaveLength(3); // openai (updated), twilio (new), stripe (updated by carol)
      for (const item of items.filter((i) => !i.deleted)) {
        expect(item.key_generation).toBe(1);
        for (const k of bobHeld.vaultKeys)
          expect(() => unwrapItemKey(k, vaultId, item.id, item.wrapped_key)).toThrow();
      }
      for (const item of after) {
        for (const k of bobHeld.itemKeys.values())
          expect(() => decryptItemData(k, vaultId, item.id, item.data)).toThrow();
      }
    } finally {
      db.close();
    }
  });

  it('sanity: the remaining members do open the post-removal items (so the checks above are not vacuous)', async () => {
    await pullAll(owner.relay, owner.store);
    const index = owner.store.index(vaultId);
    expect(index.unreadable).toEqual([]);
    expect(index.byName.get('openai')?.payload.value).toBe('inv6-after-1');
    expect(index.byName.get('stripe')?.payload.value).toBe('inv6-after-3');
    expect(index.byName.get('twilio')?.payload.value).toBe('inv6-after-2');
  });

  it('the relay serves Bob no forward of the team: direct, polled or queued, old or new item key', async () => {
    const before = api.requests.length;
    const oldKey = Buffer.from(bobHeld.itemKeys.get(openaiId)!).toString('base64url');
    for (const extra of [{}, { poll: 100 }, { queue: 'q', poll: 100 }]) {
      const res = await raw(relay.url, 'POST', '/v1/forward', bob.token, {
        request: { url: `${host}/reflect`, headers: { authorization: 'Bearer $CLIENT_SECRET' } },
        secrets: [{ name: 'openai', vaultId, itemId: openaiId, itemKey: oldKey }],
        origin: 'https://inv6-bob.test',
        ...extra,
      });
      expect(res.status).toBe(403);
      expect(errorCode(res)).toBe('FORBIDDEN');
    }
    await sleep(150);
    expect(api.requests.length).toBe(before);
    // …and his attempts leave no row in the team's audit log.
    const audit = await readAudit(owner.relay, owner.store, vaultId);
    expect(audit.rows.some((r) => r.origin === 'https://inv6-bob.test')).toBe(false);
    // Sanity: a remaining member's forward of the same item works.
    await pullAll(carol.relay, carol.store);
    const ok = await forwardWith(carol, vaultId, 'openai', `${host}/reflect`);
    expect(ok.status).toBe(200);
    expect(api.requests.at(-1)?.headers.authorization).toBe('Bearer inv6-after-1');
  });

  it('the relay serves Bob no ciphertext and no key of the team', async () => {
    const vaults = await raw(relay.url, 'GET', '/v1/vaults', bob.token);
    expect(vaults.json.vaults.map((v: { id: string }) => v.id)).not.toContain(vaultId);
    for (const path of [
      `/v1/vaults/${vaultId}/items?since=0`,
      `/v1/vaults/${vaultId}/items?since=${removalRevision}`,
      `/v1/teams/${vaultId}/members`,
      `/v1/teams/${vaultId}/audit`,
    ]) {
      const res = await raw(relay.url, 'GET', path, bob.token);
      expect([403, 404], path).toContain(res.status);
      expect(res.text).not.toContain('"wrappedKey"');
    }
  });

  it('the relay refuses a rotation that would seal the new key to the removed member', async () => {
    const { members, keyGeneration } = await listMembers(owner.relay, owner.store, vaultId);
    expect(members.map((m) => m.email)).not.toContain(bob.email);
    const items = (
      await raw(relay.url, 'GET', `/v1/vaults/${vaultId}/items?since=0`, owner.token)
    ).json.items.filter((i: { deleted: boolean }) => !i.deleted);
    const newKey = new Uint8Array(32).fill(7);
    const sealFor = (pk: Uint8Array) => sealVaultKeyTo(pk, newKey, vaultId, keyGeneration + 1);
    const memberKeys = [
      ...members.map((m) => ({
        accountId: m.accountId,
        wrappedKey: sealFor(Buffer.from(m.publicKey, 'base64url')),
      })),
      {
        accountId: bob.session.accountId,
        wrappedKey: sealFor(bob.session.unlocked.keyPair.publicKey),
      },
    ];
    const res = await raw(relay.url, 'POST', `/v1/teams/${vaultId}/rotate`, owner.token, {
      keyGeneration: keyGeneration + 1,
      memberKeys,
      items: items.map((i: { id: string; revision: number; wrappedKey: string }) => ({
        id: i.id,
        baseRevision: i.revision,
        wrappedKey: i.wrappedKey,
      })),
    });
    expect(res.status).toBe(409);
    expect(res.json.error.details.reason).toBe('members');
    expect((await listMembers(owner.relay, owner.store, vaultId)).keyGeneration).toBe(
      keyGeneration,
    );
  });
});
