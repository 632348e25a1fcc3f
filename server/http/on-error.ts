// The one place where thrown errors become HTTP answers: KeyholeError → its code and status;
// anything else → INTERNAL (or STORE_UNAVAILABLE for a dead database), cause logged, never sent.
// Hono routes answer through errorResponse (onError); POST /v1/forward, served on Node's own
// response, through sendError — the same status, headers and JSON body.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type pino from 'pino';
import { HTTP_STATUS, KeyholeError, type ErrorCode } from '../../shared/errors.js';
import { RELAY_ERROR_HEADER } from '../../shared/protocol/forward.js';
import { isStoreFailure } from '../db/db-errors.js';
import { SECURITY_HEADERS } from './security-headers.js';

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

/** A JSON answer on Node's own response, with the security headers. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: string,
  extra?: Record<string, string>,
): void {
  const headers: Record<string, string> = {
    ...SECURITY_HEADERS,
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(body)),
  };
  if (extra) Object.assign(headers, extra);
  res.writeHead(status, headers);
  res.end(body);
}

/**
 * The JSON error answer on Node's own response (errorResponse's twin). `maxBody`: the body cap of
 * the route, to decide whether an unread rest may be drained or the connection must close.
 */
export function sendError(
  req: IncomingMessage,
  res: ServerResponse,
  err: KeyholeError,
  maxBody: number,
): void {
  // Once the upstream's headers went out, an error cannot become JSON any more: cut the answer.
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return;
  }
  const extra = errorHeaders(err);
  // Answered before the body was read (401, 413): Node drains what is left so the connection can
  // be reused — unless it may be large or endless, then the connection is closed instead.
  if (!req.complete) {
    const declared = Number(req.headers['content-length']);
    if (!(Number.isFinite(declared) && declared <= maxBody)) extra.connection = 'close';
  }
  sendJson(res, HTTP_STATUS[err.code], JSON.stringify({ error: err.toBody() }), extra);
}
