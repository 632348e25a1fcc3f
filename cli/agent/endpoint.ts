// The local endpoint behind `keyhole serve` and `keyhole run`: an HTTP server on 127.0.0.1 that
// turns `/t/<token>/s/<secret>/<path…>` into a relay forward to the secret's first allowed host,
// with the caller's dummy credential replaced per the secret's type (credential.ts). Everything
// else (host policy, SSRF guard, redirects, scrubbing, audit) happens on the relay, as for pages.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { KeyholeError, HTTP_STATUS, toErrorBody } from '../../shared/errors.js';
import { parseAllowedHost } from '../../shared/policy/allowed-hosts.js';
import { listPlaceholders } from '../../shared/policy/placeholders.js';
import {
  CONNECTION_HEADERS,
  HTTP_METHODS,
  RELAY_ERROR_HEADER,
  type HttpMethod,
} from '../../shared/protocol/forward.js';
import type { SecretPayload } from '../../shared/protocol/secret.js';
import type { AgentAccess } from './access.js';
import { CALLER_CREDENTIAL_HEADERS, credentialSlot } from './credential.js';

/** The header that may carry the token instead of the `/t/<token>` path prefix. */
export const TOKEN_HEADER = 'keyhole-token';

/** Larger bodies are refused here already (the relay's own limit is 1 MiB by default). */
const MAX_BODY_BYTES = 4 * 1024 * 1024;

/** Request headers never passed on: framing and routing are ours, credentials are replaced. */
const DROPPED = new Set<string>([
  ...CONNECTION_HEADERS,
  'host',
  'expect',
  'accept-encoding',
  'cookie', // a local tool's cookie jar is not the API's business; the relay drops Set-Cookie too
  TOKEN_HEADER,
  ...CALLER_CREDENTIAL_HEADERS,
]);

/** Response headers not copied back: framing (we re-frame) and the already decoded encoding. */
const DROPPED_RESPONSE = new Set<string>([...CONNECTION_HEADERS, 'content-encoding']);

export interface EndpointOptions {
  access: AgentAccess;
  /** 0: any free port */
  port: number;
  /** per-run token; a fresh random one by default */
  token?: string;
  /** one line per request on stderr (never a value, never the token) */
  log?: (line: string) => void;
}

export interface Endpoint {
  port: number;
  token: string;
  /** `http://127.0.0.1:PORT/t/TOKEN`: append `/s/NAME/…` */
  baseUrl: string;
  /** `baseUrl/s/NAME` */
  urlFor(name: string): string;
  close(): Promise<void>;
}

export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

export async function startEndpoint(options: EndpointOptions): Promise<Endpoint> {
  const token = options.token ?? newToken();
  const tokenHash = sha256(token);
  const server: Server = createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => {
      const body = toErrorBody(err);
      options.log?.(`${req.method ?? '?'} refused: ${body.code}: ${body.message}`);
      sendError(res, err);
    });
  });
  let port = options.port;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = Date.now();
    guard(req, port);
    const route = parseRoute(req, tokenHash);
    const secret = await options.access.resolve(route.name);
    const method = checkMethod(req.method);
    const body = await readBody(req, method);
    const forward = buildCall(secret.payload, route.rest, method, req.headers, body);

    const abort = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) abort.abort();
    });
    const upstream = await options.access.forward(
      { clientSecretName: route.name, ...forward },
      abort.signal,
    );
    await pipeResponse(upstream, res);
    options.log?.(
      `${method} /s/${route.name}${pathOnly(route.rest)} → ${upstream.status} (${Date.now() - started} ms)`,
    );
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  const baseUrl = `http://127.0.0.1:${port}/t/${token}`;
  return {
    port,
    token,
    baseUrl,
    urlFor: (name) => `${baseUrl}/s/${encodeURIComponent(name)}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * Refuses what is not a local program talking to us directly: a remote peer, a Host header that is
 * not ours (DNS rebinding: evil.example resolving to 127.0.0.1) and any browser request (Origin,
 * Sec-Fetch-Site; no CORS is ever answered, preflights included).
 */
function guard(req: IncomingMessage, port: number): void {
  if (!isLoopback(req.socket.remoteAddress)) {
    throw new KeyholeError('FORBIDDEN', 'Only programs on this machine may use this endpoint.');
  }
  const host = (req.headers.host ?? '').toLowerCase();
  const ours = [`127.0.0.1:${port}`, `localhost:${port}`];
  if (port === 80) ours.push('127.0.0.1', 'localhost');
  if (!ours.includes(host)) {
    throw new KeyholeError(
      'FORBIDDEN',
      `The Host header must be 127.0.0.1:${port} or localhost:${port}.`,
    );
  }
  if (
    req.method === 'OPTIONS' ||
    req.headers.origin !== undefined ||
    req.headers['sec-fetch-site'] !== undefined
  ) {
    throw new KeyholeError('FORBIDDEN', 'Browsers may not use this endpoint (no CORS).');
  }
}

function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return v4 === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

interface Route {
  name: string;
  /** path and query after `/s/NAME`, starting with `/` */
  rest: string;
}

/** `/t/<token>/s/<name>/rest` or (token in the Keyhole-Token header) `/s/<name>/rest`. */
function parseRoute(req: IncomingMessage, tokenHash: Buffer): Route {
  let path = req.url ?? '/';
  let given: string | undefined;
  const inPath = /^\/t\/([^/?#]*)(.*)$/s.exec(path);
  if (inPath) {
    given = inPath[1];
    path = inPath[2] || '/';
  } else {
    const header = req.headers[TOKEN_HEADER];
    given = Array.isArray(header) ? header[0] : header;
  }
  // Hashes have equal lengths, so the comparison takes the same time whatever was sent.
  if (given === undefined || !timingSafeEqual(sha256(given), tokenHash)) {
    throw new KeyholeError(
      'UNAUTHENTICATED',
      'Missing or wrong endpoint token: use the URL printed by `keyhole serve` (…/t/TOKEN/s/NAME/…).',
    );
  }
  const m = /^\/s\/([^/?#]+)(.*)$/s.exec(path);
  if (!m) {
    throw new KeyholeError(
      'NOT_FOUND',
      'Use /s/NAME/path…, where NAME is a secret enabled for agents.',
    );
  }
  let name: string;
  try {
    name = decodeURIComponent(m[1]!);
  } catch {
    throw new KeyholeError('INVALID_REQUEST', 'The secret name is not valid percent-encoding.');
  }
  const rest = m[2] ?? '';
  return { name, rest: rest.startsWith('/') ? rest : `/${rest}` };
}

function checkMethod(method: string | undefined): HttpMethod {
  const upper = (method ?? 'GET').toUpperCase();
  if (!(HTTP_METHODS as readonly string[]).includes(upper)) {
    throw new KeyholeError('INVALID_REQUEST', `Method ${upper.slice(0, 16)} is not supported.`);
  }
  return upper as HttpMethod;
}

async function readBody(req: IncomingMessage, method: HttpMethod): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) {
      throw new KeyholeError(
        'PAYLOAD_TOO_LARGE',
        `The request body is over ${MAX_BODY_BYTES} bytes.`,
      );
    }
    chunks.push(chunk);
  }
  if (method === 'GET' || method === 'HEAD' || size === 0) return undefined;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
  } catch {
    throw new KeyholeError(
      'INVALID_REQUEST',
      'Only text bodies (JSON, form, text) can go through the local endpoint.',
    );
  }
}

/** The request template for the relay: destination, the caller's headers, the credential slot. */
function buildCall(
  payload: SecretPayload,
  rest: string,
  method: HttpMethod,
  incoming: IncomingHttpHeaders,
  data: string | undefined,
): { url: string; method: HttpMethod; headers: Record<string, string>; data?: string } {
  const rule = parseAllowedHost(payload.allowedHosts[0] ?? '');
  if (!rule || rule.wildcard) {
    throw new KeyholeError(
      'INVALID_REQUEST',
      `The first allowed host of ${payload.name} must be one exact host (not *.host): it is where ` +
        'the local endpoint sends requests. Reorder with `keyhole secret update NAME --host H …`.',
    );
  }
  const defaultPort = rule.scheme === 'https' ? 443 : 80;
  const origin = `${rule.scheme}://${rule.host}${rule.port === defaultPort ? '' : `:${rule.port}`}`;
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(incoming)) {
    const name = key.toLowerCase();
    if (value === undefined || DROPPED.has(name) || name.startsWith('proxy-')) continue;
    if (name.startsWith('sec-fetch-')) continue;
    headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  let url = origin + rest;
  // The caller never writes placeholders: a `$CLIENT_SECRET` in its path, headers or body would
  // otherwise be filled in by the relay, wherever the caller chose to put it.
  if (listPlaceholders({ url, method, headers, data }).length > 0) {
    throw new KeyholeError(
      'INVALID_REQUEST',
      'The request contains a Keyhole placeholder ($CLIENT_SECRET or $(secret:…)): the local ' +
        'endpoint places the secret itself; send your request without one.',
    );
  }
  const authorization = incoming.authorization;
  const slot = credentialSlot(
    payload,
    rule.host,
    Array.isArray(authorization) ? authorization[0] : authorization,
  );
  if (slot.kind === 'header') {
    headers[slot.name.toLowerCase()] = slot.value;
  } else if (slot.kind === 'query') {
    url = withQueryParam(url, slot.name, slot.value);
  }
  const call: { url: string; method: HttpMethod; headers: Record<string, string>; data?: string } =
    { url, method, headers };
  if (data !== undefined) call.data = data;
  return call;
}

/**
 * Sets one query parameter on a raw url, replacing the caller's own (a dummy key). String work,
 * not `new URL()`: the rest of the url reaches the relay exactly as the caller wrote it, and the
 * placeholder's `$` stays literal.
 */
export function withQueryParam(url: string, name: string, value: string): string {
  const hash = url.indexOf('#');
  const base = hash === -1 ? url : url.slice(0, hash);
  const q = base.indexOf('?');
  const path = q === -1 ? base : base.slice(0, q);
  const pairs = q === -1 ? [] : base.slice(q + 1).split('&');
  const kept = pairs.filter((pair) => {
    if (pair === '') return false;
    const key = pair.split('=')[0] ?? '';
    try {
      return decodeURIComponent(key.replace(/\+/g, ' ')) !== name;
    } catch {
      return true;
    }
  });
  kept.push(`${encodeURIComponent(name)}=${value}`);
  return `${path}?${kept.join('&')}`;
}

function pathOnly(rest: string): string {
  const q = rest.indexOf('?');
  return q === -1 ? rest : rest.slice(0, q);
}

async function pipeResponse(upstream: Response, res: ServerResponse): Promise<void> {
  const headers: Record<string, string> = {};
  upstream.headers.forEach((value, key) => {
    if (!DROPPED_RESPONSE.has(key)) headers[key] = value;
  });
  res.writeHead(upstream.status, headers);
  // Headers out now: an SSE client waits for them before the first event.
  res.flushHeaders();
  if (!upstream.body) {
    res.end();
    return;
  }
  const reader = upstream.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      // Each chunk is written as it arrives (server-sent events pass event by event).
      if (!res.write(value)) await new Promise((resolve) => res.once('drain', resolve));
      if (res.destroyed) break;
    }
    res.end();
  } catch {
    res.destroy();
  } finally {
    reader.releaseLock();
  }
}

function sendError(res: ServerResponse, err: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = toErrorBody(err);
  res.writeHead(HTTP_STATUS[body.code], {
    'content-type': 'application/json',
    [RELAY_ERROR_HEADER]: body.code,
    'cache-control': 'no-store',
  });
  res.end(JSON.stringify({ error: body }));
}
