// Member removal = key rotation, against a real relay process on SQLite and PostgreSQL: the
// removed member loses pull/push/forward, nothing written after removal opens with their old keys
// (invariant 6), the owner keeps working, and rotations racing writes lose nothing and leave no
// item under the old key generation.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pullAll, updateSecret } from '../../shared/client/index.js';
import { listMembers, removeMember, rotateTeam } from '../../shared/client/team.js';
import {
  decryptItemData,
  initCrypto,
  openSealedVaultKey,
  unwrapItemKey,
} from '../../shared/crypto/index.js';
import type { ItemRecord } from '../../shared/protocol/vault.js';
import { startMockApi, type MockApi } from '../support/mock-api.js';
import type { RelayProcess } from '../support/relay-process.js';
import { STORES, relayOn } from '../support/relay-fixtures.js';
import {
  addTeamSecret,
  deviceOf,
  errorCode,
  forwardWith,
  makeTeam,
  newDevice,
  raw,
  rawRemove,
  secret,
  type Device,
} from '../support/team-fixtures.js';

/** Every live item of the vault as the relay has it now (ciphertext: what a DB thief would see). */
async function allItems(device: Device, vaultId: string): Promise<ItemRecord[]> {
  const res = await raw(
    device.session.relayUrl,
    'GET',
    `/v1/vaults/${vaultId}/items?since=0&limit=1000`,
    device.token,
  );
  expect(res.status).toBe(200);
  return (res.json.items as ItemRecord[]).filter((i) => !i.deleted);
}

/** A fresh device of `device`'s account decrypts every live item with the current team key. */
async function decryptAllFresh(
  device: Device,
  vaultId: string,
): Promise<Map<string, string | undefined>> {
  const fresh = deviceOf(device.session);
  await pullAll(fresh.relay, fresh.store);
  const index = fresh.store.index(vaultId);
  expect(index.unreadable).toEqual([]);
  return new Map([...index.byName].map(([name, entry]) => [name, entry.payload.value]));
}

async function currentGeneration(device: Device, vaultId: string): Promise<number> {
  const { keyGeneration } = await listMembers(device.relay, device.store, vaultId);
  return keyGeneration;
}

describe.each(STORES)('team key rotation on $name', (target) => {
  let relay: RelayProcess;
  let api: MockApi;
  let teardown: () => Promise<void>;

  beforeAll(async () => {
    await initCrypto();
    api = await startMockApi('127.0.0.2');
    const setup = await target.setup();
    teardown = setup.teardown;
    relay = await relayOn(setup.db, { env: { KEYHOLE_ALLOW_PRIVATE: api.hostPort } });
  });
  afterAll(async () => {
    await relay?.stop();
    await teardown?.();
    await api?.close();
  });

  it('removal cuts the member off, protects later writes, and the owner keeps working', async () => {
    const owner = await newDevice(relay.url, 'owner');
    const bob = await newDevice(relay.url, 'bob');
    const carol = await newDevice(relay.url, 'carol');
    const vaultId = await makeTeam(owner, 'payments', [
      [bob, 'member'],
      [carol, 'user'],
    ]);
    const host = `http://${api.hostPort}`;
    const openaiId = await addTeamSecret(
      owner,
      vaultId,
      secret('openai', 'sk-openai-before', host),
    );
    await addTeamSecret(bob, vaultId, secret('stripe', 'sk-stripe-before', host));

    // Bob uses a team secret through the relay, and keeps what a member could keep.
    await pullAll(bob.relay, bob.store);
    const used = await forwardWith(bob, vaultId, 'openai', `${host}/reflect`);
    expect(used.status).toBe(200);
    expect(api.requests.at(-1)?.headers.authorization).toBe('Bearer sk-openai-before');
    const bobOldVaultKey = bob.store.vaultKey(vaultId);
    const bobOldItemKey = bob.store.getSecret(vaultId, 'openai').itemKey;
    const bobOldSummary = bob.store.cachedVault(vaultId).summary;

    const result = await removeMember(owner.relay, owner.store, 'payments', bob.email);
    expect(result.removed?.email).toBe(bob.email);
    expect(result.fromGeneration).toBe(0);
    expect(result.toGeneration).toBe(1);
    expect(result.exposedSecrets).toEqual(['openai', 'stripe']);
    expect(result.sealedTo.map((m) => m.email).sort()).toEqual([carol.email, owner.email].sort());

    // The relay refuses Bob from now on: list, pull, push, forward, members, audit.
    const vaults = await raw(relay.url, 'GET', '/v1/vaults', bob.token);
    expect(vaults.json.vaults.map((v: { id: string }) => v.id)).not.toContain(vaultId);
    const pull = await raw(relay.url, 'GET', `/v1/vaults/${vaultId}/items`, bob.token);
    expect([403, 404]).toContain(pull.status);
    const push = await raw(relay.url, 'POST', `/v1/vaults/${vaultId}/items`, bob.token, {
      writes: [
        {
          id: openaiId,
          baseRevision: 99,
          deleted: true,
          wrappedKey: '',
          data: '',
          keyGeneration: 1,
        },
      ],
    });
    expect([403, 404]).toContain(push.status);
    const secretsBefore = api.requests.length;
    const forward = await raw(relay.url, 'POST', '/v1/forward', bob.token, {
      request: {
        url: `${host}/reflect`,
        method: 'GET',
        headers: { authorization: 'Bearer $CLIENT_SECRET' },
      },
      secrets: [
        {
          name: 'openai',
          vaultId,
          itemId: openaiId,
          itemKey: Buffer.from(bobOldItemKey).toString('base64url'),
        },
      ],
    });
    expect(errorCode(forward)).toBe('FORBIDDEN');
    expect(api.requests.length).toBe(secretsBefore);
    for (const path of [`/v1/teams/${vaultId}/members`, `/v1/teams/${vaultId}/audit`]) {
      expect(errorCode(await raw(relay.url, 'GET', path, bob.token))).toBe('NOT_FOUND');
    }

    // Invariant 6: what is written after removal does not open with anything Bob held.
    await updateSecret(owner.relay, owner.store, vaultId, 'openai', { value: 'sk-openai-after' });
    const newId = await addTeamSecret(owner, vaultId, secret('twilio', 'sk-twilio-after', host));
    const items = await allItems(owner, vaultId);
    expect(items.every((i) => i.keyGeneration === 1)).toBe(true);
    const updated = items.find((i) => i.id === openaiId) as ItemRecord;
    const added = items.find((i) => i.id === newId) as ItemRecord;
    expect(() => unwrapItemKey(bobOldVaultKey, vaultId, openaiId, updated.wrappedKey)).toThrow();
    expect(() => unwrapItemKey(bobOldVaultKey, vaultId, newId, added.wrappedKey)).toThrow();
    expect(() => decryptItemData(bobOldItemKey, vaultId, openaiId, updated.data)).toThrow();
    // …and the current sealed key is not openable as generation 0 (Bob's old wrapped key is stale).
    const ownerSummary = (await raw(relay.url, 'GET', '/v1/vaults', owner.token)).json.vaults.find(
      (v: { id: string }) => v.id === vaultId,
    );
    expect(ownerSummary.keyGeneration).toBe(1);
    expect(() =>
      openSealedVaultKey(bob.session.unlocked.keyPair, bobOldSummary.wrappedKey, vaultId, 1),
    ).toThrow();

    // The owner and the remaining user open everything with the new key, and forwarding works.
    expect(await decryptAllFresh(owner, vaultId)).toEqual(
      new Map([
        ['openai', 'sk-openai-after'],
        ['stripe', 'sk-stripe-before'],
        ['twilio', 'sk-twilio-after'],
      ]),
    );
    await pullAll(carol.relay, carol.store);
    expect(carol.store.index(vaultId).unreadable).toEqual([]);
    const again = await forwardWith(owner, vaultId, 'openai', `${host}/reflect`);
    expect(again.status).toBe(200);
    expect(api.requests.at(-1)?.headers.authorization).toBe('Bearer sk-openai-after');
    const byUser = await forwardWith(carol, vaultId, 'stripe', `${host}/reflect`);
    expect(byUser.status).toBe(200);
  });

  it('a write that lands between plan and send makes the rotation retry; nothing is lost', async () => {
    const owner = await newDevice(relay.url, 'owner');
    const bob = await newDevice(relay.url, 'bob');
    const dave = await newDevice(relay.url, 'dave');
    const vaultId = await makeTeam(owner, 'race-a', [
      [bob, 'member'],
      [dave, 'member'],
    ]);
    await addTeamSecret(owner, vaultId, secret('one', 'v1'));
    let wrote = false;
    const result = await removeMember(owner.relay, owner.store, vaultId, dave.email, {
      beforeSend: async () => {
        if (wrote) return;
        wrote = true;
        await addTeamSecret(bob, vaultId, secret('two', 'v2')); // commits before our rotation
      },
    });
    expect(result.attempts).toBe(2);
    expect(result.exposedSecrets).toEqual(['one', 'two']);
    const items = await allItems(owner, vaultId);
    expect(items.map((i) => i.keyGeneration)).toEqual([1, 1]);
    expect(await decryptAllFresh(owner, vaultId)).toEqual(
      new Map([
        ['one', 'v1'],
        ['two', 'v2'],
      ]),
    );
  });

  it('a write based on the old key generation is refused, re-encrypted under the new key and kept', async () => {
    const owner = await newDevice(relay.url, 'owner');
    const bob = await newDevice(relay.url, 'bob');
    const dave = await newDevice(relay.url, 'dave');
    const vaultId = await makeTeam(owner, 'race-b', [
      [bob, 'member'],
      [dave, 'user'],
    ]);
    await addTeamSecret(owner, vaultId, secret('one', 'v1'));
    await pullAll(bob.relay, bob.store); // Bob's view: generation 0

    await removeMember(owner.relay, owner.store, vaultId, dave.email);
    // Bob has not synced: his write is encrypted for generation 0 and based on a stale revision.
    const staleWrite = await raw(relay.url, 'POST', `/v1/vaults/${vaultId}/items`, bob.token, {
      writes: [bob.store.encryptWrite(vaultId, bob.store.newItemId(), secret('x', 'y'), 0)],
    });
    expect(errorCode(staleWrite)).toBe('CONFLICT');
    const report = await updateSecret(bob.relay, bob.store, vaultId, 'one', { value: 'v1-by-bob' });
    expect(report.conflicts).toEqual([]);
    const items = await allItems(owner, vaultId);
    expect(items.map((i) => i.keyGeneration)).toEqual([1]);
    expect(await decryptAllFresh(owner, vaultId)).toEqual(new Map([['one', 'v1-by-bob']]));
  });

  it('rotations racing concurrent writes: every write kept, every item under the current key', async () => {
    const owner = await newDevice(relay.url, 'owner');
    const bob = await newDevice(relay.url, 'bob');
    const vaultId = await makeTeam(owner, 'race-c', [[bob, 'member']]);
    await addTeamSecret(owner, vaultId, secret('seed', 's'));
    const expected = new Map([['seed', 's']]);
    for (let round = 0; round < 4; round++) {
      const writes = (async () => {
        for (let i = 0; i < 3; i++) {
          const name = `r${round}-w${i}`;
          await addTeamSecret(bob, vaultId, secret(name, `value-${round}-${i}`));
          expected.set(name, `value-${round}-${i}`);
        }
      })();
      const rotation = rotateTeam(owner.relay, owner.store, vaultId);
      await Promise.all([writes, rotation]);
    }
    const generation = await currentGeneration(owner, vaultId);
    expect(generation).toBe(4);
    const items = await allItems(owner, vaultId);
    expect(items.length).toBe(expected.size);
    expect(items.every((i) => i.keyGeneration === generation)).toBe(true);
    expect(await decryptAllFresh(owner, vaultId)).toEqual(expected);
    expect(await decryptAllFresh(bob, vaultId)).toEqual(expected);
  });

  it('refuses an incomplete or stale rotation and applies nothing of it', async () => {
    const owner = await newDevice(relay.url, 'owner');
    const bob = await newDevice(relay.url, 'bob');
    const vaultId = await makeTeam(owner, 'strict', [[bob, 'member']]);
    const itemId = await addTeamSecret(owner, vaultId, secret('one', 'v1'));
    const [item] = await allItems(owner, vaultId);
    const { members } = await listMembers(owner.relay, owner.store, vaultId);
    const wrapped = 'AQE' + 'A'.repeat(80);
    const memberKeys = members.map((m) => ({ accountId: m.accountId, wrappedKey: wrapped }));
    const items = [{ id: itemId, baseRevision: item?.revision ?? 0, wrappedKey: wrapped }];
    const rotate = (body: unknown) =>
      raw(relay.url, 'POST', `/v1/teams/${vaultId}/rotate`, owner.token, body);

    const cases: [string, unknown][] = [
      ['members', { keyGeneration: 1, memberKeys: memberKeys.slice(0, 1), items }],
      ['members', { keyGeneration: 1, memberKeys: [...memberKeys, memberKeys[0]], items }],
      ['items', { keyGeneration: 1, memberKeys, items: [] }],
      ['items', { keyGeneration: 1, memberKeys, items: [{ ...items[0], baseRevision: 0 }] }],
      ['key-generation', { keyGeneration: 2, memberKeys, items }],
    ];
    for (const [reason, body] of cases) {
      const res = await rotate(body);
      expect(res.status, reason).toBe(409);
      expect(res.json.error.details.reason).toBe(reason);
    }
    // Nothing moved: generation 0, the item untouched, Bob still opens it.
    expect(await currentGeneration(owner, vaultId)).toBe(0);
    expect((await allItems(owner, vaultId))[0]).toEqual(item);
    expect(await decryptAllFresh(bob, vaultId)).toEqual(new Map([['one', 'v1']]));
    // Removal of a non-member, and removal by someone who may not.
    const outsider = await newDevice(relay.url, 'outsider');
    const body = { keyGeneration: 1, memberKeys, items };
    const notMember = await rawRemove(owner, vaultId, outsider.session.accountId, body);
    expect(errorCode(notMember)).toBe('NOT_FOUND');
    const byMember = await rawRemove(bob, vaultId, owner.session.accountId, body);
    expect(errorCode(byMember)).toBe('FORBIDDEN');
    expect(await currentGeneration(owner, vaultId)).toBe(0);
  });
});
