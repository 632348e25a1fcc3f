// Test helper: a third-party API stand-in on a loopback address (127.0.0.2, 127.0.0.3 …) that
// records every request it receives and can reflect, redirect, stream SSE, delay, reset, gzip,
// answer hugely, serve an oauth token endpoint and echo a header transformed (a hostile upstream
// that re-encodes what it receives: /transform). Only for tests and benchmarks.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';

const HTML_NAMED: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '/': '&sol;',
  '+': '&plus;',
  '=': '&equals;',
  '~': '&tilde;',
  '%': '&percnt;',
};

/**
 * What a transforming upstream does to the value it received. Written out by hand here, not taken
 * from the scrubber, so the tests check the scrubber against independent encodings.
 */
export function transformValue(value: string, mode: string): string {
  const bytes = Buffer.from(value, 'utf8');
  const cps = [...value];
  switch (mode) {
    case 'hex':
      return bytes.toString('hex');
    case 'HEX':
      return bytes.toString('hex').toUpperCase();
    case 'b64':
      return bytes.toString('base64');
    case 'b64url':
      return bytes.toString('base64url');
    case 'reversed':
      return cps.reverse().join('');
    case 'spaced':
      return cps.join(' ');
    case 'html-dec':
      return cps.map((c) => `&#${c.codePointAt(0)};`).join('');
    case 'html-hex':
      return cps.map((c) => `&#X${c.codePointAt(0)!.toString(16).toUpperCase()};`).join('');
    case 'html-escape':
      return value.replace(/[&<>"']/g, (c) => HTML_NAMED[c]!);
    case 'uesc':
      return cps.map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('');
    case 'UESC':
      return cps
        .map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0').toUpperCase()}`)
        .join('');
    case 'uesc-mixed':
      // every other character escaped: no fixed form a relay could list
      return cps
        .map((c, i) => (i % 2 === 0 ? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}` : c))
        .join('');
    case 'json-slash':
      return JSON.stringify(value).slice(1, -1).replaceAll('/', '\\/');
    case 'pct-lower':
      return encodeURIComponent(value).replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase());
    default:
      return value;
  }
}

export interface RecordedRequest {
  method: string;
  /** path + query as received */
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** the raw header lines as received (names and values, in order) */
  rawHeaders: string[];
  body: string;
  at: number;
}

export interface MockApi {
  url: string;
  host: string;
  port: number;
  /** `host:port` as KEYHOLE_ALLOW_PRIVATE wants it */
  hostPort: string;
  requests: RecordedRequest[];
  /** token endpoint: lifetime of the next tokens (seconds), and how many were issued */
  oauth: {
    lifetimeSec: number;
    issued: number;
    lastGrant?: Record<string, string>;
    lastAuthorization?: string;
  };
  clear(): void;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** /json's answer: ~1 KB of JSON, the size of a typical API reply (the bench uses it too). */
export const JSON_1K = Buffer.from(
  JSON.stringify({
    ok: true,
    items: Array.from({ length: 12 }, (_, i) => ({
      id: i,
      name: `item-${i}`,
      value: 'x'.repeat(40),
    })),
  }),
);

/** A request's whole body as text (what arrived so far, should the client break off). */
export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

function encode(value: string, mode: string | null): string {
  switch (mode) {
    case 'url':
      return encodeURIComponent(value);
    case 'json':
      return JSON.stringify(value).slice(1, -1);
    case 'b64':
      return Buffer.from(value).toString('base64');
    default:
      return value;
  }
}

async function handle(
  api: MockApi,
  req: IncomingMessage,
  res: ServerResponse,
  rec: RecordedRequest,
): Promise<void> {
  const u = new URL(rec.path, 'http://mock');
  const q = (k: string) => u.searchParams.get(k);
  switch (u.pathname) {
    case '/reflect': {
      // Everything the request carried, as JSON (headers, body, path, method).
      const body = JSON.stringify({
        method: rec.method,
        path: rec.path,
        headers: rec.headers,
        body: rec.body,
      });
      res.writeHead(Number(q('status') ?? 200), { 'content-type': 'application/json' });
      res.end(body);
      return;
    }
    case '/reflect-header': {
      // One header's value, in N flushed parts with a pause between (split across chunks), encoded.
      const raw = rec.headers[(q('name') ?? 'authorization').toLowerCase()];
      const value = encode(Array.isArray(raw) ? raw.join(',') : (raw ?? ''), q('mode'));
      const parts = Number(q('parts') ?? 1);
      res.writeHead(200, { 'content-type': 'text/plain', 'x-echo': value });
      const text = `before ${value} after`;
      const size = Math.ceil(text.length / parts);
      for (let i = 0; i < parts; i++) {
        res.write(text.slice(i * size, (i + 1) * size));
        if (i < parts - 1) await sleep(Number(q('delay') ?? 20));
      }
      res.end();
      return;
    }
    case '/transform': {
      // The header `from` (default x-key), with `pre`/`post` around it, transformed by `mode`.
      // `status`, `type` (content type), `file=gzip` (a gzip file, no Content-Encoding),
      // `encoding=gzip`, `sse=N` (N characters per event, OpenAI chunk shape), `split=1` (two
      // headers), `header=1` (x-echo), `json=1` (body {"echo": …} as JSON text).
      const raw = rec.headers[(q('from') ?? 'x-key').toLowerCase()];
      const value = `${q('pre') ?? ''}${Array.isArray(raw) ? raw.join(',') : (raw ?? '')}${q('post') ?? ''}`;
      const t = transformValue(value, q('mode') ?? 'raw');
      const headers: Record<string, string> = {
        'content-type': q('type') ?? (q('sse') ? 'text/event-stream' : 'text/plain'),
      };
      if (q('header') === '1') headers['x-echo'] = t;
      if (q('split') === '1') {
        const half = Math.ceil(t.length / 2);
        headers['x-part-a'] = t.slice(0, half);
        headers['x-part-b'] = t.slice(half);
      }
      const status = Number(q('status') ?? 200);
      const sse = Number(q('sse') ?? 0);
      if (sse > 0) {
        res.writeHead(status, headers);
        for (let i = 0; i < t.length; i += sse) {
          const delta = JSON.stringify({ choices: [{ delta: { content: t.slice(i, i + sse) } }] });
          res.write(`data: ${delta}\n\n`);
          await sleep(Number(q('delay') ?? 5));
        }
        res.end('data: [DONE]\n\n');
        return;
      }
      let body: Buffer = Buffer.from(q('json') === '1' ? `{"echo":"${t}"}` : `before ${t} after`);
      if (q('file') === 'gzip') {
        body = gzipSync(body);
        headers['content-type'] = 'application/gzip';
      }
      if (q('encoding') === 'gzip') {
        body = gzipSync(body);
        headers['content-encoding'] = 'gzip';
      }
      res.writeHead(status, headers);
      res.end(body);
      return;
    }
    case '/json':
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON_1K);
      return;
    case '/redirect':
      res.writeHead(Number(q('status') ?? 302), {
        location: q('to') ?? '/',
        'content-type': 'text/plain',
      });
      res.end('moved');
      return;
    case '/sse': {
      const n = Number(q('n') ?? 100);
      const delay = Number(q('delay') ?? 0);
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      for (let i = 0; i < n; i++) {
        res.write(`data: {"i":${i}}\n\n`);
        if (delay > 0) await sleep(delay);
      }
      res.end();
      return;
    }
    case '/delay': {
      // ?ms= or the x-delay header (so that one templated url can have different delays)
      const ms = Number(q('ms') ?? rec.headers['x-delay'] ?? 100);
      await sleep(ms);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ delayed: ms, tag: q('tag') }));
      return;
    }
    case '/slow-body':
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('start ');
      await sleep(Number(q('ms') ?? 1000));
      res.end('end');
      return;
    case '/reset':
      req.socket.destroy();
      return;
    case '/big': {
      const bytes = Number(q('bytes') ?? 1024);
      const declared = q('declare') === '1';
      res.writeHead(
        200,
        declared
          ? { 'content-type': 'application/octet-stream', 'content-length': String(bytes) }
          : { 'content-type': 'application/octet-stream' },
      );
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      let left = bytes;
      while (left > 0) {
        const n = Math.min(left, chunk.length);
        if (!res.write(chunk.subarray(0, n))) await new Promise((r) => res.once('drain', r));
        left -= n;
        if (res.destroyed) return;
      }
      res.end();
      return;
    }
    case '/gzip-reflect': {
      const body = gzipSync(Buffer.from(JSON.stringify({ headers: rec.headers })));
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      res.end(body);
      return;
    }
    case '/headers':
      res.writeHead(200, {
        'content-type': 'text/plain',
        'set-cookie': 'session=abc; Path=/',
        'keyhole-error': 'FORBIDDEN',
        'strict-transport-security': 'max-age=1',
        'x-custom': 'kept',
        connection: 'close',
      });
      res.end('ok');
      return;
    case '/oauth/token': {
      const form = Object.fromEntries(new URLSearchParams(rec.body));
      api.oauth.lastGrant = form;
      api.oauth.lastAuthorization = String(rec.headers.authorization ?? '');
      api.oauth.issued += 1;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          access_token: `at-${api.oauth.issued}-${Math.random().toString(36).slice(2)}`,
          token_type: 'Bearer',
          expires_in: api.oauth.lifetimeSec,
        }),
      );
      return;
    }
    default:
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: true, path: rec.path }));
  }
}

/** Starts a mock API on `host` (default 127.0.0.2), any free port. */
export async function startMockApi(host = '127.0.0.2', port = 0): Promise<MockApi> {
  const holder: { server?: Server } = {};
  const api: MockApi = {
    url: '',
    host,
    port: 0,
    hostPort: '',
    requests: [],
    oauth: { lifetimeSec: 3600, issued: 0 },
    clear() {
      api.requests.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        holder.server!.closeAllConnections();
        holder.server!.close(() => resolve());
      }),
  };
  const server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      const rec: RecordedRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: { ...req.headers },
        rawHeaders: [...req.rawHeaders],
        body,
        at: Date.now(),
      };
      api.requests.push(rec);
      try {
        await handle(api, req, res, rec);
      } catch {
        res.destroy();
      }
    })();
  });
  holder.server = server;
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  api.port = (server.address() as AddressInfo).port;
  api.url = `http://${host}:${api.port}`;
  api.hostPort = `${host}:${api.port}`;
  return api;
}
