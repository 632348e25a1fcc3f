// A small JSON client for driving relays in tests: every call has a deadline, so a hang is a
// failure with a name rather than a stuck test.
import { request, type Dispatcher } from 'undici';

export interface Reply {
  status: number;
  headers: Record<string, string>;
  text: string;
  json: unknown;
  /** the relay's own error code (`keyhole-error` header or `error.code` in the body) */
  code: string | undefined;
}

export interface CallOptions {
  token?: string;
  timeoutMs?: number;
  dispatcher?: Dispatcher;
  headers?: Record<string, string>;
}

export async function call(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  opts: CallOptions = {},
): Promise<Reply> {
  const headers: Record<string, string> = { ...opts.headers };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  const timeout = opts.timeoutMs ?? 15_000;
  const res = await request(new URL(path, base), {
    method: method as Dispatcher.HttpMethod,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    headersTimeout: timeout,
    bodyTimeout: timeout,
    signal: AbortSignal.timeout(timeout),
    ...(opts.dispatcher ? { dispatcher: opts.dispatcher } : {}),
  });
  const text = await res.body.text();
  const flat: Record<string, string> = {};
  for (const [k, v] of Object.entries(res.headers)) {
    if (v !== undefined) flat[k] = Array.isArray(v) ? v.join(', ') : v;
  }
  let json: unknown;
  try {
    json = text.length > 0 ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  const bodyCode = (json as { error?: { code?: unknown } } | undefined)?.error?.code;
  const code = flat['keyhole-error'] ?? (typeof bodyCode === 'string' ? bodyCode : undefined);
  return { status: res.statusCode, headers: flat, text, json, code };
}

/** Throw unless the reply is 2xx; the message names the path and the code. */
export function ok<T>(reply: Reply, what: string): T {
  if (reply.status < 200 || reply.status > 299) {
    throw new Error(
      `${what}: HTTP ${reply.status} ${reply.code ?? ''} ${reply.text.slice(0, 200)}`,
    );
  }
  return reply.json as T;
}
