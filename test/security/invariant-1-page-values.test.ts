// Invariant 1 without a browser: everything the extension's background sends towards a page (the
// BackgroundReply stream the content script relays: heads, body chunks, results, errors) for calls
// through the REAL background code (runPageOp → forwardCall → SDK) and a REAL relay, against an
// upstream that reflects the secret in bodies, headers, redirects, error answers and polled
// tickets. Not one form of a secret may appear. The mock API receiving the raw secret every time is
// the positive control: the secret really went out, and really came back to the relay.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPageOp, type PageCallDeps } from '../../extension/background/page-calls.js';
import type { BackgroundReply, PageOp } from '../../extension/bridge/messages.js';
import { makePageError } from '../../extension/bridge/page-errors.js';
import {
  RelayClient,
  VaultStore,
  addSecret,
  buildForwardRequest,
  pullAll,
  readForwardResponse,
  signup,
} from '../../shared/client/index.js';
import { KeyholeError } from '../../shared/errors.js';
import type { SecretPayload } from '../../shared/protocol/secret.js';
import { startMockApi, type MockApi } from '../support/mock-api.js';
import { FAST_KDF } from '../support/fast-kdf.js';
import { pageCallDeps } from '../support/page-background.js';
import { spawnRelay, type RelayProcess } from '../support/relay-process.js';
import { findNeedles, textForms, type Needle } from './invariant-world.js';

const ORIGIN = 'https://app.inv1.test';
const SECRET = 'sk-inv1 "quoted"/&+=ü-9f27c1d3';
const BASIC_PW = 'inv1-basic-password-6b0e';
const TPL = 'inv1-template-field-1a7f';
const CRLF = 'inv1-crlf-value\r\nX-Evil: 1';

describe('invariant 1: nothing a page can receive contains a secret', () => {
  let relay: RelayProcess;
  let api: MockApi;
  let deps: PageCallDeps;
  let client: RelayClient;
  let store: VaultStore;
  const replies: BackgroundReply[] = [];
  const needles: Needle[] = [
    ...textForms('plain', SECRET),
    ...textForms('basic password', BASIC_PW),
    ...textForms('basic pair', `inv1user:${BASIC_PW}`),
    ...textForms('basic header', Buffer.from(`inv1user:${BASIC_PW}`).toString('base64')),
    ...textForms('template field', TPL),
    ...textForms('crlf secret', CRLF),
    ...textForms('crlf secret head', 'inv1-crlf-value'),
  ];

  beforeAll(async () => {
    api = await startMockApi('127.0.0.2');
    relay = await spawnRelay({ env: { KEYHOLE_ALLOW_PRIVATE: api.hostPort } });
    const session = await signup(
      relay.url,
      `inv1-${Date.now()}@example.test`,
      'inv1 password 123',
      { kdf: FAST_KDF },
    );
    client = new RelayClient({ baseUrl: session.relayUrl, token: session.token });
    store = new VaultStore(session.unlocked);
    await pullAll(client, store);
    const vaultId = store.resolveVault().id;
    const base = {
      allowedHosts: [`http://${api.hostPort}`],
      allowedOrigins: [ORIGIN],
      description: '',
    };
    const payloads: SecretPayload[] = [
      { ...base, name: 'plain', type: 'plain', value: SECRET },
      { ...base, name: 'basic', type: 'basic', username: 'inv1user', password: BASIC_PW },
      { ...base, name: 'tpl', type: 'template', fields: { f: TPL } },
      { ...base, name: 'crlf', type: 'plain', value: CRLF },
    ];
    for (const p of payloads) await addSecret(client, store, vaultId, p);
    deps = pageCallDeps(store, client);
  });
  afterAll(async () => {
    await relay?.stop();
    await api?.close();
  });

  /** One page op through the real background; returns its replies, chunks decoded to text. */
  async function page(op: PageOp): Promise<{ replies: BackgroundReply[]; body: string }> {
    const out: BackgroundReply[] = [];
    await runPageOp(deps, ORIGIN, op, (r) => out.push(r), new AbortController().signal);
    replies.push(...out);
    const body = out
      .filter((r): r is Extract<BackgroundReply, { t: 'chunk' }> => r.t === 'chunk')
      .map((r) => Buffer.from(r.b64, 'base64').toString('utf8'))
      .join('');
    return { replies: out, body };
  }
  const request = (params: Record<string, unknown>): PageOp => ({
    op: 'request',
    params: { clientSecretName: 'plain', method: 'POST', ...params },
  });
  const lastAuth = () => String(api.requests.at(-1)?.headers.authorization ?? '');
  /** the blob a page could see: every reply, with chunks decoded */
  const visible = (rs: BackgroundReply[]) =>
    Buffer.from(
      rs
        .map((r) =>
          r.t === 'chunk' ? Buffer.from(r.b64, 'base64').toString('utf8') : JSON.stringify(r),
        )
        .join('\n'),
    );

  it('a reflected header, body and query come back scrubbed (JSON)', async () => {
    const { replies: rs, body } = await page(
      request({
        url: `${api.url}/reflect?k=$CLIENT_SECRET`,
        headers: { Authorization: 'Bearer $CLIENT_SECRET', 'X-Key': '$CLIENT_SECRET' },
        data: { key: '$CLIENT_SECRET', nested: ['$CLIENT_SECRET'] },
      }),
    );
    expect(lastAuth()).toBe(`Bearer ${SECRET}`);
    expect(rs[0]).toMatchObject({ t: 'head', status: 200 });
    expect(body).toContain('[REDACTED]');
    expect(findNeedles({ page: visible(rs) }, needles)).toEqual([]);
  });

  it.each(['raw', 'url', 'json', 'b64'])(
    'a %s-encoded echo split across chunks, in a header and the body',
    async (mode) => {
      const { replies: rs, body } = await page(
        request({
          method: 'GET',
          url: `${api.url}/reflect-header?name=x-key&parts=3&delay=10&mode=${mode}`,
          headers: { 'X-Key': '$CLIENT_SECRET' },
        }),
      );
      expect(api.requests.at(-1)?.headers['x-key']).toBe(SECRET);
      expect(body).toBe('before [REDACTED] after');
      const head = rs.find((r) => r.t === 'head') as Extract<BackgroundReply, { t: 'head' }>;
      expect(head.headers).toContainEqual(['x-echo', '[REDACTED]']);
      expect(findNeedles({ page: visible(rs) }, needles)).toEqual([]);
    },
  );

  it('an upstream error that echoes the secret: the rejection (status, body, message) is clean', async () => {
    const { replies: rs } = await page(
      request({
        url: `${api.url}/reflect?status=401`,
        headers: { Authorization: 'Bearer $CLIENT_SECRET' },
      }),
    );
    expect(lastAuth()).toBe(`Bearer ${SECRET}`);
    // The background streams the upstream's non-2xx as it is; the page turns it into UPSTREAM_ERROR.
    expect(rs[0]).toMatchObject({ t: 'head', status: 401 });
    expect(findNeedles({ page: visible(rs) }, needles)).toEqual([]);
    // The SDK's own mapping (CLI, extension) of the same answer: message, body, JSON of the error.
    const res = await client.forward(
      buildForwardRequest(store, {
        clientSecretName: 'plain',
        url: `${api.url}/reflect?status=418`,
        headers: { Authorization: 'Bearer $CLIENT_SECRET' },
      }),
    );
    const err = await readForwardResponse(res).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(KeyholeError);
    const e = err as KeyholeError;
    expect(e.code).toBe('UPSTREAM_ERROR');
    expect(e.status).toBe(418);
    const pageErr = makePageError({
      code: e.code,
      message: e.message,
      status: e.status,
      body: e.body,
    });
    const text = [
      e.message,
      JSON.stringify(e.body),
      JSON.stringify(e.toBody?.() ?? {}),
      pageErr.message,
      JSON.stringify(pageErr.body),
      String(e.stack),
    ].join('\n');
    expect(text).toContain('[REDACTED]');
    expect(findNeedles({ error: Buffer.from(text) }, needles)).toEqual([]);
  });

  it('a redirect whose Location echoes the secret', async () => {
    const to = encodeURIComponent(`/next?k=${SECRET}`);
    const { replies: rs } = await page(
      request({
        method: 'GET',
        url: `${api.url}/redirect?status=302&to=${to}`,
        headers: { 'X-Key': '$CLIENT_SECRET' },
      }),
    );
    const head = rs.find((r) => r.t === 'head') as Extract<BackgroundReply, { t: 'head' }>;
    expect(head.status).toBe(302);
    expect(head.headers.find(([k]) => k === 'location')?.[1]).toContain('[REDACTED]');
    expect(findNeedles({ page: visible(rs) }, needles)).toEqual([]);
  });

  it('a polled request: the ticket body the page gets is scrubbed', async () => {
    const { replies: rs, body } = await page(
      request({
        url: `${api.url}/reflect`,
        headers: { Authorization: 'Bearer $CLIENT_SECRET' },
        poll: 100,
      }),
    );
    expect(lastAuth()).toBe(`Bearer ${SECRET}`);
    expect(body).toContain('[REDACTED]');
    expect(findNeedles({ page: visible(rs) }, needles)).toEqual([]);
  });

  it('basic and template secrets, and keyhole.fetch() with $(secret:NAME)', async () => {
    const basic = await page(
      request({
        clientSecretName: 'basic',
        url: `${api.url}/reflect`,
        // (The SDK refuses $(secret:basic.password) although the relay documents it: reported.)
        headers: { Authorization: 'Basic $CLIENT_SECRET' },
      }),
    );
    expect(lastAuth()).toBe(`Basic ${Buffer.from(`inv1user:${BASIC_PW}`).toString('base64')}`);
    const tpl = await page(
      request({
        clientSecretName: 'tpl',
        url: `${api.url}/reflect/$(secret:tpl.f)`,
        headers: { 'X-T': '$(secret:tpl.f)' },
      }),
    );
    expect(api.requests.at(-1)?.headers['x-t']).toBe(TPL);
    const fetched = await page({
      op: 'fetch',
      request: {
        url: `${api.url}/reflect`,
        method: 'POST',
        headers: { authorization: 'Bearer $(secret:plain)', 'content-type': 'text/plain' },
        body: 'k=$(secret:plain)',
      },
    });
    expect(lastAuth()).toBe(`Bearer ${SECRET}`);
    for (const r of [basic, tpl, fetched]) {
      expect(r.body).toContain('[REDACTED]');
      expect(findNeedles({ page: visible(r.replies) }, needles)).toEqual([]);
    }
  });

  it('relay errors reach the page as a code and a fixed message only', async () => {
    const before = api.requests.length;
    const crlf = await page(
      request({
        clientSecretName: 'crlf',
        url: `${api.url}/reflect`,
        headers: { A: '$CLIENT_SECRET' },
      }),
    );
    expect(crlf.replies).toEqual([
      { t: 'error', error: { code: 'INVALID_REQUEST', message: expect.any(String) } },
    ]);
    const host = await page(
      request({ url: 'https://elsewhere.example/x', headers: { A: '$CLIENT_SECRET' } }),
    );
    expect(host.replies[0]).toMatchObject({ t: 'error', error: { code: 'HOST_NOT_ALLOWED' } });
    expect(api.requests.length).toBe(before);
    expect(findNeedles({ page: visible([...crlf.replies, ...host.replies]) }, needles)).toEqual([]);
  });

  it('over the whole suite: not one reply carried a secret, and the upstream saw every one', () => {
    expect(replies.length).toBeGreaterThan(20);
    expect(findNeedles({ page: visible(replies) }, needles)).toEqual([]);
    const upstream = Buffer.from(
      api.requests.map((r) => `${r.path}\n${r.rawHeaders.join('\n')}\n${r.body}`).join('\n'),
    );
    // Positive control: the same scanner finds the secrets in what the upstream received.
    for (const label of ['plain (raw)', 'basic header (raw)', 'template field (raw)'])
      expect(
        findNeedles(
          { upstream },
          needles.filter((n) => n.label === label),
        ),
      ).toHaveLength(1);
  });
});
