// e2e helpers: a mock third-party API on 127.0.0.2 (records what it received) and the test pages,
// served from two origins (http://127.0.0.1:P and http://127.0.0.3:P).
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readBody } from '../support/mock-api.js';

export interface Received {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface MockApi {
  origin: string;
  port: number;
  received: Received[];
  close(): Promise<void>;
}

function listen(server: Server, host: string, port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
  });
}

function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

const CORS = {
  'access-control-allow-origin': '*',
  'access-control-allow-headers': '*',
  'access-control-allow-methods': 'GET, POST, PUT, PATCH, DELETE',
};

/**
 * /echo → JSON of what arrived; /stream → 5 chunks 30 ms apart; /fail → 401 JSON; /reflect,
 * /reflect-stream, /fail-echo (401) and /redirect?to= (302) echo the Authorization header;
 * /slow?ms= answers late; /uecho[?status=] → JSON whose `echo` is the bearer token with every other
 * character written as a `\uXXXX` escape (no fixed form a relay can list; JSON.parse decodes it);
 * anything else → text.
 */
export async function startMockApi(host = '127.0.0.2'): Promise<MockApi> {
  const received: Received[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const body = await readBody(req);
      const url = new URL(req.url ?? '/', 'http://x');
      if (req.method === 'OPTIONS') {
        res.writeHead(204, CORS).end();
        return;
      }
      received.push({
        method: req.method ?? '',
        path: url.pathname + url.search,
        headers: req.headers,
        body,
      });
      if (url.pathname === '/echo' || url.pathname === '/bench') {
        const auth = String(req.headers.authorization ?? '');
        res.writeHead(200, { 'content-type': 'application/json', ...CORS });
        // Never reflect the credential itself: report only that one arrived and its length.
        res.end(
          JSON.stringify({
            ok: true,
            method: req.method,
            path: url.pathname,
            query: url.search,
            authLength: auth.length,
            body,
          }),
        );
      } else if (url.pathname === '/stream') {
        res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', ...CORS });
        let i = 0;
        const timer = setInterval(() => {
          res.write(`chunk-${i}\n`);
          if (++i === 5) {
            clearInterval(timer);
            res.end();
          }
        }, 30);
      } else if (url.pathname === '/fail') {
        res.writeHead(401, { 'content-type': 'application/json', ...CORS });
        res.end(JSON.stringify({ error: 'bad key' }));
      } else if (url.pathname === '/reflect') {
        // A hostile upstream that echoes the credential back: the relay must scrub it.
        res.writeHead(200, { 'content-type': 'text/plain', ...CORS });
        res.end(`you sent ${String(req.headers.authorization ?? '')}`);
      } else if (url.pathname === '/reflect-stream') {
        // The echo in small pieces, 20 ms apart, split inside the credential.
        const text = `you sent ${String(req.headers.authorization ?? '')}\n`;
        res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', ...CORS });
        let at = 0;
        const timer = setInterval(() => {
          res.write(text.slice(at, at + 7));
          at += 7;
          if (at >= text.length) {
            clearInterval(timer);
            res.end();
          }
        }, 20);
      } else if (url.pathname === '/fail-echo') {
        // An error answer that echoes the credential: the page gets status and a scrubbed body.
        res.writeHead(401, { 'content-type': 'application/json', ...CORS });
        res.end(JSON.stringify({ error: 'bad key', got: String(req.headers.authorization ?? '') }));
      } else if (url.pathname === '/redirect') {
        // A redirect to `?to=` (another host) carrying the credential: nobody may follow it.
        const auth = encodeURIComponent(String(req.headers.authorization ?? ''));
        res.writeHead(302, { location: `${url.searchParams.get('to')}/steal?k=${auth}`, ...CORS });
        res.end();
      } else if (url.pathname === '/uecho') {
        const token = String(req.headers.authorization ?? '').replace(/^Bearer /, '');
        const mixed = [...token]
          .map((c, i) => (i % 2 === 0 ? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}` : c))
          .join('');
        res.writeHead(Number(url.searchParams.get('status') ?? 200), {
          'content-type': 'application/json',
          ...CORS,
        });
        res.end(`{"ok":true,"echo":"${mixed}"}`);
      } else if (url.pathname === '/slow') {
        const timer = setTimeout(
          () => {
            res.writeHead(200, { 'content-type': 'application/json', ...CORS });
            res.end(JSON.stringify({ ok: true, slow: true }));
          },
          Number(url.searchParams.get('ms') ?? 2000),
        );
        res.on('close', () => clearTimeout(timer));
      } else {
        res.writeHead(200, { 'content-type': 'text/plain', ...CORS });
        res.end('hello');
      }
    })();
  });
  const port = await listen(server, host);
  return { origin: `http://${host}:${port}`, port, received, close: () => close(server) };
}

export interface Trap {
  origin: string;
  /** TCP connections accepted and requests seen: both must stay 0 */
  connections: number;
  requests: string[];
  close(): Promise<void>;
}

/** "Another host" (127.0.0.3 by default) that nothing may ever reach: counts what arrives. */
export async function startTrap(host = '127.0.0.3'): Promise<Trap> {
  const server = createServer((req, res) => {
    trap.requests.push(`${req.method} ${req.url}`);
    res.writeHead(200, CORS).end('trapped');
  });
  server.on('connection', () => trap.connections++);
  const port = await listen(server, host);
  const trap: Trap = {
    origin: `http://${host}:${port}`,
    connections: 0,
    requests: [],
    close: () => close(server),
  };
  return trap;
}

export interface PageServer {
  /** http://127.0.0.1:P */
  originA: string;
  /** http://127.0.0.3:P2 */
  originB: string;
  close(): Promise<void>;
}

const PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>Keyhole e2e</title></head>
<body><h1>Keyhole test page</h1><div id="out"></div>
<form id="f">
  <input name="clientSecretName" type="hidden" value="">
  <input name="url" type="hidden" value="">
  <input name="method" type="hidden" value="POST">
  <input name="headers[Authorization]" type="hidden" value="Bearer $CLIENT_SECRET">
  <input name="headers[Content-Type]" type="hidden" value="application/json">
  <input name="data[n]" type="number" value="3">
  <textarea name="data[prompt]">an otter</textarea>
  <input type="submit" value="Go">
</form>
<script>
  window.__ready = new Promise((resolve) => {
    if (window.keyhole) resolve(true);
    window.addEventListener('keyhole:ready', () => resolve(true), { once: true });
    window.dispatchEvent(new Event('keyhole:request-ready'));
  });
</script>
</body></html>`;

function framePage(src: string): string {
  return `<!doctype html><html><body><h1>parent</h1><iframe id="child" src="${src}"></iframe></body></html>`;
}

/**
 * The same pages on two origins; `/frame?src=URL` embeds URL in an iframe, `/sandbox?src=URL` in a
 * sandboxed one (`allow-scripts` only: an opaque origin).
 */
export async function startPages(): Promise<PageServer> {
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://x');
    res.setHeader('content-type', 'text/html; charset=utf-8');
    if (url.pathname === '/frame') res.end(framePage(url.searchParams.get('src') ?? 'about:blank'));
    else if (url.pathname === '/sandbox')
      res.end(
        framePage(url.searchParams.get('src') ?? 'about:blank').replace(
          '<iframe ',
          '<iframe sandbox="allow-scripts" ',
        ),
      );
    else res.end(PAGE);
  };
  const a = createServer(handler);
  const b = createServer(handler);
  const pa = await listen(a, '127.0.0.1');
  const pb = await listen(b, '127.0.0.3');
  return {
    originA: `http://127.0.0.1:${pa}`,
    originB: `http://127.0.0.3:${pb}`,
    close: async () => {
      await close(a);
      await close(b);
    },
  };
}
