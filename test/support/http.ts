// The one HTTP client tests drive relays with: a JSON call with a deadline (a hang is a failure
// with a name, not a stuck test), redirects never followed (a 3xx comes back as it is), and the
// relay's error code read from the `keyhole-error` header or the body.
import { request, type Dispatcher } from 'undici';

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  /** the body parsed as JSON, or undefined when it is not JSON */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any;
  /** the relay's own error code (`keyhole-error` header or `error.code` in the body) */
  code: string | undefined;
}

export interface CallOptions {
  /** session token, sent as `Authorization: Bearer …` */
  token?: string;
  /** sent as JSON */
  body?: unknown;
  /** sent as it is, with the JSON content type (for malformed bodies) */
  raw?: string;
  headers?: Record<string, string>;
  /** deadline for the whole call; default 30 s */
  timeoutMs?: number;
  dispatcher?: Dispatcher;
}

export async function call(
  base: string,
  method: string,
  path: string,
  opts: CallOptions = {},
): Promise<Reply> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  const body = opts.raw ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body));
  if (body !== undefined) headers['content-type'] ??= 'application/json';
  const timeout = opts.timeoutMs ?? 30_000;
  const res = await request(base + path, {
    method: method as Dispatcher.HttpMethod,
    headers,
    body,
    headersTimeout: timeout,
    bodyTimeout: timeout,
    signal: AbortSignal.timeout(timeout),
    ...(opts.dispatcher ? { dispatcher: opts.dispatcher } : {}),
  });
  const text = await res.body.text();
  const flat = new Headers();
  for (const [k, v] of Object.entries(res.headers)) {
    if (v === undefined) continue;
    for (const one of Array.isArray(v) ? v : [v]) flat.append(k, one);
  }
  return { status: res.statusCode, headers: flat, ...parseBody(text, flat) };
}

/** A fetch() Response as a Reply (for callers that need fetch itself, e.g. a browser-like one). */
export async function readReply(res: Response): Promise<Reply> {
  const text = await res.text();
  return { status: res.status, headers: res.headers, ...parseBody(text, res.headers) };
}

function parseBody(text: string, headers: Headers): Pick<Reply, 'text' | 'json' | 'code'> {
  let json: unknown;
  try {
    json = text.length > 0 ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  const bodyCode = (json as { error?: { code?: unknown } } | undefined)?.error?.code;
  const code =
    headers.get('keyhole-error') ?? (typeof bodyCode === 'string' ? bodyCode : undefined);
  return { text, json, code };
}

const CONNECTION_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
]);

/** Whether a call failed because its connection did (refused, reset, closed): no answer at all. */
export function isConnectionError(err: unknown): boolean {
  const e = err as { code?: unknown; cause?: { code?: unknown } } | undefined;
  const code = e?.code ?? e?.cause?.code;
  return typeof code === 'string' && CONNECTION_CODES.has(code);
}

/** Throw unless the reply is 2xx; the message names what was attempted and the code. */
export function ok<T>(reply: Reply, what: string): T {
  if (reply.status < 200 || reply.status > 299) {
    throw new Error(
      `${what}: HTTP ${reply.status} ${reply.code ?? ''} ${reply.text.slice(0, 200)}`,
    );
  }
  return reply.json as T;
}
