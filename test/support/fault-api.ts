// A misbehaving third-party API for reliability tests, bound to 127.0.0.2: answers well, slowly,
// or breaks the connection at chosen points; records arrival order for queue tests.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface Arrival {
  seq: string;
  start: number;
  end: number;
}

export interface FaultApi {
  host: string;
  port: number;
  /** `host:port`, for KEYHOLE_ALLOW_PRIVATE and allowed hosts */
  hostPort: string;
  origin: string;
  /** requests seen, by path prefix */
  hits: Map<string, number>;
  arrivals: Arrival[];
  /** how many /record requests ran at the same time, at most */
  maxConcurrentRecord: number;
  /** requests whose Authorization header carried `expectedAuth` */
  authorized: number;
  /** e.g. `Bearer <secret>`: set once the test's secret exists */
  expectedAuth: string | undefined;
  close(): Promise<void>;
}

/**
 * Paths: /ok, /echo (reflects method, url, headers and body), /slow?ms=N, /reset (socket destroyed before any answer), /half-headers (part of the
 * status line, then reset), /half-body (Content-Length 1000, 100 bytes sent, then reset),
 * /half-chunked (one chunk, then reset), /record?ms=N (arrival order by ?seq= or the x-seq
 * header, held N ms).
 */
export async function startFaultApi(opts: { host?: string } = {}): Promise<FaultApi> {
  const host = opts.host ?? '127.0.0.2';
  const sockets = new Set<Socket>();
  let recordInFlight = 0;
  const api: FaultApi = {
    host,
    port: 0,
    hostPort: '',
    origin: '',
    hits: new Map(),
    arrivals: [],
    maxConcurrentRecord: 0,
    authorized: 0,
    expectedAuth: undefined,
    close: async () => {},
  };
  const okBody = JSON.stringify({ ok: true, padding: 'x'.repeat(900) });

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://x');
    const path = url.pathname;
    api.hits.set(path, (api.hits.get(path) ?? 0) + 1);
    if (api.expectedAuth && req.headers.authorization === api.expectedAuth) api.authorized += 1;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      switch (path) {
        case '/echo': {
          // Reflects everything it got, secret included: the relay must scrub it on the way back.
          const echo = JSON.stringify({
            method: req.method,
            url: req.url,
            headers: req.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          });
          res.writeHead(200, {
            'content-type': 'application/json',
            'x-echo-auth': String(req.headers.authorization ?? ''),
          });
          res.end(echo);
          return;
        }
        case '/ok':
          res.writeHead(200, {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(okBody),
          });
          res.end(okBody);
          return;
        case '/slow': {
          const ms = Number(url.searchParams.get('ms') ?? 1000);
          setTimeout(() => {
            if (!res.destroyed)
              res.writeHead(200, { 'content-type': 'application/json' }).end('{"slow":true}');
          }, ms);
          return;
        }
        case '/reset':
          req.socket.resetAndDestroy();
          return;
        case '/half-headers':
          req.socket.write('HTTP/1.1 200 OK\r\nContent-Type: appl');
          setTimeout(() => req.socket.resetAndDestroy(), 20);
          return;
        case '/half-body':
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': 1000 });
          res.write('{"partial":"' + 'y'.repeat(86));
          setTimeout(() => req.socket.resetAndDestroy(), 20);
          return;
        case '/half-chunked':
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.write('first chunk;');
          setTimeout(() => req.socket.resetAndDestroy(), 20);
          return;
        case '/record': {
          const header = req.headers['x-seq'];
          const seq = url.searchParams.get('seq') ?? (typeof header === 'string' ? header : '');
          const ms = Number(url.searchParams.get('ms') ?? 30);
          const start = Date.now();
          recordInFlight += 1;
          api.maxConcurrentRecord = Math.max(api.maxConcurrentRecord, recordInFlight);
          setTimeout(() => {
            recordInFlight -= 1;
            api.arrivals.push({ seq, start, end: Date.now() });
            res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ seq }));
          }, ms);
          return;
        }
        default:
          res
            .writeHead(404, { 'content-type': 'application/json' })
            .end('{"error":"no such path"}');
      }
    });
  };

  const server: Server = createServer({ keepAliveTimeout: 30_000 }, handle);
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('clientError', (_err, socket) => socket.destroy());
  server.maxConnections = 100_000;
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const port = (server.address() as AddressInfo).port;
  api.port = port;
  api.hostPort = `${host}:${port}`;
  api.origin = `http://${host}:${port}`;
  api.close = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  return api;
}
