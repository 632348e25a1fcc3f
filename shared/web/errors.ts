// The web SDK's errors: the same shape and codes as the extension bridge's (an `Error` with
// `.code`, and `.status`/`.body` for UPSTREAM_ERROR), generic messages only.
import { defaultMessage, isErrorCode, PAGE_ERROR_CODES } from '../errors.js';

export type WebError = Error & { code: string; status?: number; body?: unknown };

const PAGE_CODES = new Set<string>(PAGE_ERROR_CODES);

/** Any code the relay may answer → one a page may receive. */
export function toWebCode(code: unknown): string {
  if (typeof code === 'string' && PAGE_CODES.has(code)) return code;
  if (code === 'DECRYPTION_FAILED' || code === 'NOT_FOUND' || code === 'FORBIDDEN')
    return 'GRANT_INVALID';
  if (code === 'STORE_UNAVAILABLE' || code === 'INTERNAL') return 'RELAY_UNAVAILABLE';
  return 'INVALID_REQUEST';
}

export function webError(code: unknown, extra: { status?: number; body?: unknown } = {}): WebError {
  const c = toWebCode(code);
  const err = new Error(isErrorCode(c) ? defaultMessage(c) : 'Request failed.') as WebError;
  err.name = 'KeyholeError';
  err.code = c;
  if (c === 'UPSTREAM_ERROR') {
    if (typeof extra.status === 'number') err.status = extra.status;
    if (extra.body !== undefined) err.body = extra.body;
  }
  return err;
}
