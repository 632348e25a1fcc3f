// Shared pieces for the invariant-*.test.ts suites: a DNS stub preloaded into the REAL relay
// process (so a name can resolve to any address we choose), connection-counting local listeners,
// byte scans of files and text, and polling helpers. Test-only.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ForwardTicket } from '../../shared/protocol/forward.js';

/**
 * Environment for spawnRelay that makes the relay's `dns.lookup` answer `table` for the listed
 * names (every other name goes to the system resolver). The stub is an `--import` preload that
 * replaces `node:dns/promises` `lookup` before the relay loads, so the relay's own code — the SSRF
 * guard and its connector — runs unchanged.
 */
export function dnsStubEnv(table: Record<string, string[]>): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), 'keyhole-dns-stub-'));
  const file = join(dir, 'dns-stub.mjs');
  writeFileSync(
    file,
    `import { createRequire, syncBuiltinESMExports } from 'node:module';
const require = createRequire(import.meta.url);
const dnsp = require('node:dns/promises');
const dns = require('node:dns');
const table = JSON.parse(process.env.KEYHOLE_TEST_DNS ?? '{}');
const original = dnsp.lookup;
async function lookup(host, options) {
  const answers = table[String(host).toLowerCase()];
  if (!answers) return original(host, options);
  const out = answers.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  return options && options.all ? out : out[0];
}
dnsp.lookup = lookup;
dns.promises.lookup = lookup;
syncBuiltinESMExports();
`,
  );
  const prior = process.env.NODE_OPTIONS ?? '';
  return {
    NODE_OPTIONS: `${prior} --import=${file}`.trim(),
    KEYHOLE_TEST_DNS: JSON.stringify(table),
  };
}

/** An HTTP listener that counts every TCP connection and request it gets (a canary). */
export interface Canary {
  host: string;
  port: number;
  hostPort: string;
  connections: number;
  requests: { method: string; path: string; headers: IncomingMessage['headers'] }[];
  close(): Promise<void>;
}

export async function startCanary(host: string, port = 0): Promise<Canary> {
  const sockets = new Set<Socket>();
  const canary: Canary = {
    host,
    port: 0,
    hostPort: '',
    connections: 0,
    requests: [],
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  const server: Server = createServer((req, res) => {
    canary.requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers });
    req.resume();
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('canary reached');
  });
  server.on('connection', (s: Socket) => {
    canary.connections += 1;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  canary.port = (server.address() as AddressInfo).port;
  canary.hostPort = host.includes(':') ? `[${host}]:${canary.port}` : `${host}:${canary.port}`;
  return canary;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `read` until `done` holds (or the time is up) and returns the last value. */
export async function waitFor<T>(
  read: () => T | Promise<T>,
  done: (v: T) => boolean,
  timeoutMs = 5000,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  let v = await read();
  while (!done(v) && Date.now() < until) {
    await sleep(50);
    v = await read();
  }
  return v;
}

/** Polls GET /v1/forward/requests/:id until the ticket is done or failed. */
export async function settledTicket(
  relayUrl: string,
  token: string,
  requestId: string,
): Promise<ForwardTicket> {
  return waitFor(
    async () => {
      const res = await fetch(`${relayUrl}/v1/forward/requests/${requestId}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      return (await res.json()) as ForwardTicket;
    },
    (t) => t.state === 'done' || t.state === 'failed',
  );
}

/** A needle to look for: a label (never the value, so failures do not print secrets) and bytes. */
export interface Needle {
  label: string;
  bytes: Buffer;
}

/** Text forms of a secret string: raw, base64, base64url, URL-encoded, JSON-escaped. */
export function textForms(label: string, value: string): Needle[] {
  const forms: [string, string][] = [
    ['raw', value],
    ['base64', Buffer.from(value).toString('base64')],
    ['base64url', Buffer.from(value).toString('base64url')],
    ['url-encoded', encodeURIComponent(value)],
    ['json-escaped', JSON.stringify(value).slice(1, -1)],
  ];
  const seen = new Set<string>();
  const out: Needle[] = [];
  for (const [kind, text] of forms) {
    if (seen.has(text)) continue;
    seen.add(text);
    out.push({ label: `${label} (${kind})`, bytes: Buffer.from(text, 'utf8') });
  }
  return out;
}

/** Forms of a raw key: base64url, base64, lower/upper hex text, and the raw bytes themselves. */
export function keyForms(label: string, key: Uint8Array): Needle[] {
  const buf = Buffer.from(key);
  return [
    { label: `${label} (base64url)`, bytes: Buffer.from(buf.toString('base64url')) },
    { label: `${label} (base64)`, bytes: Buffer.from(buf.toString('base64')) },
    { label: `${label} (hex)`, bytes: Buffer.from(buf.toString('hex')) },
    { label: `${label} (HEX)`, bytes: Buffer.from(buf.toString('hex').toUpperCase()) },
    { label: `${label} (raw bytes)`, bytes: buf },
  ];
}

/** Labels of the needles found in any blob ("needle in blob-name"). */
export function findNeedles(blobs: Record<string, Buffer>, needles: Needle[]): string[] {
  const found: string[] = [];
  for (const [name, blob] of Object.entries(blobs))
    for (const n of needles)
      if (n.bytes.length > 0 && blob.includes(n.bytes)) found.push(`${n.label} in ${name}`);
  return found;
}
