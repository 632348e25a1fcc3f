// Who may touch a team, against a real relay process: non-members get NOT_FOUND/FORBIDDEN for
// every route, roles limit invitations and writes, the key lookup is authenticated and bounded,
// and the audit log shows owners/admins everything and everyone else their own rows.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pullAll } from '../../shared/client/index.js';
import { inviteMember, lookupPublicKey, readAudit } from '../../shared/client/team.js';
import { initCrypto } from '../../shared/crypto/index.js';
import { startMockApi, type MockApi } from '../support/mock-api.js';
import { spawnRelay, type RelayProcess } from '../support/relay-process.js';
import { call } from '../support/http.js';
import {
  addTeamSecret,
  errorCode,
  forwardWith,
  makeTeam,
  newDevice,
  raw,
  rawRemove,
  secret,
  type Device,
} from '../support/team-fixtures.js';

let relay: RelayProcess;
let api: MockApi;
let owner: Device;
let admin: Device;
let member: Device;
let user: Device;
let outsider: Device;
let vaultId: string;
let itemId: string;
let host: string;

beforeAll(async () => {
  await initCrypto();
  api = await startMockApi('127.0.0.2');
  relay = await spawnRelay({ env: { KEYHOLE_ALLOW_PRIVATE: api.hostPort } });
  host = `http://${api.hostPort}`;
  [owner, admin, member, user, outsider] = (await Promise.all(
    ['owner', 'admin', 'member', 'user', 'outsider'].map((label) => newDevice(relay.url, label)),
  )) as [Device, Device, Device, Device, Device];
  vaultId = await makeTeam(owner, 'core', [
    [admin, 'admin'],
    [member, 'member'],
    [user, 'user'],
  ]);
  itemId = await addTeamSecret(owner, vaultId, secret('openai', 'sk-team-openai', host));
  for (const d of [admin, member, user]) await pullAll(d.relay, d.store);
});

afterAll(async () => {
  await relay?.stop();
  await api?.close();
});

describe('team access', () => {
  it('a non-member can do nothing with a team it is not in', async () => {
    const t = outsider.token;
    const body = { keyGeneration: 1, memberKeys: [], items: [] };
    const attempts: [string, string, unknown?][] = [
      ['GET', `/v1/vaults/${vaultId}/items`],
      [
        'POST',
        `/v1/vaults/${vaultId}/items`,
        {
          writes: [
            {
              id: itemId,
              baseRevision: 1,
              deleted: true,
              wrappedKey: '',
              data: '',
              keyGeneration: 0,
            },
          ],
        },
      ],
      ['GET', `/v1/teams/${vaultId}/members`],
      ['GET', `/v1/teams/${vaultId}/audit`],
      [
        'POST',
        `/v1/teams/${vaultId}/members`,
        {
          accountId: outsider.session.accountId,
          role: 'owner',
          wrappedKey: 'AQE',
          keyGeneration: 0,
        },
      ],
      [
        'DELETE',
        `/v1/teams/${vaultId}/members/${member.session.accountId}`,
        { ...body, memberKeys: [{ accountId: owner.session.accountId, wrappedKey: 'AQE' }] },
      ],
      [
        'POST',
        `/v1/teams/${vaultId}/rotate`,
        { ...body, memberKeys: [{ accountId: owner.session.accountId, wrappedKey: 'AQE' }] },
      ],
    ];
    for (const [method, path, b] of attempts) {
      const res = await raw(relay.url, method, path, t, b);
      expect(['NOT_FOUND', 'FORBIDDEN'], `${method} ${path}`).toContain(errorCode(res));
    }
    const before = api.requests.length;
    const fwd = await raw(relay.url, 'POST', '/v1/forward', t, {
      request: {
        url: `${host}/reflect`,
        method: 'GET',
        headers: { authorization: 'Bearer $CLIENT_SECRET' },
      },
      secrets: [{ name: 'openai', vaultId, itemId, itemKey: 'A'.repeat(43) }],
    });
    expect(errorCode(fwd)).toBe('FORBIDDEN');
    expect(api.requests.length).toBe(before);
    // Still only the four members; the team is not in the outsider's list.
    const members = await raw(relay.url, 'GET', `/v1/teams/${vaultId}/members`, owner.token);
    expect(members.json.members).toHaveLength(4);
    const vaults = await raw(relay.url, 'GET', '/v1/vaults', t);
    expect(vaults.json.vaults.map((v: { id: string }) => v.id)).not.toContain(vaultId);
  });

  it('team routes never treat a personal vault as a team', async () => {
    const personal = owner.store.resolveVault().id;
    const invite = await raw(relay.url, 'POST', `/v1/teams/${personal}/members`, owner.token, {
      accountId: outsider.session.accountId,
      role: 'member',
      wrappedKey: 'AQE',
      keyGeneration: 0,
    });
    expect(errorCode(invite)).toBe('NOT_FOUND');
    expect(
      errorCode(await raw(relay.url, 'GET', `/v1/teams/${personal}/members`, owner.token)),
    ).toBe('NOT_FOUND');
  });

  it('roles: only owners/admins invite, only owners grant admin/owner, users cannot write', async () => {
    const newcomer = await newDevice(relay.url, 'newcomer');
    await expect(
      inviteMember(member.relay, member.store, vaultId, newcomer.email),
    ).rejects.toMatchObject({ code: 'FORBIDDEN' });
    // The relay says so too, whatever the client believes.
    const key = await lookupPublicKey(member.relay, newcomer.email);
    const direct = await raw(relay.url, 'POST', `/v1/teams/${vaultId}/members`, member.token, {
      accountId: key.accountId,
      role: 'member',
      wrappedKey: 'AQE',
      keyGeneration: 0,
    });
    expect(errorCode(direct)).toBe('FORBIDDEN');
    await expect(
      inviteMember(admin.relay, admin.store, vaultId, newcomer.email, { role: 'admin' }),
    ).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
    const invited = await inviteMember(admin.relay, admin.store, vaultId, newcomer.email, {
      role: 'user',
    });
    expect(invited.member.role).toBe('user');
    await expect(
      inviteMember(owner.relay, owner.store, vaultId, newcomer.email),
    ).rejects.toMatchObject({ code: 'CONFLICT' });

    // user: forward yes, push no.
    const res = await forwardWith(user, vaultId, 'openai', `${host}/reflect`);
    expect(res.status).toBe(200);
    await expect(addTeamSecret(user, vaultId, secret('mine', 'x', host))).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
    const push = await raw(relay.url, 'POST', `/v1/vaults/${vaultId}/items`, user.token, {
      writes: [
        user.store.encryptWrite(vaultId, user.store.newItemId(), secret('mine', 'x', host), 0),
      ],
    });
    expect(errorCode(push)).toBe('FORBIDDEN');
    // admin cannot remove the owner; the last owner cannot remove itself.
    const body = {
      keyGeneration: 1,
      memberKeys: [{ accountId: admin.session.accountId, wrappedKey: 'AQE' }],
      items: [],
    };
    const byAdmin = await rawRemove(admin, vaultId, owner.session.accountId, body);
    expect(errorCode(byAdmin)).toBe('FORBIDDEN');
    const lastOwner = await rawRemove(owner, vaultId, owner.session.accountId, body);
    expect(errorCode(lastOwner)).toBe('FORBIDDEN');
  });

  it('GET /v1/keys/:email needs a session, answers NOT_FOUND for unknown emails, and is bounded', async () => {
    const anonymous = await call(relay.url, 'GET', `/v1/keys/${encodeURIComponent(member.email)}`);
    expect(anonymous.status).toBe(401);
    expect(
      errorCode(await raw(relay.url, 'GET', '/v1/keys/nobody%40example.test', outsider.token)),
    ).toBe('NOT_FOUND');
    const found = await lookupPublicKey(outsider.relay, member.email.toUpperCase());
    expect(found).toMatchObject({
      accountId: member.session.accountId,
      email: member.email,
      publicKey: member.session.keys.publicKey,
    });
    const prober = await newDevice(relay.url, 'prober');
    const codes: (string | undefined)[] = [];
    for (let i = 0; i < 61; i++)
      codes.push(
        errorCode(await raw(relay.url, 'GET', `/v1/keys/probe${i}%40example.test`, prober.token)),
      );
    expect(codes.slice(0, 60).every((c) => c === 'NOT_FOUND')).toBe(true);
    expect(codes[60]).toBe('RATE_LIMITED');
  });

  it('audit: owners and admins see every row, members and users their own', async () => {
    for (const d of [owner, member, user]) {
      const res = await forwardWith(d, vaultId, 'openai', `${host}/reflect`);
      expect(res.status).toBe(200);
      await res.text();
    }
    let all: Awaited<ReturnType<typeof readAudit>> | undefined;
    for (let i = 0; i < 50; i++) {
      // the forwarder writes audit rows in small batches off the hot path
      all = await readAudit(owner.relay, owner.store, vaultId);
      if (all.rows.filter((r) => r.accountEmail !== null).length >= 4) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(all?.scope).toBe('all');
    const emails = new Set(all?.rows.map((r) => r.accountEmail));
    for (const d of [owner, member, user]) expect(emails).toContain(d.email);
    expect(all?.rows[0]).toMatchObject({
      secretName: 'openai',
      origin: 'https://app.example.test',
      host: api.hostPort,
      method: 'GET',
      status: 200,
    });
    expect((await readAudit(admin.relay, admin.store, vaultId)).scope).toBe('all');
    for (const d of [member, user]) {
      const own = await readAudit(d.relay, d.store, vaultId);
      expect(own.scope).toBe('own');
      expect(own.rows.length).toBeGreaterThan(0);
      expect(own.rows.every((r) => r.accountEmail === d.email)).toBe(true);
    }
    expect(JSON.stringify(all)).not.toContain('sk-team-openai');
  });
});
