// Page-visible errors: an `Error` with `.code` (and `.status`/`.body` for UPSTREAM_ERROR), nothing else.
import { defaultMessage, isErrorCode, PAGE_ERROR_CODES } from '../../shared/errors.js';
import type { PageErrorBody } from './messages.js';

export type PageError = Error & { code: string; status?: number; body?: unknown };

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
  extra: { status?: number; body?: unknown } = {},
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
  return out;
}

/** Build the Error the page sees from a body that came over the port. */
export function makePageError(body: PageErrorBody): PageError {
  const safe = pageErrorBody(body.code, { status: body.status, body: body.body });
  const err = new Error(safe.message) as PageError;
  err.name = 'KeyholeError';
  err.code = safe.code;
  if (safe.status !== undefined) err.status = safe.status;
  if (safe.body !== undefined) err.body = safe.body;
  return err;
}
