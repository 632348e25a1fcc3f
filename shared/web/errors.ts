// The web SDK's errors: the same shape and codes as the extension bridge's (an `Error` with
// `.code`, `.status`/`.body` for UPSTREAM_ERROR, `.retryAfter` in seconds for RATE_LIMITED). The
// message is the relay's own when it gave one (it says what to fix: which grant limit refused;
// relay messages never carry secret material or echoed input), else the code's default.
import { defaultMessage, isErrorCode, PAGE_ERROR_CODES } from '../errors.js';

export type WebError = Error & {
  code: string;
  status?: number;
  body?: unknown;
  retryAfter?: number;
};

const MAX_MESSAGE = 400;

const PAGE_CODES = new Set<string>(PAGE_ERROR_CODES);

/** Any code the relay may answer → one a page may receive. */
export function toWebCode(code: unknown): string {
  if (typeof code === 'string' && PAGE_CODES.has(code)) return code;
  if (code === 'DECRYPTION_FAILED' || code === 'NOT_FOUND' || code === 'FORBIDDEN')
    return 'GRANT_INVALID';
  if (code === 'STORE_UNAVAILABLE' || code === 'INTERNAL') return 'RELAY_UNAVAILABLE';
  return 'INVALID_REQUEST';
}

export function webError(
  code: unknown,
  extra: { status?: number; body?: unknown; message?: unknown; retryAfter?: unknown } = {},
): WebError {
  const c = toWebCode(code);
  // The relay's message only when the code is the relay's own (not one mapped from another).
  const own =
    c === code && typeof extra.message === 'string' && extra.message.length > 0
      ? extra.message.slice(0, MAX_MESSAGE)
      : undefined;
  const err = new Error(
    own ?? (isErrorCode(c) ? defaultMessage(c) : 'Request failed.'),
  ) as WebError;
  err.name = 'KeyholeError';
  err.code = c;
  if (c === 'UPSTREAM_ERROR') {
    if (typeof extra.status === 'number') err.status = extra.status;
    if (extra.body !== undefined) err.body = extra.body;
  }
  if (c === 'RATE_LIMITED') {
    const seconds = Number(extra.retryAfter);
    if (Number.isFinite(seconds) && seconds > 0) err.retryAfter = seconds;
  }
  return err;
}
