// POST /v1/forward: the one handler, answered on Node's own request and response (no Web
// Request/Response, no middleware chain). Order: bearer token well-formed (401) → body cap (413) →
// runForward (core.ts: session, then body checks, membership, item). Errors through on-error.ts
// like every other route; one request log line like request-log.ts. createRelay() (app.ts) sends
// every POST to /v1/forward here, whatever its query string; Hono has no route for it.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type pino from 'pino';
import { sendError, sendJson, toRelayError } from '../../http/on-error.js';
import { bearerTokenHash } from '../../middleware/session.js';
import { checkDeclaredLength, type ForwardCore, readIncoming, runForward } from './core.js';

export const FORWARD_PATH = '/v1/forward';

/** True for the requests this handler answers: POST /v1/forward, with or without a query. */
export function isForwardPost(req: IncomingMessage): boolean {
  if (req.method !== 'POST') return false;
  const url = req.url ?? '';
  return url === FORWARD_PATH || (url.startsWith(FORWARD_PATH) && url[FORWARD_PATH.length] === '?');
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
  const max = core.forwarder.config.maxRequestBytes;
  try {
    const tokenHash = bearerTokenHash(req.headers.authorization);
    const t0 = performance.now();
    checkDeclaredLength(req.headers['content-length'], max);
    const text = await readIncoming(req, max);
    const out = await runForward(core, tokenHash, text, res, t0);
    if (out.kind === 'ticket') sendJson(res, 202, JSON.stringify(out.ticket));
  } catch (err) {
    sendError(req, res, toRelayError(err, logger, FORWARD_PATH), max);
  }
  if (logger.isLevelEnabled('info')) {
    const ms = Math.round((performance.now() - start) * 10) / 10;
    logger.info({ method: 'POST', path: FORWARD_PATH, status: res.statusCode, ms }, 'request');
  }
}
