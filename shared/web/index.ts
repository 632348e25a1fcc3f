// The web SDK (`GET /v1/web.js`, package export `keyhole/web`): a site's own secret for every
// visitor, through a grant (docs/protocol.md, "Grants"). Same API and error codes as the extension's
// bridge; with `byok: true` the visitor's extension is used first when it may use that name.
// Dependency-free at runtime (bundled by server/routes/web/ with esbuild): no libsodium, no zod.
import { decodeBase64url, encodeBase64url } from '../crypto/base64url.js';
import { webError, type WebError } from './errors.js';
import { formToParams } from './form.js';

export type { WebError } from './errors.js';

type Callback = (value: unknown) => void;
type IdTokenSource = () => string | null | undefined | Promise<string | null | undefined>;

export interface ConnectOptions {
  /** the relay's base url, e.g. https://relay.example */
  relay: string;
  /** secret name → grant token (`khg_…`, from `keyhole grant create`) */
  grants?: Record<string, string>;
  /** locked grants: the visitor's ID token (a JWT), asked for before each call */
  idToken?: IdTokenSource | string;
  /** use the visitor's own secret through the Keyhole extension first, when it may */
  byok?: boolean;
}

export interface KeyholeProvider {
  clientSecretRequest(input: unknown): Promise<unknown>;
  fetch(input: unknown, init?: unknown): Promise<Response>;
  secrets: { has(name: string): Promise<boolean> };
}

export interface KeyholeWeb extends KeyholeProvider {
  /** the extension's page API when it announced itself (byok), else null */
  extension(): KeyholeProvider | null;
}

const TOKEN_RE = /^khg_[A-Za-z0-9_-]{66}$/;
const PLACEHOLDER_RE = /\$\(secret:([A-Za-z0-9][A-Za-z0-9_.-]{0,63})\)/g;
const NULL_BODY_STATUS = new Set([101, 103, 204, 205, 304]);
const READY_EVENT = 'keyhole:ready';
const REQUEST_READY_EVENT = 'keyhole:request-ready';

/** The grant id inside a token (its bytes 1..16); the token itself is checked by the relay. */
function grantIdOf(token: string): string | null {
  if (!TOKEN_RE.test(token)) return null;
  try {
    return encodeBase64url(decodeBase64url(token.slice(4)).subarray(1, 17));
  } catch {
    return null;
  }
}

function looksLikeProvider(v: unknown): v is KeyholeProvider {
  const p = v as KeyholeProvider | null | undefined;
  return (
    typeof p === 'object' &&
    p !== null &&
    typeof p.clientSecretRequest === 'function' &&
    typeof p.fetch === 'function' &&
    typeof p.secrets?.has === 'function'
  );
}

function safeCall(cb: unknown, value: unknown): void {
  if (typeof cb !== 'function') return;
  try {
    (cb as Callback)(value);
  } catch {
    // the page's own callback threw: not ours to report
  }
}

function parseBody(text: string, contentType: string): unknown {
  if (/[/+]json\b/i.test(contentType)) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }
  return text;
}

export function connect(options: ConnectOptions): KeyholeWeb {
  if (typeof options !== 'object' || options === null || typeof options.relay !== 'string') {
    throw webError('INVALID_REQUEST');
  }
  const relay = options.relay.replace(/\/+$/, '');
  const grants: Record<string, string> = { ...(options.grants ?? {}) };
  const win = typeof window === 'undefined' ? undefined : window;
  let provider: KeyholeProvider | null = null;

  if (options.byok && win) {
    // Announce by event (EIP-6963 style): the bridge answers a request with `keyhole:ready`.
    win.addEventListener(READY_EVENT, (ev: Event) => {
      const p = (ev as CustomEvent<{ provider?: unknown }>).detail?.provider;
      if (looksLikeProvider(p)) provider = p;
    });
    win.dispatchEvent(new Event(REQUEST_READY_EVENT));
  }

  function extension(): KeyholeProvider | null {
    if (!options.byok) return null;
    if (provider) return provider;
    const global = (win as unknown as { keyhole?: unknown } | undefined)?.keyhole;
    return looksLikeProvider(global) ? global : null;
  }

  /** The extension, if byok is on and it lets this origin use every name. */
  async function viaExtension(names: string[]): Promise<KeyholeProvider | null> {
    const ext = extension();
    if (!ext || names.length === 0) return null;
    try {
      for (const name of names) if (!(await ext.secrets.has(name))) return null;
      return ext;
    } catch {
      return null;
    }
  }

  async function idToken(): Promise<string | undefined> {
    const src = options.idToken;
    if (src === undefined) return undefined;
    const t = typeof src === 'function' ? await src() : src;
    return typeof t === 'string' && t.length > 0 ? t : undefined;
  }

  /** One grant forward; relay errors reject, the upstream's answer (any status) resolves. */
  async function send(name: string, request: Record<string, unknown>, signal?: AbortSignal) {
    const token = Object.hasOwn(grants, name) ? grants[name] : undefined;
    if (token === undefined) throw webError('SECRET_NOT_FOUND');
    const id = grantIdOf(token);
    if (!id) throw webError('GRANT_INVALID');
    const body: Record<string, unknown> = { name, request };
    const t = await idToken();
    if (t !== undefined) body.idToken = t;
    let res: Response;
    try {
      res = await fetch(`${relay}/v1/grants/${id}/forward`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
        credentials: 'omit',
        mode: 'cors',
        ...(signal ? { signal } : {}),
      });
    } catch (err) {
      if ((err as { name?: string }).name === 'AbortError') throw err;
      throw webError('RELAY_UNAVAILABLE');
    }
    const code = res.headers.get('keyhole-error');
    if (code) {
      let detail: {
        code?: unknown;
        status?: number;
        body?: unknown;
        message?: unknown;
        retryAfter?: unknown;
      } = {};
      try {
        detail = ((await res.json()) as { error?: typeof detail }).error ?? {};
      } catch {
        // the header says enough
      }
      throw webError(code, {
        status: detail.status,
        body: detail.body,
        message: detail.message,
        retryAfter: detail.retryAfter ?? res.headers.get('retry-after'),
      });
    }
    return res;
  }

  async function clientSecretRequest(input: unknown): Promise<unknown> {
    let raw: Record<string, unknown>;
    if (typeof Event !== 'undefined' && input instanceof Event) {
      input.preventDefault();
      const target = input.target;
      if (typeof HTMLFormElement === 'undefined' || !(target instanceof HTMLFormElement))
        throw webError('INVALID_REQUEST');
      raw = formToParams(target);
    } else if (typeof HTMLFormElement !== 'undefined' && input instanceof HTMLFormElement) {
      raw = formToParams(input);
    } else if (typeof input === 'object' && input !== null) {
      raw = input as Record<string, unknown>;
    } else {
      throw webError('INVALID_REQUEST');
    }
    const name = raw.clientSecretName;
    const ext = typeof name === 'string' ? await viaExtension([name]) : null;
    if (ext) return ext.clientSecretRequest(raw);
    try {
      if (typeof name !== 'string' || typeof raw.url !== 'string')
        throw webError('INVALID_REQUEST');
      const request: Record<string, unknown> = {
        url: raw.url,
        method: typeof raw.method === 'string' ? raw.method.toUpperCase() : 'GET',
        headers: raw.headers ?? {},
      };
      if (raw.data !== undefined) request.data = raw.data;
      if (raw.params !== undefined) request.params = raw.params;
      const res = await send(name, JSON.parse(JSON.stringify(request)) as Record<string, unknown>);
      const onStream = raw.stream === true ? raw.onStream : undefined;
      let text = '';
      if (res.body) {
        const reader = res.body.getReader();
        const decoder = new TextDecoder();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          const piece = decoder.decode(value, { stream: true });
          text += piece;
          if (piece) safeCall(onStream, piece);
        }
        const rest = decoder.decode();
        text += rest;
        if (rest) safeCall(onStream, rest);
      }
      const parsed = parseBody(text, res.headers.get('content-type') ?? '');
      if (res.status < 200 || res.status > 299) {
        throw webError('UPSTREAM_ERROR', { status: res.status, body: parsed });
      }
      safeCall(raw.onResponse, parsed);
      return parsed;
    } catch (err) {
      const e = (err as WebError).code ? err : webError('INVALID_REQUEST');
      safeCall(raw.onError, e);
      throw e;
    }
  }

  /** The grant names a `$(secret:NAME[.field])` placeholder can mean (the longest name wins). */
  function namesIn(texts: string[]): string[] {
    const found = new Set<string>();
    const known = Object.keys(grants).sort((a, b) => b.length - a.length);
    for (const text of texts) {
      for (const m of text.matchAll(PLACEHOLDER_RE)) {
        const ref = m[1]!;
        found.add(known.find((n) => ref === n || ref.startsWith(`${n}.`)) ?? ref);
      }
    }
    return [...found];
  }

  async function keyholeFetch(input: unknown, init?: unknown): Promise<Response> {
    const opts = (typeof init === 'object' && init !== null ? init : {}) as RequestInit;
    let url: string;
    let method = 'GET';
    let headers = new Headers();
    let body: string | undefined;
    if (typeof Request !== 'undefined' && input instanceof Request) {
      url = input.url;
      method = input.method;
      headers = new Headers(input.headers);
      if (input.body) body = await input.text();
    } else if (input instanceof URL) {
      url = input.href;
    } else if (typeof input === 'string') {
      url = input;
    } else {
      throw webError('INVALID_REQUEST');
    }
    if (typeof opts.method === 'string') method = opts.method.toUpperCase();
    if (opts.headers !== undefined) headers = new Headers(opts.headers);
    if (opts.body !== undefined && opts.body !== null) {
      const b = opts.body as unknown;
      if (typeof b === 'string') body = b;
      else if (b instanceof URLSearchParams) {
        if (!headers.has('content-type'))
          headers.set('content-type', 'application/x-www-form-urlencoded;charset=UTF-8');
        body = b.toString();
      } else if (b instanceof ArrayBuffer || ArrayBuffer.isView(b) || b instanceof Blob) {
        body = await new Response(b as BodyInit).text();
      } else if (typeof FormData !== 'undefined' && b instanceof FormData) {
        throw webError('INVALID_REQUEST');
      } else if (typeof b === 'object') {
        if (!headers.has('content-type')) headers.set('content-type', 'application/json');
        body = JSON.stringify(b);
      } else throw webError('INVALID_REQUEST');
    }
    const record: Record<string, string> = {};
    headers.forEach((v, k) => (record[k] = v));
    const names = namesIn([url, ...Object.values(record), body ?? '']);
    const ext = await viaExtension(names);
    if (ext) return ext.fetch(input, init);
    if (names.length === 0) throw webError('PLACEHOLDER_MISSING');
    // A grant forward carries one secret.
    if (names.length > 1) throw webError('INVALID_REQUEST');
    const request: Record<string, unknown> = { url, method, headers: record };
    if (body !== undefined) request.data = body;
    const res = await send(names[0]!, request, opts.signal ?? undefined);
    const nullBody = NULL_BODY_STATUS.has(res.status) || method === 'HEAD';
    return new Response(nullBody ? null : res.body, {
      status: res.status,
      statusText: res.statusText,
      headers: res.headers,
    });
  }

  async function has(name: string): Promise<boolean> {
    if (typeof name !== 'string') return false;
    if ((await viaExtension([name])) !== null) return true;
    return Object.hasOwn(grants, name) && grantIdOf(grants[name]!) !== null;
  }

  return Object.freeze({
    clientSecretRequest,
    fetch: keyholeFetch,
    secrets: Object.freeze({ has }),
    extension,
  });
}
