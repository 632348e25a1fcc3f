// Limits, timeouts and network failures through a real relay with small configured limits; the
// SSRF guard seen from outside (loopback and private targets not in KEYHOLE_ALLOW_PRIVATE).
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RELAY_ERROR_HEADER, type SecretRef } from '../../shared/protocol/forward.js';
import { fwd, startForwardWorld, type ForwardWorld } from '../support/forward-fixtures.js';

describe('forward: limits, timeouts, unreachable and forbidden destinations', () => {
  let w: ForwardWorld;
  let ref: SecretRef;
  let silent: Server; // accepts TCP, never speaks: a TLS handshake to it never completes
  let silentPort = 0;
  let closedPort = 0;

  beforeAll(async () => {
    silent = createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.2', () => r()));
    silentPort = (silent.address() as AddressInfo).port;
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.2', () => r()));
    closedPort = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    w = await startForwardWorld(
      {
        KEYHOLE_FORWARD_TIMEOUT_MS: '1500',
        KEYHOLE_FORWARD_CONNECT_TIMEOUT_MS: '500',
        KEYHOLE_FORWARD_MAX_RESPONSE: String(256 * 1024),
        KEYHOLE_FORWARD_MAX_REQUEST: String(64 * 1024),
      },
      // exempt from the SSRF guard so that the timeouts and failures themselves are tested
      [`127.0.0.2:${silentPort}`, `127.0.0.2:${closedPort}`],
    );
    ref = await w.addSecret({
      name: 'k',
      type: 'plain',
      value: 'limit-secret-0042',
      allowedHosts: [
        `http://${w.api.hostPort}`,
        `https://127.0.0.2:${silentPort}`,
        `http://127.0.0.2:${closedPort}`,
        'http://127.0.0.4:80',
        `http://127.0.0.1:${w.api.port}`,
        `http://localhost:${w.api.port}`,
        'http://169.254.169.254',
        'http://[::1]:80',
        'http://nonexistent.invalid',
        'http://10.0.0.1',
      ],
    });
  });
  afterAll(async () => {
    await w?.stop();
    silent?.close();
  });

  const send = (url: string, extra: Record<string, unknown> = {}) =>
    w.forward(fwd({ url, headers: { 'x-key': '$CLIENT_SECRET' }, ...extra }, [ref]));

  it('a connect that never completes is UPSTREAM_TIMEOUT (connect timeout)', async () => {
    const t0 = Date.now();
    const res = await send(`https://127.0.0.2:${silentPort}/`);
    expect(res.status).toBe(504);
    expect(res.json.error.code).toBe('UPSTREAM_TIMEOUT');
    expect(Date.now() - t0).toBeLessThan(1400);
  });

  it('headers that come too late are UPSTREAM_TIMEOUT (total timeout)', async () => {
    const t0 = Date.now();
    const res = await send(`${w.api.url}/delay?ms=4000`);
    expect(res.json.error.code).toBe('UPSTREAM_TIMEOUT');
    expect(res.headers.get(RELAY_ERROR_HEADER)).toBe('UPSTREAM_TIMEOUT');
    expect(Date.now() - t0).toBeLessThan(3000);
  });

  it('a body that stalls past the total timeout is cut off after the headers', async () => {
    const res = await fetch(`${w.relay.url}/v1/forward`, {
      method: 'POST',
      headers: { authorization: `Bearer ${w.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(
        fwd({ url: `${w.api.url}/slow-body?ms=5000`, headers: { 'x-key': '$CLIENT_SECRET' } }, [
          ref,
        ]),
      ),
    });
    expect(res.status).toBe(200);
    await expect(res.text()).rejects.toThrow();
  });

  it('connection refused and reset are UPSTREAM_UNREACHABLE', async () => {
    expect((await send(`http://127.0.0.2:${closedPort}/`)).json.error.code).toBe(
      'UPSTREAM_UNREACHABLE',
    );
    const reset = await send(`${w.api.url}/reset`);
    expect(reset.status).toBe(502);
    expect(reset.json.error.code).toBe('UPSTREAM_UNREACHABLE');
  });

  it('a name that does not resolve is UPSTREAM_UNREACHABLE', async () => {
    expect((await send('http://nonexistent.invalid/')).json.error.code).toBe(
      'UPSTREAM_UNREACHABLE',
    );
  });

  it.each([
    ['loopback not exempt', () => `http://127.0.0.1:${w.api.port}/`],
    ['localhost', () => `http://localhost:${w.api.port}/`],
    ['another loopback address', () => 'http://127.0.0.4/'],
    ['metadata', () => 'http://169.254.169.254/latest/meta-data/'],
    ['IPv6 loopback', () => 'http://[::1]/'],
    ['private', () => 'http://10.0.0.1/'],
    ['decimal spelling of 169.254.169.254', () => 'http://2852039166/'],
  ])('refuses %s even when it is in the allowed hosts (HOST_NOT_ALLOWED)', async (_label, url) => {
    const res = await send(url());
    expect(res.status).toBe(403);
    expect(res.json.error.code).toBe('HOST_NOT_ALLOWED');
  });

  it('an oversized forward request is PAYLOAD_TOO_LARGE', async () => {
    const res = await send(`${w.api.url}/reflect`, {
      method: 'POST',
      data: { big: 'x'.repeat(70 * 1024), k: '$CLIENT_SECRET' },
    });
    expect(res.status).toBe(413);
    expect(res.json.error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('an oversized answer: PAYLOAD_TOO_LARGE when declared, cut off when streamed', async () => {
    const declared = await send(`${w.api.url}/big?bytes=${1024 * 1024}&declare=1`);
    expect(declared.status).toBe(413);
    expect(declared.json.error.code).toBe('PAYLOAD_TOO_LARGE');
    const res = await fetch(`${w.relay.url}/v1/forward`, {
      method: 'POST',
      headers: { authorization: `Bearer ${w.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(
        fwd(
          { url: `${w.api.url}/big?bytes=${1024 * 1024}`, headers: { 'x-key': '$CLIENT_SECRET' } },
          [ref],
        ),
      ),
    });
    expect(res.status).toBe(200);
    let got = 0;
    await expect(
      (async () => {
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>)
          got += chunk.length;
      })(),
    ).rejects.toThrow();
    expect(got).toBeLessThanOrEqual(256 * 1024);
  });

  it('within the limits everything still works', async () => {
    const ok = await send(`${w.api.url}/big?bytes=${100 * 1024}`);
    expect(ok.status).toBe(200);
    expect(ok.text.length).toBe(100 * 1024);
  });
});
