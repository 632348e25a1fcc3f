// Page-visible errors: an `Error` with `.code` (and `.status`/`.body` for UPSTREAM_ERROR), nothing else.
import { defaultMessage, isErrorCode, PAGE_ERROR_CODES } from '../../shared/errors.js';
import type { PageErrorBody } from './messages.js';

export type PageError = Error & {
  code: string;
  status?: number;
  body?: unknown;
  reason?: string;
  allowPrivate?: string;
};

export const PRIVATE_ADDRESS = 'PRIVATE_ADDRESS';
/** host:port only (what the relay's KEYHOLE_ALLOW_PRIVATE takes): nothing else reaches the page. */
const HOST_PORT_RE = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]{1,253}):\d{1,5}$/;

/** The relay's refusal of a private address, told apart from "not in the allowed hosts". */
export function privateAddressHint(details: unknown): string | undefined {
  const d = details as { reason?: unknown; host?: unknown } | undefined;
  if (d?.reason !== PRIVATE_ADDRESS) return undefined;
  return typeof d.host === 'string' && HOST_PORT_RE.test(d.host) ? d.host : 'host:port';
}

export function privateAddressMessage(hostPort: string): string {
  return `The relay refuses private addresses; start it with KEYHOLE_ALLOW_PRIVATE=${hostPort}.`;
}

const PAGE_CODES = new Set<string>(PAGE_ERROR_CODES);

/** Map any code to one a page may receive; messages are always the generic ones. */
export function toPageCode(code: unknown): string {
  if (typeof code === 'string' && PAGE_CODES.has(code)) return code;
  if (code === 'UNAUTHENTICATED') return 'VAULT_LOCKED';
  if (code === 'SECRET_NOT_FOUND' || code === 'NOT_FOUND' || code === 'FORBIDDEN')
    return 'ORIGIN_NOT_ALLOWED';
  if (code === 'STORE_UNAVAILABLE' || code === 'INTERNAL') return 'RELAY_UNAVAILABLE';
  return 'INVALID_REQUEST';
}

/** The only error body that leaves the background for a page. */
export function pageErrorBody(
  code: unknown,
  extra: { status?: number; body?: unknown; allowPrivate?: string | undefined } = {},
): PageErrorBody {
  const c = toPageCode(code);
  const out: PageErrorBody = {
    code: c,
    message: isErrorCode(c) ? defaultMessage(c) : 'Request failed.',
  };
  if (c === 'UPSTREAM_ERROR') {
    if (typeof extra.status === 'number') out.status = extra.status;
    if (extra.body !== undefined) out.body = extra.body;
  }
  if (c === 'HOST_NOT_ALLOWED' && extra.allowPrivate !== undefined) {
    const hostPort = privateAddressHint({ reason: PRIVATE_ADDRESS, host: extra.allowPrivate });
    if (hostPort) {
      out.reason = PRIVATE_ADDRESS;
      out.allowPrivate = hostPort;
      out.message = privateAddressMessage(hostPort);
    }
  }
  return out;
}

/** Build the Error the page sees from a body that came over the port. */
export function makePageError(body: PageErrorBody): PageError {
  const safe = pageErrorBody(body.code, {
    status: body.status,
    body: body.body,
    allowPrivate: body.reason === PRIVATE_ADDRESS ? body.allowPrivate : undefined,
  });
  const err = new Error(safe.message) as PageError;
  err.name = 'KeyholeError';
  err.code = safe.code;
  if (safe.status !== undefined) err.status = safe.status;
  if (safe.body !== undefined) err.body = safe.body;
  if (safe.reason !== undefined) err.reason = safe.reason;
  if (safe.allowPrivate !== undefined) err.allowPrivate = safe.allowPrivate;
  return err;
}
