// The relay's fast path for POST /v1/forward: answered on Node's own request and response, before
// Hono (no Web Request/Response, no middleware chain). Same checks, same order and same answers as
// the Hono route (index.ts): bearer token well-formed (401) → body cap (413) → runForward (core.ts:
// session, then body checks, membership, item); errors as `{ error }` JSON with keyhole-error, like
// on-error.ts; one request log line like request-log.ts.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type pino from 'pino';
import { HTTP_STATUS, type KeyholeError } from '../../../shared/errors.js';
import { errorHeaders, toRelayError } from '../../http/on-error.js';
import { bearerTokenHash } from '../../middleware/session.js';
import { checkDeclaredLength, type ForwardCore, readIncoming, runForward } from './core.js';

export const FORWARD_PATH = '/v1/forward';

/** True for the requests the fast path answers (anything else goes to Hono). */
export function isForwardPost(req: IncomingMessage): boolean {
  return req.method === 'POST' && req.url === FORWARD_PATH;
}

export function handleForward(
  core: ForwardCore,
  logger: pino.Logger,
  req: IncomingMessage,
  res: ServerResponse,
): void {
  void serve(core, logger, req, res, performance.now());
}

async function serve(
  core: ForwardCore,
  logger: pino.Logger,
  req: IncomingMessage,
  res: ServerResponse,
  start: number,
): Promise<void> {
  try {
    const tokenHash = bearerTokenHash(req.headers.authorization);
    const t0 = performance.now();
    const max = core.forwarder.config.maxRequestBytes;
    checkDeclaredLength(req.headers['content-length'], max);
    const text = await readIncoming(req, max);
    const out = await runForward(core, tokenHash, text, res, t0);
    if (out.kind === 'ticket') sendJson(res, 202, JSON.stringify(out.ticket), undefined);
  } catch (err) {
    sendError(
      req,
      res,
      core.forwarder.config.maxRequestBytes,
      toRelayError(err, logger, FORWARD_PATH),
    );
  }
  if (logger.isLevelEnabled('info')) {
    const ms = Math.round((performance.now() - start) * 10) / 10;
    logger.info({ method: 'POST', path: FORWARD_PATH, status: res.statusCode, ms }, 'request');
  }
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: string,
  extra: Record<string, string> | undefined,
): void {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(body)),
    'x-content-type-options': 'nosniff',
    'cache-control': 'no-store',
  };
  if (extra) Object.assign(headers, extra);
  res.writeHead(status, headers);
  res.end(body);
}

function sendError(
  req: IncomingMessage,
  res: ServerResponse,
  max: number,
  err: KeyholeError,
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
    if (!(Number.isFinite(declared) && declared <= max)) extra.connection = 'close';
  }
  sendJson(res, HTTP_STATUS[err.code], JSON.stringify({ error: err.toBody() }), extra);
}
