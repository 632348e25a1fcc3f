// The background's decisions about a page call, as pure functions: who is calling (from the
// browser's `sender`, never from the message), and whether a request may go (docs/extension.md, "Before anything leaves").
import { KeyholeError } from '../../shared/errors.js';
import { HTTP_METHODS } from '../../shared/protocol/forward.js';
import type { ForwardRequest } from '../../shared/protocol/forward.js';
import type { SecretPayload } from '../../shared/protocol/secret.js';

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

/** The secret name a call asks for, or INVALID_REQUEST. */
export function requestedName(params: Record<string, unknown>): string {
  const name = params.clientSecretName;
  if (typeof name !== 'string' || name.length === 0 || name.length > 200)
    throw new KeyholeError('INVALID_REQUEST');
  return name;
}

/** Skapi's poll / expires / queue, validated (INVALID_REQUEST): nothing here depends on a secret. */
export function pageOptions(params: Record<string, unknown>): ForwardOptions {
  const out: ForwardOptions = {};
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

export type ForwardOptions = Pick<ForwardRequest, 'queue' | 'expires' | 'poll'>;
