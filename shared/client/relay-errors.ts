// Turns a relay error answer (`{ error: { code, message, ... } }` + `keyhole-error` header) into
// a KeyholeError, keeping only the fields the error table defines.
import { KeyholeError, isErrorCode, type ErrorCode } from '../errors.js';
import { RELAY_ERROR_HEADER } from '../protocol/forward.js';

export async function errorFromResponse(res: Response): Promise<KeyholeError> {
  let body: unknown = null;
  try {
    body = await res.json();
  } catch {
    // not JSON: fall back on the header and the status
  }
  const error = isObject(body) && isObject(body.error) ? body.error : {};
  const headerCode = res.headers.get(RELAY_ERROR_HEADER);
  const code: ErrorCode = isErrorCode(error.code)
    ? error.code
    : isErrorCode(headerCode)
      ? headerCode
      : codeForStatus(res.status);
  const message = typeof error.message === 'string' ? error.message.slice(0, 1000) : undefined;
  const extra: { status?: number; body?: unknown; retryAfter?: number; details?: unknown } = {};
  if (typeof error.status === 'number') extra.status = error.status;
  if ('body' in error) extra.body = error.body;
  if ('details' in error) extra.details = error.details;
  const retryAfter =
    typeof error.retryAfter === 'number'
      ? error.retryAfter
      : Number(res.headers.get('retry-after'));
  if (Number.isFinite(retryAfter) && retryAfter > 0) extra.retryAfter = retryAfter;
  return new KeyholeError(code, message, extra);
}

/** A status without a Keyhole code (a proxy in front of the relay, say). */
function codeForStatus(status: number): ErrorCode {
  if (status === 401) return 'UNAUTHENTICATED';
  if (status === 403) return 'FORBIDDEN';
  if (status === 404) return 'NOT_FOUND';
  if (status === 409) return 'CONFLICT';
  if (status === 413) return 'PAYLOAD_TOO_LARGE';
  if (status === 429) return 'RATE_LIMITED';
  if (status === 502 || status === 503 || status === 504) return 'RELAY_UNAVAILABLE';
  if (status >= 400 && status < 500) return 'INVALID_REQUEST';
  return 'INTERNAL';
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
