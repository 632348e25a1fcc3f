// The background's decisions about a page call, as pure functions: who is calling (from the
// browser's `sender`, never from the message), and whether a request may go (DESIGN.md step 3).
import { KeyholeError } from '../../shared/errors.js';
import {
  checkDestination,
  findPlaceholders,
  resolveRef,
  templateHasPlaceholder,
} from '../../shared/policy/index.js';
import { HTTP_METHODS, RequestTemplate } from '../../shared/protocol/forward.js';
import type { ForwardRequest } from '../../shared/protocol/forward.js';
import type { SecretPayload } from '../../shared/protocol/secret.js';
import type { FetchTemplate } from '../bridge/messages.js';

/** The parts of chrome.runtime.MessageSender we judge by. */
export interface SenderLike {
  id?: string;
  origin?: string;
  url?: string;
  tab?: { id?: number; url?: string };
  frameId?: number;
}

/**
 * The web origin of the frame whose content script opened the port, or null when it is not a
 * http(s) page of ours to answer (another extension, an extension page, an opaque origin).
 * A cross-origin iframe has its own sender, so it is judged by its own origin.
 */
export function callerOrigin(sender: SenderLike | undefined, extensionId: string): string | null {
  if (!sender || sender.id !== extensionId || !sender.tab) return null;
  let origin = sender.origin;
  if (origin === undefined && sender.url) {
    try {
      origin = new URL(sender.url).origin;
    } catch {
      return null;
    }
  }
  if (!origin || origin === 'null' || !/^https?:\/\/[^/]+$/.test(origin)) return null;
  return origin;
}

/**
 * The origin of the top-level page the caller runs in (the tab's url; the extension has host
 * access, so the browser fills it in). Shown in the approval window and used for the queue's
 * per-site limits; undefined when unknown or not http(s).
 */
export function topOrigin(sender: SenderLike | undefined): string | undefined {
  const url = sender?.tab?.url;
  if (!url) return undefined;
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.origin : undefined;
  } catch {
    return undefined;
  }
}

/** True for a message from one of our own extension pages (popup, approval window). */
export function isExtensionPage(
  sender: SenderLike | undefined,
  self: { id: string; origin: string },
  path?: string,
): boolean {
  if (!sender || sender.id !== self.id || !sender.url) return false;
  let url: URL;
  try {
    url = new URL(sender.url);
  } catch {
    return false;
  }
  // protocol + host, not url.origin: WHATWG gives 'null' for non-special schemes outside browsers.
  if (`${url.protocol}//${url.host}` !== self.origin) return false;
  return path === undefined || url.pathname === path;
}

/** What to do about an origin that wants a secret. */
export type Access = 'allow' | 'ask' | 'refuse';

/**
 * `refuse` when the secret does not exist, so that a page cannot tell a missing name from one it
 * may not use; `ask` only for an existing secret the user has not decided on for this origin.
 */
export function decideAccess(
  payload: SecretPayload | undefined,
  origin: string,
  deniedBefore: boolean,
): Access {
  if (!payload) return 'refuse';
  if (payload.allowedOrigins.includes(origin)) return 'allow';
  return deniedBefore ? 'refuse' : 'ask';
}

/** A page's Skapi params, validated; errors in the order of DESIGN.md step 3 (host, placeholder, shape). */
export interface PageRequest {
  name: string;
  template: RequestTemplate;
  poll?: number;
  expires?: number;
  queue?: string;
  stream: boolean;
}

const MAX_PARAMS_BYTES = 1024 * 1024;

/** The secret name a call asks for, or INVALID_REQUEST. */
export function requestedName(params: Record<string, unknown>): string {
  const name = params.clientSecretName;
  if (typeof name !== 'string' || name.length === 0 || name.length > 200)
    throw new KeyholeError('INVALID_REQUEST');
  return name;
}

function stringifyHeaders(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value))
    out[k] = typeof v === 'number' || typeof v === 'boolean' ? String(v) : v;
  return out;
}

/** Parse and check Skapi params against one secret's allowed hosts. */
export function checkPageRequest(
  params: Record<string, unknown>,
  allowedHosts: readonly string[],
  /** the named secret signs the request (sigv4, hmac): no placeholder needed */
  signs = false,
): PageRequest {
  const name = requestedName(params);
  if (typeof params.url !== 'string') throw new KeyholeError('INVALID_REQUEST');
  checkDestination(params.url, allowedHosts);
  const method = typeof params.method === 'string' ? params.method.toUpperCase() : 'GET';
  const parsed = RequestTemplate.safeParse({
    url: params.url,
    method,
    headers: stringifyHeaders(params.headers ?? {}),
    data: params.data,
    params: params.params,
  });
  const loose = {
    url: params.url,
    headers: (typeof params.headers === 'object' && params.headers !== null
      ? params.headers
      : {}) as Record<string, string>,
    data: params.data,
    params: (typeof params.params === 'object' && params.params !== null
      ? params.params
      : undefined) as Record<string, string> | undefined,
  };
  if (!signs && !templateHasPlaceholder(parsed.success ? parsed.data : loose))
    throw new KeyholeError('PLACEHOLDER_MISSING');
  if (!parsed.success) throw new KeyholeError('INVALID_REQUEST');
  let size: number;
  try {
    size = JSON.stringify(params).length;
  } catch {
    // A page can post what JSON cannot hold (BigInt, cycles) through structured clone.
    throw new KeyholeError('INVALID_REQUEST');
  }
  if (size > MAX_PARAMS_BYTES) throw new KeyholeError('PAYLOAD_TOO_LARGE');
  return { name, template: parsed.data, stream: params.stream === true, ...pageOptions(params) };
}

/** Skapi's poll / expires / queue, validated (INVALID_REQUEST): nothing here depends on a secret. */
export function pageOptions(
  params: Record<string, unknown>,
): Pick<PageRequest, 'poll' | 'expires' | 'queue'> {
  const out: Pick<PageRequest, 'poll' | 'expires' | 'queue'> = {};
  if (params.poll !== undefined) {
    if (typeof params.poll !== 'number' || !Number.isFinite(params.poll) || params.poll < 0) {
      throw new KeyholeError('INVALID_REQUEST');
    }
    out.poll = Math.floor(params.poll);
  }
  if (params.expires !== undefined) {
    if (
      typeof params.expires !== 'number' ||
      !Number.isInteger(params.expires) ||
      params.expires < 1 ||
      params.expires > 86_400
    ) {
      throw new KeyholeError('INVALID_REQUEST');
    }
    out.expires = params.expires;
  }
  if (params.queue !== undefined) {
    if (typeof params.queue !== 'string' || params.queue.length > 128)
      throw new KeyholeError('INVALID_REQUEST');
    out.queue = params.queue;
  }
  return out;
}

/** The destination host and method as the approval window shows them (no check: display only). */
export function describeDestination(
  url: unknown,
  method: unknown,
): { host: string; method: string } {
  let host = '(invalid url)';
  if (typeof url === 'string') {
    try {
      const u = new URL(url);
      host = `${u.protocol}//${u.host}`;
    } catch {
      // keep the placeholder text
    }
  }
  const m = typeof method === 'string' ? method.toUpperCase() : 'GET';
  return { host, method: (HTTP_METHODS as readonly string[]).includes(m) ? m : 'GET' };
}

/** Secret names a keyhole.fetch() template refers to, in order of first use (`$(secret:NAME[.field])`). */
export function fetchSecretNames(
  t: FetchTemplate,
  knownNames: readonly string[],
): { refs: string[]; names: string[] } {
  const texts = [t.url, ...Object.values(t.headers), t.body ?? ''];
  const refs: string[] = [];
  for (const text of texts)
    for (const tok of findPlaceholders(text))
      if (tok.ref && !refs.includes(tok.ref)) refs.push(tok.ref);
  const names: string[] = [];
  for (const ref of refs) {
    // An unknown name stays as written: the caller answers ORIGIN_NOT_ALLOWED for it.
    const name = resolveRef(ref, knownNames)?.name ?? ref;
    if (!names.includes(name)) names.push(name);
  }
  return { refs, names };
}

/** Validate a keyhole.fetch() template against every secret it uses. */
export function checkFetchTemplate(
  t: FetchTemplate,
  payloads: readonly SecretPayload[],
): RequestTemplate {
  if (typeof t.url !== 'string') throw new KeyholeError('INVALID_REQUEST');
  for (const p of payloads) checkDestination(t.url, p.allowedHosts);
  const parsed = RequestTemplate.safeParse({
    url: t.url,
    method: typeof t.method === 'string' ? t.method.toUpperCase() : 'GET',
    headers: t.headers,
    data: t.body,
  });
  if (!parsed.success) throw new KeyholeError('INVALID_REQUEST');
  if (!templateHasPlaceholder(parsed.data)) throw new KeyholeError('PLACEHOLDER_MISSING');
  if ((t.body?.length ?? 0) > MAX_PARAMS_BYTES) throw new KeyholeError('PAYLOAD_TOO_LARGE');
  return parsed.data;
}

export type ForwardOptions = Pick<ForwardRequest, 'queue' | 'expires' | 'poll'>;
