// The background's grant requests (extension/background/grant-handlers.ts), against a recording
// relay: the grant key is made and the item key wrapped here, so the relay receives no token,
// grant key, item key or secret; what the popup typed is checked again before the relay is asked
// anything (the refusal names the field); a team `user` is refused before sealing; the list
// shows one secret's grants, reads "expired" past the end, and says who may revoke.
import { fakeBrowser } from 'wxt/testing';
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { RelayClient } from '../../shared/client/relay-client.js';
import type { VaultStore } from '../../shared/client/vault-store.js';
import {
  openGrantInfo,
  openGrantPolicy,
  parseGrantToken,
  toBase64url,
  unwrapGrantItemKey,
} from '../../shared/crypto/index.js';
import { memoryStore } from '../support/memory-vault.js';

vi.mock('wxt/browser', () => ({ browser: fakeBrowser }));

const { handleGrantUi } = await import('../../extension/background/grant-handlers.js');
const { handleUi } = await import('../../extension/background/ui-handlers.js');
type Vault = Parameters<typeof handleGrantUi>[0];

const SECRET = 'sk-unit-grant-' + 'Qm49ZtLw';
const ME = 'me' + 'a'.repeat(20);
const NOW = 1_800_000_000_000;

interface Sent {
  method: string;
  path: string;
  body: string;
}

let store: VaultStore;
let vaultId: string;
let itemId: string;
let otherItemId: string;
let sent: Sent[];
let grants: Record<string, unknown>[];
let answer: ((s: Sent) => Response | undefined) | undefined;

function relay(): RelayClient {
  return new RelayClient({
    baseUrl: 'http://relay.test',
    token: 'session',
    fetch: async (input, init) => {
      const url = new URL(String(input));
      const s: Sent = {
        method: init?.method ?? 'GET',
        path: url.pathname,
        body: typeof init?.body === 'string' ? init.body : '',
      };
      sent.push(s);
      const custom = answer?.(s);
      if (custom) return custom;
      if (s.method === 'POST' && s.path === '/v1/grants') {
        const b = JSON.parse(s.body) as Record<string, unknown>;
        grants.push({
          id: b.id,
          vaultId: b.vaultId,
          itemId: b.itemId,
          accountId: ME,
          info: b.info,
          state: 'live',
          createdAt: NOW,
          revokedAt: null,
          uses: 0,
        });
        return Response.json({ id: b.id }, { status: 201 });
      }
      if (s.method === 'GET' && s.path === '/v1/grants') return Response.json({ grants });
      if (s.method === 'DELETE') return Response.json({ revoked: true });
      return Response.json({ error: { code: 'NOT_FOUND', message: 'No.' } }, { status: 404 });
    },
  });
}

function vault(): Vault {
  const live = { record: { accountId: ME }, store, relay: relay() };
  return {
    current: async () => live,
    relayFor: async () => live.relay,
    syncNow: async () => ({ state: 'ok', conflicts: [] }),
  } as unknown as Vault;
}

const input = (extra: Record<string, unknown> = {}) => ({
  origins: ['https://shop.example'],
  methods: ['POST'],
  paths: ['/v1/chat'],
  rate: '10',
  quota: '1000',
  ...extra,
});

beforeAll(async () => {
  store = await memoryStore([
    {
      name: 'openai',
      type: 'bearer',
      value: SECRET,
      allowedHosts: ['api.openai.com'],
      allowedOrigins: [],
      description: '',
    },
    {
      name: 'other',
      type: 'bearer',
      value: 'x',
      allowedHosts: ['api.example.com'],
      allowedOrigins: [],
      description: '',
    },
  ] as never);
  vaultId = store.vaults()[0]!.id;
  itemId = store.getSecret(vaultId, 'openai').itemId;
  otherItemId = store.getSecret(vaultId, 'other').itemId;
});

beforeEach(() => {
  fakeBrowser.reset();
  sent = [];
  grants = [];
  answer = undefined;
});

describe('grant-create', () => {
  it('seals on this device: the relay gets a lookup hash and ciphertexts, never the token, grant key, item key or secret', async () => {
    const res = (await handleGrantUi(
      vault(),
      { ui: 'grant-create', vaultId, itemId, input: input({ expires: '7d' }) },
      () => NOW,
    )) as { token: string; grant: { id: string; state: string; expiresAt: number } };
    expect(res.token).toMatch(/^khg_/);
    expect(res.grant).toMatchObject({ state: 'live', expiresAt: NOW + 7 * 86_400_000 });

    const post = sent.find((s) => s.method === 'POST');
    expect(post?.path).toBe('/v1/grants');
    const t = parseGrantToken(res.token);
    const itemKey = store.getSecret(vaultId, 'openai').itemKey;
    for (const leak of [res.token, res.token.slice(4), toBase64url(t.grantKey), SECRET]) {
      expect(post!.body).not.toContain(leak);
    }
    expect(post!.body).not.toContain(toBase64url(itemKey));
    const body = JSON.parse(post!.body) as Record<string, string>;
    expect(body.lookup).toBe(t.lookup);
    // The item key was wrapped here under the grant key the token carries.
    expect(unwrapGrantItemKey(t.grantKey, t.grantId, itemId, body.wrappedItemKey!)).toEqual(
      itemKey,
    );
    const policy = openGrantPolicy(t.grantKey, t.grantId, body.policy!);
    expect(policy).toMatchObject({
      itemId,
      secretName: 'openai',
      origins: ['https://shop.example'],
      methods: ['POST'],
      paths: ['/v1/chat'],
      ratePerMinute: 10,
      quotaPerDay: 1000,
      locked: null,
    });
    expect(openGrantInfo(store.vaultKey(vaultId), vaultId, t.grantId, body.info!)).toEqual(policy);
  });

  it('refuses bad input before the relay is asked anything, naming the field for the popup', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ origins: ['shop.example'] }, 'field:origins'],
      [{ rate: '0' }, 'field:rate'],
      [{ expiresAt: Date.now() - 1000 }, 'field:expires'],
      [{ locked: true, jwks: 'https://l.example/jwks' }, 'field:issuer'],
      [{ origins: 'https://shop.example' }, 'field:origins'],
    ];
    for (const [extra, reason] of cases) {
      const res = await handleUi(
        { vault: vault(), pendingApprovals: () => 0, onSettingsChanged: async () => undefined },
        { ui: 'grant-create', vaultId, itemId, input: input(extra) },
      );
      expect(res, JSON.stringify(extra)).toMatchObject({
        ok: false,
        error: { code: 'INVALID_REQUEST', reason },
      });
    }
    expect(sent).toEqual([]);
  });

  it('a team `user` is refused before anything is sealed or sent', async () => {
    const real = store.vaults();
    const spy = vi
      .spyOn(store, 'vaults')
      .mockReturnValue(real.map((v) => ({ ...v, role: 'user' as const })));
    try {
      await expect(
        handleGrantUi(vault(), { ui: 'grant-create', vaultId, itemId, input: input() }),
      ).rejects.toMatchObject({ code: 'FORBIDDEN' });
    } finally {
      spy.mockRestore();
    }
    expect(sent).toEqual([]);
  });

  it('the relay’s refusal reaches the popup with its code and message', async () => {
    answer = (s) =>
      s.method === 'POST'
        ? Response.json(
            {
              error: {
                code: 'FORBIDDEN',
                message: 'This account may not make grants for that vault.',
              },
            },
            { status: 403 },
          )
        : undefined;
    const res = await handleUi(
      { vault: vault(), pendingApprovals: () => 0, onSettingsChanged: async () => undefined },
      { ui: 'grant-create', vaultId, itemId, input: input() },
    );
    expect(res).toMatchObject({
      ok: false,
      error: { code: 'FORBIDDEN', message: 'This account may not make grants for that vault.' },
    });
  });
});

describe('grant-list and grant-revoke', () => {
  it('lists one secret’s grants with their limits (never a token), expired past the end, and who may revoke', async () => {
    const v = vault();
    const a = (await handleGrantUi(
      v,
      { ui: 'grant-create', vaultId, itemId, input: input({ expires: '1h' }) },
      () => NOW,
    )) as { token: string; grant: { id: string } };
    const b = (await handleGrantUi(
      v,
      { ui: 'grant-create', vaultId, itemId: otherItemId, input: input() },
      () => NOW,
    )) as { grant: { id: string } };
    // Someone else's grant on the same secret (another member; this account is the owner).
    const c = (await handleGrantUi(
      v,
      { ui: 'grant-create', vaultId, itemId, input: input({ methods: [] }) },
      () => NOW + 1,
    )) as { grant: { id: string } };
    const row = grants.find((g) => g.id === c.grant.id)!;
    row.accountId = 'someone' + 'b'.repeat(15);
    row.createdAt = NOW + 1;
    grants.find((g) => g.id === a.grant.id)!.uses = 3;

    const list = (await handleGrantUi(
      v,
      { ui: 'grant-list', vaultId, itemId },
      () => NOW + 2 * 3_600_000,
    )) as { id: string; state: string; uses: number; methods: string[]; mayRevoke: boolean }[];
    expect(list.map((g) => g.id).sort()).toEqual([a.grant.id, c.grant.id].sort());
    expect(list.map((g) => g.id)).not.toContain(b.grant.id);
    const ga = list.find((g) => g.id === a.grant.id)!;
    expect(ga).toMatchObject({ state: 'expired', uses: 3, methods: ['POST'], mayRevoke: true });
    expect(list.find((g) => g.id === c.grant.id)).toMatchObject({ state: 'live', mayRevoke: true });
    expect(JSON.stringify(list)).not.toContain(a.token.slice(4));

    // The secret list's tags: live grants per secret (the expired one is not counted).
    expect(await handleGrantUi(v, { ui: 'grant-counts' }, () => NOW + 2 * 3_600_000)).toEqual({
      [`${vaultId}/${itemId}`]: 1,
      [`${vaultId}/${otherItemId}`]: 1,
    });

    // A plain member may revoke only what they made.
    const real = store.vaults();
    const spy = vi
      .spyOn(store, 'vaults')
      .mockReturnValue(real.map((x) => ({ ...x, role: 'member' as const })));
    try {
      const asMember = (await handleGrantUi(v, { ui: 'grant-list', vaultId, itemId })) as {
        id: string;
        mayRevoke: boolean;
      }[];
      expect(asMember.find((g) => g.id === a.grant.id)?.mayRevoke).toBe(true);
      expect(asMember.find((g) => g.id === c.grant.id)?.mayRevoke).toBe(false);
    } finally {
      spy.mockRestore();
    }
  });

  it('revoke sends DELETE for a well-formed id only', async () => {
    await handleGrantUi(vault(), { ui: 'grant-revoke', id: 'A'.repeat(22) });
    expect(sent.at(-1)).toMatchObject({ method: 'DELETE', path: `/v1/grants/${'A'.repeat(22)}` });
    sent = [];
    await expect(
      handleGrantUi(vault(), { ui: 'grant-revoke', id: '../accounts' }),
    ).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    expect(sent).toEqual([]);
  });
});
