// The one place where thrown errors become HTTP answers: KeyholeError → its code and status;
// anything else → INTERNAL (or STORE_UNAVAILABLE for a dead database), cause logged, never sent.
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type pino from 'pino';
import { HTTP_STATUS, KeyholeError, type ErrorCode } from '../../shared/errors.js';
import { RELAY_ERROR_HEADER } from '../../shared/protocol/forward.js';
import { isStoreFailure } from '../db/db-errors.js';

/** The headers of an error answer: keyhole-error, no-store, and Retry-After when known. */
export function errorHeaders(err: KeyholeError): Record<string, string> {
  const headers: Record<string, string> = {
    [RELAY_ERROR_HEADER]: err.code,
    'cache-control': 'no-store',
  };
  // The unread rest of an oversized body would be parsed as the next request on a kept-alive
  // connection (the server never drains it): close the connection instead.
  if (err.code === 'PAYLOAD_TOO_LARGE') headers.connection = 'close';
  if (err.retryAfter !== undefined)
    headers['retry-after'] = String(Math.max(1, Math.ceil(err.retryAfter)));
  return headers;
}

/** The JSON error answer, with the keyhole-error header (and Retry-After when known). */
export function errorResponse(c: Context, err: KeyholeError): Response {
  const status = HTTP_STATUS[err.code];
  for (const [name, value] of Object.entries(errorHeaders(err))) c.header(name, value);
  return c.json({ error: err.toBody() }, status as 400);
}

function fromHttpException(err: HTTPException): ErrorCode {
  if (err.status === 413) return 'PAYLOAD_TOO_LARGE';
  if (err.status === 401) return 'UNAUTHENTICATED';
  if (err.status === 404) return 'NOT_FOUND';
  if (err.status >= 400 && err.status < 500) return 'INVALID_REQUEST';
  return 'INTERNAL';
}

/** Any thrown value as the KeyholeError to answer with; causes of unexpected ones are logged. */
export function toRelayError(err: unknown, logger: pino.Logger, path: string): KeyholeError {
  if (err instanceof KeyholeError) return err;
  if (err instanceof HTTPException) return new KeyholeError(fromHttpException(err));
  if (isStoreFailure(err)) {
    logger.error({ err, path }, 'store unavailable');
    return new KeyholeError('STORE_UNAVAILABLE');
  }
  logger.error({ err, path }, 'unhandled error');
  return new KeyholeError('INTERNAL');
}

export function createOnError(logger: pino.Logger) {
  return (err: unknown, c: Context): Response =>
    errorResponse(c, toRelayError(err, logger, c.req.path));
}
