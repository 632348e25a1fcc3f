// SSRF guard (docs/security-tests.md §4; docs/forward.md, "SSRF guard"): every spelling of a forbidden address is refused, every DNS
// answer is judged, and the connection goes to the address that was checked (no rebinding).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeyholeError } from '../../shared/errors.js';
import { parseDestination } from '../../shared/policy/index.js';
import { createOutboundAgent } from '../../server/forward/outbound.js';
import {
  isForbiddenAddress,
  parseAllowPrivate,
  SsrfGuard,
  type Resolver,
} from '../../server/forward/ssrf.js';

const FORBIDDEN = [
  '127.0.0.1',
  '127.255.255.254',
  '0.0.0.0',
  '0.1.2.3',
  '10.0.0.1',
  '172.16.0.1',
  '172.31.255.255',
  '192.168.1.1',
  '169.254.169.254', // cloud metadata
  '169.254.0.1',
  '100.64.0.1', // CGNAT
  '100.127.255.254',
  '224.0.0.1',
  '239.255.255.250',
  '255.255.255.255',
  '240.0.0.1',
  '192.0.2.1',
  '198.18.0.1',
  '::1',
  '::',
  'fe80::1',
  'fc00::1',
  'fd00:ec2::254', // AWS metadata over IPv6
  'ff02::1',
  '::ffff:127.0.0.1',
  '::ffff:7f00:1',
  '::ffff:169.254.169.254',
  '::ffff:10.0.0.1',
  '::127.0.0.1', // IPv4-compatible
  '::ffff:0:127.0.0.1', // RFC 6145
  '64:ff9b::127.0.0.1', // NAT64
  '64:ff9b::a9fe:a9fe', // NAT64 of 169.254.169.254
  '2002:7f00:1::', // 6to4 of 127.0.0.1
  '2002:a9fe:a9fe::1', // 6to4 of metadata
  '2001:db8::1', // documentation
  '2001::1', // teredo
  'not-an-ip',
];

const ALLOWED = [
  '93.184.216.34',
  '8.8.8.8',
  '1.1.1.1',
  '2606:4700:4700::1111',
  '::ffff:8.8.8.8',
  '64:ff9b::808:808',
  '2002:808:808::1',
];

describe('isForbiddenAddress', () => {
  it.each(FORBIDDEN)('refuses %s', (ip) => expect(isForbiddenAddress(ip)).toBe(true));
  it.each(ALLOWED)('allows public %s', (ip) => expect(isForbiddenAddress(ip)).toBe(false));
});

describe('IP literals in every spelling are caught before DNS', () => {
  const spellings = [
    'http://2130706433/',
    'http://0x7f.1/',
    'http://0x7f000001/',
    'http://127.1/',
    'http://0177.0.0.1/',
    'http://017700000001/',
    'http://127.0.0.1./',
    'http://[::ffff:7f00:1]/',
    'http://[::ffff:127.0.0.1]/',
    'http://[::1]/',
    'http://[0:0:0:0:0:0:0:1]/',
    'http://0/',
    'http://169.254.169.254/latest/meta-data/',
    'http://[fd00:ec2::254]/',
    'http://0xa9.0xfe.0xa9.0xfe/',
    'http://2852039166/',
    'http://①②⑦.0.0.1/',
  ];
  const neverCalled: Resolver = () => Promise.reject(new Error('literal reached DNS'));
  const guard = new SsrfGuard({ resolver: neverCalled });
  it.each(spellings)('%s', async (raw) => {
    let dest;
    try {
      dest = parseDestination(raw);
    } catch {
      return; // not even a valid url: refused earlier
    }
    const hostname = dest.hostname.endsWith('.') ? dest.hostname.slice(0, -1) : dest.hostname;
    await expect(guard.vet(hostname, dest.port)).rejects.toMatchObject({
      code: 'HOST_NOT_ALLOWED',
    });
  });
});

describe('DNS answers', () => {
  it('refuses a name when ANY answer is forbidden (public first, loopback second)', async () => {
    const guard = new SsrfGuard({
      resolver: () =>
        Promise.resolve([
          { address: '93.184.216.34', family: 4 },
          { address: '127.0.0.1', family: 4 },
        ]),
    });
    await expect(guard.vet('rebind.example', 443)).rejects.toMatchObject({
      code: 'HOST_NOT_ALLOWED',
    });
  });
  it('refuses IPv4-mapped loopback in an AAAA answer', async () => {
    const guard = new SsrfGuard({
      resolver: () => Promise.resolve([{ address: '::ffff:127.0.0.1', family: 6 }]),
    });
    await expect(guard.vet('mapped.example', 443)).rejects.toMatchObject({
      code: 'HOST_NOT_ALLOWED',
    });
  });
  it('a name that does not resolve is UPSTREAM_UNREACHABLE', async () => {
    const guard = new SsrfGuard({
      resolver: () => Promise.reject(Object.assign(new Error('nx'), { code: 'ENOTFOUND' })),
    });
    await expect(guard.vet('nx.example', 443)).rejects.toMatchObject({
      code: 'UPSTREAM_UNREACHABLE',
    });
    const empty = new SsrfGuard({ resolver: () => Promise.resolve([]) });
    await expect(empty.vet('empty.example', 443)).rejects.toMatchObject({
      code: 'UPSTREAM_UNREACHABLE',
    });
  });
  it('localhost resolves to loopback and is refused by the real resolver', async () => {
    await expect(new SsrfGuard().vet('localhost', 80)).rejects.toMatchObject({
      code: 'HOST_NOT_ALLOWED',
    });
  });
});

describe('KEYHOLE_ALLOW_PRIVATE', () => {
  it('exempts exact host:port pairs only', async () => {
    expect([
      ...parseAllowPrivate('127.0.0.2:9000, localhost:8080,[::1]:8443,bad,:1,x:99999'),
    ]).toEqual(['127.0.0.2:9000', 'localhost:8080', '[::1]:8443']);
    const guard = new SsrfGuard({ allowPrivate: '127.0.0.2:9000,localhost:8080,[::1]:8443' });
    await expect(guard.vet('127.0.0.2', 9000)).resolves.toEqual({
      address: '127.0.0.2',
      family: 4,
    });
    await expect(guard.vet('127.0.0.2', 9001)).rejects.toBeInstanceOf(KeyholeError);
    await expect(guard.vet('[::1]', 8443)).resolves.toMatchObject({ address: '::1' });
    await expect(guard.vet('localhost', 8080)).resolves.toMatchObject({
      family: expect.any(Number),
    });
    await expect(guard.vet('localhost', 8081)).rejects.toMatchObject({ code: 'HOST_NOT_ALLOWED' });
  });
});

describe('the connection goes to the checked address (no second lookup)', () => {
  let a: Server;
  let b: Server;
  let port = 0;
  const hits: string[] = [];
  beforeAll(async () => {
    // Two servers on the same port at different loopback addresses: which one answers tells
    // which address the agent dialled.
    a = createServer((_req, res) => {
      hits.push('a');
      res.end('a');
    });
    await new Promise<void>((r) => a.listen(0, '127.0.0.2', () => r()));
    port = (a.address() as AddressInfo).port;
    b = createServer((_req, res) => {
      hits.push('b');
      res.end('b');
    });
    await new Promise<void>((r, j) => {
      b.once('error', j);
      b.listen(port, '127.0.0.3', () => r());
    });
  });
  afterAll(async () => {
    await new Promise((r) => a.close(r));
    await new Promise((r) => b.close(r));
  });

  it('dials the vetted answer even when DNS would answer differently next time', async () => {
    const answers = ['127.0.0.2', '127.0.0.3'];
    let calls = 0;
    const resolver: Resolver = () =>
      Promise.resolve([{ address: answers[Math.min(calls++, 1)]!, family: 4 }]);
    const guard = new SsrfGuard({ resolver, allowPrivate: [`api.test:${port}`] });
    const agent = createOutboundAgent({ guard, connectTimeoutMs: 2000 });
    const res = await agent.request({
      origin: `http://api.test:${port}`,
      path: '/',
      method: 'GET',
    });
    expect(await res.body.text()).toBe('a');
    expect(calls).toBe(1);
    await agent.close();
  });

  it('a rebinding answer to a forbidden address is refused at connect', async () => {
    let calls = 0;
    const resolver: Resolver = () =>
      Promise.resolve([{ address: calls++ === 0 ? '93.184.216.34' : '127.0.0.2', family: 4 }]);
    const guard = new SsrfGuard({ resolver });
    // First vet (e.g. a pre-check) sees a public address …
    await expect(guard.vet('rebind.test', port)).resolves.toMatchObject({
      address: '93.184.216.34',
    });
    // … the connection's own vet sees loopback and refuses: the agent never dials it.
    const agent = createOutboundAgent({ guard, connectTimeoutMs: 2000 });
    const before = hits.length;
    await expect(
      agent.request({ origin: `http://rebind.test:${port}`, path: '/', method: 'GET' }),
    ).rejects.toMatchObject({ code: 'HOST_NOT_ALLOWED' });
    expect(hits.length).toBe(before);
    await agent.close();
  });

  it('an IP-literal origin on a forbidden address never connects', async () => {
    const guard = new SsrfGuard({ resolver: () => Promise.reject(new Error('no dns')) });
    const agent = createOutboundAgent({ guard, connectTimeoutMs: 2000 });
    const before = hits.length;
    await expect(
      agent.request({ origin: `http://127.0.0.2:${port}`, path: '/', method: 'GET' }),
    ).rejects.toMatchObject({ code: 'HOST_NOT_ALLOWED' });
    await expect(
      agent.request({ origin: `http://[::ffff:127.0.0.2]:${port}`, path: '/', method: 'GET' }),
    ).rejects.toMatchObject({ code: 'HOST_NOT_ALLOWED' });
    expect(hits.length).toBe(before);
    await agent.close();
  });
});
