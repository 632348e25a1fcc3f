// Issue #11, consent and placement, through the REAL background code (runPageOp → planPageCall →
// forwardCall → SDK) and a REAL relay, with a personal and a team vault: each attack of the issue
// as a hostile page would send it (including bridge messages the page API would never build), and
// the mock API asserting that nothing it should not get arrived.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { lookUpForOrigin, planPageCall } from '../../extension/background/call-plan.js';
import { forwardCall } from '../../extension/background/forwarder.js';
import {
  runPageOp,
  type AskPrompt,
  type PageCallDeps,
} from '../../extension/background/page-calls.js';
import type { VaultService } from '../../extension/background/vault-service.js';
import type { Decision } from '../../extension/background/approvals.js';
import type { BackgroundReply, PageOp } from '../../extension/bridge/messages.js';
import { addSecret, pullAll, updateSecret } from '../../shared/client/index.js';
import { MAX_DATA_DEPTH } from '../../shared/policy/index.js';
import type { ForwardRequest } from '../../shared/protocol/forward.js';
import type { SecretPayload } from '../../shared/protocol/secret.js';
import { makeTeam, newDevice, type Device } from '../support/team-fixtures.js';
import { startMockApi, type MockApi } from '../support/mock-api.js';
import { spawnRelay, type RelayProcess } from '../support/relay-process.js';

const APP = 'https://app.consent.test';
const STRANGER = 'https://stranger.consent.test';
const BOTH = 'https://both.consent.test';
const V = {
  openai: 'sk-personal-openai-VALUE-1111',
  teamOpenai: 'sk-TEAM-openai-VALUE-2222',
  admin: 'sk-ADMIN-never-allowed-3333',
  team: 'team-t-VALUE-4444',
  mail: 'mail-VALUE-5555',
};

function nest(depth: number, leaf: unknown): unknown {
  let v = leaf;
  for (let i = 0; i < depth; i++) v = { a: v };
  return v;
}

describe('consent on exactly what is substituted (issue #11)', () => {
  let relay: RelayProcess;
  let api: MockApi;
  let me: Device;
  let deps: PageCallDeps;
  const asked: AskPrompt[] = [];
  const sent: ForwardRequest[] = [];
  let answer: Decision = 'deny';
  let saveAlways = false;

  beforeAll(async () => {
    api = await startMockApi('127.0.0.2');
    relay = await spawnRelay({ env: { KEYHOLE_ALLOW_PRIVATE: api.hostPort } });
    me = await newDevice(relay.url, 'consent');
    const teamId = await makeTeam(me, 'consentteam');
    await pullAll(me.relay, me.store);
    const personal = me.store.resolveVault().id;
    const base = { allowedHosts: [`http://${api.hostPort}`], description: '' };
    const add = (vaultId: string, p: Partial<SecretPayload>) =>
      addSecret(me.relay, me.store, vaultId, {
        ...base,
        allowedOrigins: [],
        ...p,
      } as SecretPayload);
    await add(personal, {
      name: 'openai',
      type: 'bearer',
      value: V.openai,
      allowedOrigins: [APP, BOTH],
      placement: ['header:Authorization'],
    });
    await add(personal, { name: 'admin', type: 'plain', value: V.admin });
    await add(personal, { name: 'mail', type: 'plain', value: V.mail });
    await add(teamId, {
      name: 'openai',
      type: 'bearer',
      value: V.teamOpenai,
      allowedOrigins: [BOTH],
      placement: ['header:Authorization'],
    });
    await add(teamId, {
      name: 't',
      type: 'plain',
      value: V.team,
      allowedOrigins: [APP, BOTH],
      placement: ['header:X-Team'],
    });
    await pullAll(me.relay, me.store);
    const vault = {
      current: async () => ({ store: me.store }),
      relayFor: async () => me.relay,
    } as unknown as VaultService;
    deps = {
      extensionId: 'abcdefghijklmnopabcdefghijklmnop',
      isUnlocked: async () => true,
      plan: async (origin, op) => planPageCall(me.store, origin, op),
      lookup: async (origin, name) => lookUpForOrigin(me.store, origin, name),
      ask: async (prompt) => {
        asked.push(prompt);
        return answer;
      },
      // As the extension does: the origin is added inside the item (a fresh item key on write).
      allowOrigin: async (found, origin) => {
        if (!saveAlways) return;
        await updateSecret(me.relay, me.store, found.vaultId, found.payload.name, {
          allowedOrigins: [...found.payload.allowedOrigins, origin],
        });
      },
      isDenied: async () => false,
      addDenied: async () => undefined,
      forward: (call, sink, signal) => {
        sent.push(call.request);
        return forwardCall(vault, call, sink, signal);
      },
      refusalFloorMs: 0,
    };
  });
  afterAll(async () => {
    await relay?.stop();
    await api?.close();
  });
  beforeEach(() => {
    api.clear();
    asked.length = 0;
    sent.length = 0;
    answer = 'deny';
  });

  async function page(origin: string, op: PageOp): Promise<{ status?: number; code?: string }> {
    const out: BackgroundReply[] = [];
    await runPageOp(deps, origin, op, (r) => out.push(r), new AbortController().signal);
    const head = out.find((r) => r.t === 'head');
    const err = out.find((r) => r.t === 'error');
    return {
      ...(head ? { status: head.status } : {}),
      ...(err ? { code: err.error.code } : {}),
    };
  }
  const url = () => `${api.url}/reflect`;
  const arrived = () => JSON.stringify(api.requests);

  it('keyhole.fetch with an OBJECT body `{k: $(secret:admin)}`: admin is asked about, never sent unseen', async () => {
    const r = await page(APP, {
      op: 'fetch',
      request: {
        url: url(),
        method: 'POST',
        headers: { authorization: 'Bearer $(secret:openai)' },
        body: { k: '$(secret:admin)' } as unknown as string,
      },
    });
    expect(r.code).toBe('USER_DENIED');
    expect(asked).toHaveLength(1);
    expect(asked[0]!.secrets).toEqual(['openai', 'admin']);
    expect(api.requests).toHaveLength(0);
    expect(arrived()).not.toContain(V.admin);
  });

  it('keyhole.fetch with a form-encoded object body: the same', async () => {
    const r = await page(APP, {
      op: 'fetch',
      request: {
        url: url(),
        method: 'POST',
        headers: {
          authorization: 'Bearer $(secret:openai)',
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: { k: '$(secret:admin)' } as unknown as string,
      },
    });
    expect(r.code).toBe('USER_DENIED');
    expect(asked[0]?.secrets).toContain('admin');
    expect(api.requests).toHaveLength(0);
  });

  it(`a placeholder ${MAX_DATA_DEPTH + 1} deep in data is refused (INVALID_REQUEST), not skipped`, async () => {
    const r = await page(APP, {
      op: 'request',
      params: {
        clientSecretName: 'openai',
        url: url(),
        method: 'POST',
        headers: { Authorization: 'Bearer $CLIENT_SECRET' },
        data: nest(MAX_DATA_DEPTH + 1, '$(secret:admin)'),
      },
    });
    expect(r.code).toBe('INVALID_REQUEST');
    expect(asked).toHaveLength(0);
    expect(api.requests).toHaveLength(0);
  });

  it('allowed once: the window listed EVERY secret the call then used', async () => {
    answer = 'once';
    const r = await page(STRANGER, {
      op: 'fetch',
      request: {
        url: url(),
        method: 'POST',
        headers: { 'x-mail': '$(secret:mail)' },
        body: { k: '$(secret:admin)' } as unknown as string,
      },
    });
    expect(r.status).toBe(200);
    const shown = new Set(asked.flatMap((p) => p.secrets));
    expect(shown).toEqual(new Set(['mail', 'admin']));
    // What was sent is exactly what was shown.
    expect(sent).toHaveLength(1);
    expect(new Set(sent[0]!.secrets.map((s) => s.name))).toEqual(shown);
  });

  it('same name in two vaults: the page gets the vault it is allowed for, never the other', async () => {
    const r = await page(APP, {
      op: 'request',
      params: {
        clientSecretName: 't',
        url: url(),
        method: 'GET',
        headers: { 'X-Team': '$(secret:t)', Authorization: 'Bearer $(secret:openai)' },
      },
    });
    expect(r.status).toBe(200);
    expect(api.requests).toHaveLength(1);
    expect(api.requests[0]!.headers.authorization).toBe(`Bearer ${V.openai}`);
    expect(arrived()).not.toContain(V.teamOpenai);
  });

  it('same name in two vaults the caller may both use: refused, never guessed', async () => {
    const r = await page(BOTH, {
      op: 'request',
      params: {
        clientSecretName: 'openai',
        url: url(),
        headers: { Authorization: 'Bearer $CLIENT_SECRET' },
      },
    });
    expect(r.code).toBe('INVALID_REQUEST');
    expect(api.requests).toHaveLength(0);
  });

  it('same name in two vaults, caller allowed for neither: ORIGIN_NOT_ALLOWED, no window', async () => {
    const r = await page(STRANGER, {
      op: 'request',
      params: {
        clientSecretName: 'openai',
        url: url(),
        headers: { Authorization: 'Bearer $CLIENT_SECRET' },
      },
    });
    expect(r.code).toBe('ORIGIN_NOT_ALLOWED');
    expect(asked).toHaveLength(0);
    expect(api.requests).toHaveLength(0);
  });

  it('placement: a bearer secret in a prompt, another header or a JSON text body is refused', async () => {
    const attempts: PageOp[] = [
      {
        op: 'request',
        params: {
          clientSecretName: 'openai',
          url: url(),
          method: 'POST',
          headers: { Authorization: 'Bearer $CLIENT_SECRET' },
          data: { messages: [{ role: 'user', content: 'repeat: $CLIENT_SECRET' }] },
        },
      },
      {
        op: 'request',
        params: {
          clientSecretName: 'openai',
          url: url(),
          headers: { 'X-Echo': '$CLIENT_SECRET' },
        },
      },
      {
        op: 'fetch',
        request: {
          url: url(),
          method: 'POST',
          headers: { authorization: 'Bearer $(secret:openai)', 'content-type': 'application/json' },
          body: '{"prompt": "say $(secret:openai) slowly"}',
        },
      },
      {
        op: 'request',
        params: { clientSecretName: 'openai', url: `${url()}?q=$CLIENT_SECRET` },
      },
    ];
    for (const op of attempts) {
      const r = await page(APP, op);
      expect(r.code, JSON.stringify(op)).toBe('PLACEMENT_NOT_ALLOWED');
    }
    expect(api.requests).toHaveLength(0);
    expect(asked).toHaveLength(0);
  });

  it('"always allow" re-writes the item: the call still goes, with the approved secrets only', async () => {
    answer = 'always';
    saveAlways = true;
    try {
      const r = await page('https://always.consent.test', {
        op: 'request',
        params: { clientSecretName: 'mail', url: url(), headers: { 'x-mail': '$CLIENT_SECRET' } },
      });
      expect(r.status).toBe(200);
      expect(api.requests).toHaveLength(1);
      expect(api.requests[0]!.headers['x-mail']).toBe(V.mail);
    } finally {
      saveAlways = false;
    }
  });

  it('placement: where the secret may go, it goes (control)', async () => {
    const r = await page(APP, {
      op: 'request',
      params: {
        clientSecretName: 'openai',
        url: url(),
        method: 'POST',
        headers: { Authorization: 'Bearer $CLIENT_SECRET' },
        data: { messages: [{ role: 'user', content: 'hello' }] },
      },
    });
    expect(r.status).toBe(200);
    expect(api.requests[0]!.headers.authorization).toBe(`Bearer ${V.openai}`);
  });
});
