// Invariant 4 through the REAL relay endpoint: every spelling of a loopback, private, link-local or
// metadata address — and names that resolve to one — is refused with HOST_NOT_ALLOWED although the
// item allows it, and a listener on that address:port receives no connection at all.
// KEYHOLE_ALLOW_PRIVATE exempts exactly the listed host:port (not another port, not another name).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkDestination } from '../../shared/policy/index.js';
import type { SecretRef } from '../../shared/protocol/forward.js';
import {
  fwd,
  postForward,
  startForwardWorld,
  type ForwardWorld,
} from '../support/forward-fixtures.js';
import { dnsStubEnv, settledTicket, sleep, startCanary, type Canary } from './invariant-world.js';

const SECRET = 'sk-ssrf-canary-8c1d2e3f4a5b';

/** [label, url(port of the 127.0.0.1 listener, port of the [::1] listener)] */
const SPELLINGS: [string, (p: number, p6: number) => string][] = [
  ['127.0.0.1', (p) => `http://127.0.0.1:${p}/x`],
  ['127.1', (p) => `http://127.1:${p}/x`],
  ['2130706433', (p) => `http://2130706433:${p}/x`],
  ['0x7f000001', (p) => `http://0x7f000001:${p}/x`],
  ['0177.0.0.1', (p) => `http://0177.0.0.1:${p}/x`],
  ['0.0.0.0 (reaches local listeners on Linux)', (p) => `http://0.0.0.0:${p}/x`],
  ['[::1]', (_p, p6) => `http://[::1]:${p6}/x`],
  ['[::ffff:127.0.0.1]', (p) => `http://[::ffff:127.0.0.1]:${p}/x`],
  ['[::ffff:7f00:1]', (p) => `http://[::ffff:7f00:1]:${p}/x`],
  ['localhost', (p) => `http://localhost:${p}/x`],
  ['a name resolving to 127.0.0.1', (p) => `http://loop.kh.test:${p}/x`],
  ['a name resolving to ::ffff:127.0.0.1', (p) => `http://mapped.kh.test:${p}/x`],
  ['a name with a public and a loopback answer', (p) => `http://mixed.kh.test:${p}/x`],
  ['169.254.169.254', () => 'http://169.254.169.254/latest/meta-data/'],
  ['a name resolving to 169.254.169.254', () => 'http://meta.kh.test/latest/meta-data/'],
  ['[fd00:ec2::254]', () => 'http://[fd00:ec2::254]/latest/meta-data/'],
  ['10.0.0.1', () => 'http://10.0.0.1/'],
  ['100.64.0.1', () => 'http://100.64.0.1/'],
  ['192.168.0.1', () => 'http://192.168.0.1/'],
];

describe('invariant 4: the relay reaches no loopback/private/link-local/metadata address', () => {
  let w: ForwardWorld;
  let v4: Canary; // 127.0.0.1:P, NOT exempt
  let v6: Canary; // [::1]:P6, NOT exempt
  let exempt: Canary; // 127.0.0.1:PE, exempt by KEYHOLE_ALLOW_PRIVATE
  let ref: SecretRef;
  let oauthRef: SecretRef;
  const P = () => v4.port;

  // Every spelling the brief names, each aimed at a live listener where one can exist.
  const spellings = (): [string, string][] =>
    SPELLINGS.map(([label, url]) => [label, url(P(), v6.port)]);

  beforeAll(async () => {
    v4 = await startCanary('127.0.0.1');
    v6 = await startCanary('::1');
    exempt = await startCanary('127.0.0.1');
    w = await startForwardWorld(
      {
        ...dnsStubEnv({
          'loop.kh.test': ['127.0.0.1'],
          'mapped.kh.test': ['::ffff:127.0.0.1'],
          'mixed.kh.test': ['93.184.216.34', '127.0.0.1'],
          'meta.kh.test': ['169.254.169.254'],
          'exempt-alias.kh.test': ['127.0.0.1'],
        }),
        // A broken guard would then fail fast with another code instead of hanging.
        KEYHOLE_FORWARD_CONNECT_TIMEOUT_MS: '1500',
        KEYHOLE_FORWARD_TIMEOUT_MS: '3000',
      },
      [exempt.hostPort],
    );
    const urls = spellings().map(([, u]) => u);
    const allowedHosts = [
      ...new Set(urls.map((u) => `${new URL(u).protocol}//${new URL(u).host}`)),
      `http://${exempt.hostPort}`,
      `http://127.0.0.1:${exempt.port + (exempt.port === 65535 ? -1 : 1)}`,
      `http://localhost:${exempt.port}`,
      `http://exempt-alias.kh.test:${exempt.port}`,
      `http://[::ffff:127.0.0.1]:${exempt.port}`,
      `http://${w.api.hostPort}`,
    ];
    ref = await w.addSecret({ name: 'k', type: 'plain', value: SECRET, allowedHosts });
    oauthRef = await w.addSecret({
      name: 'o',
      type: 'oauth',
      oauth: {
        grant: 'client_credentials',
        tokenUrl: `http://127.0.0.1:${P()}/oauth/token`,
        clientId: 'cid',
        clientSecret: 'oauth-client-secret-ssrf-1',
      },
      allowedHosts: [`http://${w.api.hostPort}`, `http://127.0.0.1:${P()}`],
    });
  });
  afterAll(async () => {
    await w?.stop();
    await v4?.close();
    await v6?.close();
    await exempt?.close();
  });

  const send = (url: string, extra: Record<string, unknown> = {}) =>
    w.forward(fwd({ url, headers: { authorization: 'Bearer $CLIENT_SECRET' }, ...extra }, [ref]));

  it('sanity: the item allows every one of these urls, so only the SSRF guard can refuse them', () => {
    // The same policy the relay runs on the decrypted item: if this passed and the relay still
    // refuses, the refusal is the guard's, not the allowed-host list's.
    for (const [, url] of spellings())
      expect(() =>
        checkDestination(url, [`${new URL(url).protocol}//${new URL(url).host}`]),
      ).not.toThrow();
  });

  it.each(SPELLINGS)(
    '%s is refused with HOST_NOT_ALLOWED and nothing connects',
    async (label, makeUrl) => {
      const url = makeUrl(P(), v6.port);
      const before = { v4: v4.connections, v6: v6.connections, exempt: exempt.connections };
      const t0 = Date.now();
      const res = await send(url);
      expect(res.status, label).toBe(403);
      expect(res.json?.error?.code, label).toBe('HOST_NOT_ALLOWED');
      expect(res.headers.get('keyhole-error'), label).toBe('HOST_NOT_ALLOWED');
      // Refused before connecting: well below the 1500 ms connect timeout.
      expect(Date.now() - t0, label).toBeLessThan(1200);
      await sleep(30);
      expect({ v4: v4.connections, v6: v6.connections, exempt: exempt.connections }, label).toEqual(
        before,
      );
    },
  );

  it('a polled (queued) request to loopback fails HOST_NOT_ALLOWED and connects nowhere', async () => {
    const before = v4.connections;
    // A name, so the refusal happens at connect time inside the queue runner, not up front.
    const res = await w.forward(
      fwd({ url: `http://loop.kh.test:${P()}/queued`, headers: { a: '$CLIENT_SECRET' } }, [ref], {
        poll: 100,
      }),
    );
    expect(res.status).toBe(202);
    const id = res.json.requestId as string;
    const ticket = await settledTicket(w.relay.url, w.token, id);
    expect(ticket.state).toBe('failed');
    expect(ticket.error?.code).toBe('HOST_NOT_ALLOWED');
    expect(v4.connections).toBe(before);
  });

  it('an oauth tokenUrl on loopback is refused: the client secret goes nowhere', async () => {
    const before = { v4: v4.connections, api: w.api.requests.length };
    const res = await w.forward(
      fwd({ url: `${w.api.url}/reflect`, headers: { authorization: 'Bearer $CLIENT_SECRET' } }, [
        oauthRef,
      ]),
    );
    expect(res.json?.error?.code).toBe('HOST_NOT_ALLOWED');
    await sleep(30);
    expect(v4.connections).toBe(before.v4);
    expect(w.api.requests.length).toBe(before.api);
  });

  describe('KEYHOLE_ALLOW_PRIVATE exempts exactly the listed host:port', () => {
    it('the listed 127.0.0.1:PE is reached', async () => {
      const before = exempt.requests.length;
      const res = await send(`http://${exempt.hostPort}/ok`);
      expect(res.status).toBe(200);
      expect(res.text).toBe('canary reached');
      expect(exempt.requests.length).toBe(before + 1);
      expect(exempt.requests.at(-1)?.headers.authorization).toBe(`Bearer ${SECRET}`);
    });

    it.each([
      [
        'another port on the same address',
        () => `http://127.0.0.1:${exempt.port + (exempt.port === 65535 ? -1 : 1)}/`,
      ],
      ['the same address:port by the name localhost', () => `http://localhost:${exempt.port}/`],
      [
        'a name that resolves to the exempt address',
        () => `http://exempt-alias.kh.test:${exempt.port}/`,
      ],
      [
        'the IPv4-mapped IPv6 spelling of the exempt address',
        () => `http://[::ffff:127.0.0.1]:${exempt.port}/`,
      ],
    ])('not %s', async (_label, url) => {
      const before = exempt.connections;
      const res = await send(url());
      expect(res.status).toBe(403);
      expect(res.json?.error?.code).toBe('HOST_NOT_ALLOWED');
      await sleep(30);
      expect(exempt.connections).toBe(before);
    });
  });

  it('without a session nothing is attempted at all', async () => {
    const before = v4.connections;
    const res = await postForward(
      w.relay.url,
      fwd({ url: `http://127.0.0.1:${P()}/`, headers: { a: '$CLIENT_SECRET' } }, [ref]),
      'A'.repeat(43),
    );
    expect(res.status).toBe(401);
    expect(v4.connections).toBe(before);
  });
});
