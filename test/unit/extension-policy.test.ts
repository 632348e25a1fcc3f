// Background policy: the caller is judged by the browser's sender, never by the message; a missing
// secret and a not-allowed one are indistinguishable to the page; checks come in the documented order.
import { describe, expect, it, vi } from 'vitest';
import type { SecretPayload } from '../../shared/protocol/secret.js';
import { callerOrigin, decideAccess, isExtensionPage } from '../../extension/background/policy.js';
import { runPageOp, servePagePort } from '../../extension/background/page-calls.js';
import type { PageCallDeps, PortLike } from '../../extension/background/page-calls.js';
import { lookUpForOrigin, planPageCall } from '../../extension/background/call-plan.js';
import type { BackgroundReply, PageOp } from '../../extension/bridge/messages.js';
import { base64ToBytes, isCallMessage } from '../../extension/bridge/messages.js';
import { forwardCall } from '../../extension/background/forwarder.js';
import type { VaultService } from '../../extension/background/vault-service.js';
import { RelayClient } from '../../shared/client/relay-client.js';
import type { VaultStore } from '../../shared/client/vault-store.js';
import type { ForwardRequest } from '../../shared/protocol/forward.js';
import { memoryStore } from '../support/memory-vault.js';
import { entriesToParams, splitFieldName } from '../../extension/bridge/form.js';

const EXT = 'abcdefghijklmnopabcdefghijklmnop';
const A = 'https://app.example';
const B = 'https://evil.example';

function payload(over: Partial<SecretPayload> = {}): SecretPayload {
  return {
    name: 'openai',
    type: 'bearer',
    value: 'sk-test-NEVER-SEEN',
    allowedHosts: ['api.openai.com'],
    allowedOrigins: [A],
    description: '',
    ...over,
  };
}

async function deps(
  over: Partial<PageCallDeps> = {},
  secrets: SecretPayload[] = [payload()],
  given?: VaultStore,
): Promise<PageCallDeps & { asked: unknown[] }> {
  const asked: unknown[] = [];
  const store = given ?? (await memoryStore(secrets));
  return {
    asked,
    extensionId: EXT,
    isUnlocked: async () => true,
    plan: async (origin, op) => planPageCall(store, origin, op),
    lookup: async (origin, name) => lookUpForOrigin(store, origin, name),
    refusalFloorMs: 0,
    ask: async (prompt) => {
      asked.push(prompt);
      return 'deny';
    },
    allowOrigin: async () => undefined,
    isDenied: async () => false,
    addDenied: async () => undefined,
    forward: async (_call, sink) => {
      sink.head(200, 'OK', [['content-type', 'application/json']]);
      sink.chunk(new TextEncoder().encode('{"ok":true}'));
      sink.end();
    },
    ...over,
  };
}

const params = (over: Record<string, unknown> = {}) => ({
  clientSecretName: 'openai',
  url: 'https://api.openai.com/v1/x',
  method: 'POST',
  headers: { Authorization: 'Bearer $CLIENT_SECRET' },
  ...over,
});

async function run(d: PageCallDeps, origin: string | null, op: PageOp): Promise<BackgroundReply[]> {
  const out: BackgroundReply[] = [];
  await runPageOp(d, origin, op, (r) => out.push(r), new AbortController().signal);
  return out;
}

describe('callerOrigin', () => {
  it('takes the origin from the sender frame', () => {
    expect(callerOrigin({ id: EXT, origin: A, url: `${A}/page`, tab: { id: 1 } }, EXT)).toBe(A);
    expect(callerOrigin({ id: EXT, url: `${B}/framed`, tab: { id: 1 }, frameId: 3 }, EXT)).toBe(B);
  });
  it('refuses other extensions, extension pages, opaque and non-http origins', () => {
    expect(callerOrigin({ id: 'other', origin: A, tab: { id: 1 } }, EXT)).toBeNull();
    expect(callerOrigin({ id: EXT, origin: A }, EXT)).toBeNull(); // no tab: not a content script
    expect(callerOrigin({ id: EXT, origin: 'null', tab: { id: 1 } }, EXT)).toBeNull();
    expect(
      callerOrigin({ id: EXT, origin: `chrome-extension://${EXT}`, tab: { id: 1 } }, EXT),
    ).toBeNull();
    expect(callerOrigin({ id: EXT, url: 'file:///etc/passwd', tab: { id: 1 } }, EXT)).toBeNull();
  });
  it('recognises only our own extension pages', () => {
    const self = { id: EXT, origin: `chrome-extension://${EXT}` };
    expect(
      isExtensionPage(
        { id: EXT, url: `chrome-extension://${EXT}/popup.html` },
        self,
        '/popup.html',
      ),
    ).toBe(true);
    expect(
      isExtensionPage({ id: EXT, url: `${A}/popup.html`, tab: { id: 1 } }, self, '/popup.html'),
    ).toBe(false);
    expect(
      isExtensionPage(
        { id: EXT, url: `chrome-extension://${EXT}/approval.html` },
        self,
        '/popup.html',
      ),
    ).toBe(false);
  });
});

describe('decideAccess', () => {
  it('refuses missing secrets, allows listed origins, asks otherwise unless denied before', () => {
    expect(decideAccess(undefined, A, false)).toBe('refuse');
    expect(decideAccess(payload(), A, false)).toBe('allow');
    expect(decideAccess(payload(), B, false)).toBe('ask');
    expect(decideAccess(payload(), B, true)).toBe('refuse');
  });
});

describe('planPageCall: the checks production runs on a page request', () => {
  it('checks host, then placeholder, then shape', async () => {
    const store = await memoryStore([payload()]);
    const code = (p: Record<string, unknown>) => {
      try {
        const plan = planPageCall(store, A, { op: 'request', params: p });
        plan.check();
        plan.forwardRequest();
        return 'ok';
      } catch (e) {
        return (e as { code: string }).code;
      }
    };
    expect(code(params())).toBe('ok');
    expect(code(params({ url: 'https://api.openai.com.evil.example/x' }))).toBe('HOST_NOT_ALLOWED');
    expect(code(params({ url: 'http://api.openai.com/x' }))).toBe('HOST_NOT_ALLOWED');
    expect(code(params({ url: 'https://user@api.openai.com/x' }))).toBe('HOST_NOT_ALLOWED');
    expect(code(params({ headers: { Authorization: 'none' } }))).toBe('PLACEHOLDER_MISSING');
    expect(code(params({ method: 'BREW' }))).toBe('INVALID_REQUEST');
    expect(code(params({ poll: -1 }))).toBe('INVALID_REQUEST');
    expect(code({ url: 'https://api.openai.com/' })).toBe('INVALID_REQUEST');
  });
});

describe('page calls', () => {
  it('gives the same answer for a missing secret and one the origin may not use (after a denial)', async () => {
    const d = await deps({ isDenied: async () => true });
    const missing = await run(d, B, {
      op: 'request',
      params: params({ clientSecretName: 'nope' }),
    });
    const notAllowed = await run(d, B, { op: 'request', params: params() });
    expect(missing).toEqual(notAllowed);
    expect(missing).toEqual([
      { t: 'error', error: { code: 'ORIGIN_NOT_ALLOWED', message: expect.any(String) } },
    ]);
    expect(d.asked).toHaveLength(0);
  });

  it('asks about an existing secret only, and not for a request that would fail anyway', async () => {
    const d = await deps();
    await run(d, B, { op: 'request', params: params({ clientSecretName: 'nope' }) });
    expect(d.asked).toHaveLength(0);
    const bad = await run(d, B, {
      op: 'request',
      params: params({ url: 'https://elsewhere.example/' }),
    });
    expect(bad[0]).toMatchObject({ t: 'error', error: { code: 'ORIGIN_NOT_ALLOWED' } });
    expect(d.asked).toHaveLength(0);
    const denied = await run(d, B, { op: 'request', params: params() });
    expect(denied[0]).toMatchObject({ t: 'error', error: { code: 'USER_DENIED' } });
    expect(d.asked).toEqual([
      {
        origin: B,
        secretName: 'openai',
        secrets: ['openai'],
        host: 'https://api.openai.com',
        method: 'POST',
      },
    ]);
  });

  it('asks for every secret a template names, not only clientSecretName', async () => {
    const d = await deps({}, [payload(), payload({ name: 'other', allowedOrigins: [] })]);
    const out = await run(d, A, {
      op: 'request',
      params: params({ data: { k: '$(secret:other)' } }),
    });
    expect(out[0]).toMatchObject({ t: 'error', error: { code: 'USER_DENIED' } });
    expect(d.asked).toEqual([expect.objectContaining({ secretName: 'other', origin: A })]);
  });

  it('answers VAULT_LOCKED when locked and has() is false without asking', async () => {
    const d = await deps({ isUnlocked: async () => false });
    expect((await run(d, A, { op: 'request', params: params() }))[0]).toMatchObject({
      error: { code: 'VAULT_LOCKED' },
    });
    expect(await run(d, A, { op: 'has', name: 'openai' })).toEqual([{ t: 'result', data: false }]);
    const open = await deps();
    expect(await run(open, A, { op: 'has', name: 'openai' })).toEqual([
      { t: 'result', data: true },
    ]);
    expect(await run(open, B, { op: 'has', name: 'openai' })).toEqual([
      { t: 'result', data: false },
    ]);
    expect(open.asked).toHaveLength(0);
  });

  it('streams an allowed call and never puts the secret value in a reply', async () => {
    // The real forwarder (buildForwardRequest, RelayClient) over a real encrypted store. The relay
    // is played by `fetch`, answering like a relay whose upstream reflects everything: it echoes
    // the whole ForwardRequest it got (so any plaintext the background sent would come back) and
    // adds the secret in headers the background must never hand to a page.
    const secret = payload().value!;
    const forms = [secret, btoa(secret), encodeURIComponent(secret)];
    const store = await memoryStore([payload()]);
    const received: ForwardRequest[] = [];
    const relay = new RelayClient({
      baseUrl: 'http://relay.test',
      token: 'session',
      fetch: async (_input, init) => {
        const body = JSON.parse(String(init?.body)) as ForwardRequest;
        received.push(body);
        return new Response(JSON.stringify({ echo: body }), {
          status: 200,
          headers: [
            ['content-type', 'application/json'],
            ['set-cookie', `sid=${secret}`],
            ['keyhole-trace', secret],
          ],
        });
      },
    });
    const vault = { current: async () => ({ store }), relayFor: async () => relay };
    const d = await deps(
      {
        forward: (call, sink, signal) =>
          forwardCall(vault as unknown as VaultService, call, sink, signal),
      },
      [],
      store,
    );
    const out = await run(d, A, { op: 'request', params: params() });

    expect(out[0]).toMatchObject({ t: 'head', status: 200 });
    expect(out.at(-1)).toEqual({ t: 'end' });
    const chunks = out.filter((r) => r.t === 'chunk');
    expect(chunks.length).toBeGreaterThan(0);
    expect(out).toHaveLength(chunks.length + 2);
    const text = new TextDecoder().decode(Buffer.concat(chunks.map((c) => base64ToBytes(c.b64))));
    // Controls: the relay got the template and an item key, and its echo reached the page.
    expect(received).toHaveLength(1);
    expect(received[0]?.secrets).toEqual([
      expect.objectContaining({ name: 'openai', itemKey: expect.stringMatching(/^[\w-]{43}$/) }),
    ]);
    expect(JSON.parse(text)).toEqual({ echo: received[0] });
    expect(text).toContain('Bearer $CLIENT_SECRET');
    const head = out[0] as Extract<BackgroundReply, { t: 'head' }>;
    expect(head.headers).toContainEqual(['content-type', 'application/json']);
    // The secret in no form: not in what the relay got, not in a header or chunk (decoded).
    const seen = JSON.stringify(received) + JSON.stringify(out) + text;
    for (const form of forms) expect(seen).not.toContain(form);
  });

  it('judges the port by its sender, whatever the message claims', async () => {
    const sent: BackgroundReply[] = [];
    const listeners: ((m: unknown) => void)[] = [];
    const port: PortLike = {
      sender: { id: EXT, origin: B, url: `${B}/x`, tab: { id: 1 } },
      postMessage: (m) => sent.push(m as BackgroundReply),
      disconnect: () => undefined,
      onMessage: { addListener: (cb) => listeners.push(cb) },
      onDisconnect: { addListener: () => undefined },
    };
    const d = await deps({ isDenied: async () => true });
    servePagePort(port, d);
    listeners[0]?.({ op: 'request', params: params({ origin: A, sender: { origin: A } }) });
    await vi.waitFor(() => expect(sent).toHaveLength(1));
    expect(sent[0]).toMatchObject({ t: 'error', error: { code: 'ORIGIN_NOT_ALLOWED' } });
  });

  it('maps internal errors to page codes with generic messages only', async () => {
    const d = await deps({
      forward: async () => {
        throw new Error('secret sk-test-NEVER-SEEN leaked in a message');
      },
    });
    const out = await run(d, A, { op: 'request', params: params() });
    expect(out).toEqual([
      { t: 'error', error: { code: 'RELAY_UNAVAILABLE', message: expect.any(String) } },
    ]);
    expect(JSON.stringify(out)).not.toContain('NEVER-SEEN');
  });
});

describe('bridge shapes', () => {
  it('accepts exactly { type, id } as a call announcement', () => {
    expect(isCallMessage({ type: 'keyhole:call', id: 'abc' })).toBe(true);
    expect(isCallMessage({ type: 'keyhole:call', id: 'abc', origin: A })).toBe(false);
    expect(isCallMessage({ type: 'keyhole:call' })).toBe(false);
    expect(isCallMessage({ type: 'other', id: 'x' })).toBe(false);
    expect(
      isCallMessage(
        Object.assign(Object.create({ polluted: 1 }) as object, { type: 'keyhole:call', id: 'x' }),
      ),
    ).toBe(false);
  });

  it('turns Skapi form fields into params (numbers stay numbers)', () => {
    expect(splitFieldName('headers[Authorization]')).toEqual(['headers', 'Authorization']);
    expect(
      entriesToParams([
        { name: 'clientSecretName', value: 'openai' },
        { name: 'headers[Authorization]', value: 'Bearer $CLIENT_SECRET' },
        { name: 'data[n]', value: 1 },
        { name: 'params[q]', value: 'otter' },
        { name: 'poll', value: '500' },
        { name: '__proto__[x]', value: 'y' },
      ]),
    ).toEqual({
      clientSecretName: 'openai',
      headers: { Authorization: 'Bearer $CLIENT_SECRET' },
      data: { n: 1 },
      params: { q: 'otter' },
      poll: 500,
    });
  });
});
