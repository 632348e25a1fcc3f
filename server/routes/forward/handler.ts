// POST /v1/forward, the way one request takes, top to bottom: read body → authenticate → template
// checks → resolve items → policy → substitute and sign → send → stream scrubbed → audit. Each
// step is a function of a module with that one job; this file only puts them in order. A grant
// (routes/grants/forward-handler.ts) authenticates differently and joins at forwardAuthorized.
// Answered on Node's own request and response (no Web Request/Response, no middleware chain):
// createRelay() (app.ts) sends every POST to /v1/forward here, whatever its query string; Hono has
// no route for it. Errors through on-error.ts and one request log line, like every other route.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type pino from 'pino';
import { KeyholeError } from '../../../shared/errors.js';
import type { ForwardTicket } from '../../../shared/protocol/forward.js';
import { ForwardAudit, type GrantAudit } from '../../forward/audit.js';
import { buildRequest, type PreparedForward } from '../../forward/build-request.js';
import { executeWithRefresh } from '../../forward/execute-refresh.js';
import { nodeSink } from '../../forward/node-sink.js';
import { precheck } from '../../forward/precheck.js';
import { checkSecretPolicy } from '../../forward/secret-policy.js';
import { resolveSecrets } from '../../forward/secrets.js';
import { sendError, sendJson, toRelayError } from '../../http/on-error.js';
import { bearerTokenHash } from '../../middleware/session.js';
import { authenticate, type AuthorizedForward } from './authenticate.js';
import type { ForwardCore } from './core.js';
import { readBody } from './read-body.js';

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
    // A missing or malformed token is 401 before a byte of the body is read.
    const tokenHash = bearerTokenHash(req.headers.authorization);
    const t0 = performance.now();
    const text = await readBody(req, max);
    const auth = await authenticate(core.hot, tokenHash, text, core.now());
    const out = await forwardAuthorized(core, auth, res, t0);
    if (out.kind === 'ticket') sendJson(res, 202, JSON.stringify(out.ticket));
  } catch (err) {
    sendError(req, res, toRelayError(err, logger, FORWARD_PATH), max);
  }
  if (logger.isLevelEnabled('info')) {
    const ms = Math.round((performance.now() - start) * 10) / 10;
    logger.info({ method: 'POST', path: FORWARD_PATH, status: res.statusCode, ms }, 'request');
  }
}

export type ForwardOutcome =
  /** the upstream's answer is being streamed into the Node response */
  | { kind: 'streamed' }
  /** queue/poll: answer 202 with this ticket */
  | { kind: 'ticket'; ticket: ForwardTicket };

/** Extra steps of a non-session source (grants: server/routes/grants/forward-handler.ts). */
export interface ForwardHooks {
  audit?: GrantAudit;
  /**
   * Runs on exactly what will be sent, after the secret's own policy (hosts, placement) and
   * before anything leaves; a throw refuses the request (audited, nothing sent).
   */
  beforeSend?: (prepared: PreparedForward) => void | Promise<void>;
}

/**
 * Every step after authentication, for every source of authorisation. `t0`: when the request's
 * handling began (the audit's duration). Errors before the upstream's headers are thrown as
 * KeyholeError; after them the stream is cut (execute.ts).
 */
export async function forwardAuthorized(
  core: ForwardCore,
  { accountId, req, firstRow }: AuthorizedForward,
  res: ServerResponse,
  t0: number,
  hooks?: ForwardHooks,
): Promise<ForwardOutcome> {
  const forwarder = core.forwarder;
  const loading = core.ensureCrypto();
  if (loading) await loading;
  const audit = new ForwardAudit(
    forwarder.audit,
    accountId,
    req,
    t0,
    forwarder.now(),
    hooks?.audit,
  );

  let prepared: PreparedForward | undefined;
  try {
    const template = precheck(req);
    audit.expectSecrets(req.secrets);
    const opened = await resolveSecrets(core.hot, accountId, req.secrets, firstRow, audit);
    const rules = checkSecretPolicy(req, template, opened);
    prepared = await buildRequest(forwarder, req, template, opened, rules);
    if (hooks?.beforeSend) await hooks.beforeSend(prepared);
  } catch (err) {
    audit.refused(err);
    throw err;
  }

  if (req.queue !== undefined || req.poll !== undefined) {
    const ticket = await forwarder.queue.submit(accountId, req, prepared, (r) =>
      audit.record(r.status, r.errorCode, r.durationMs),
    );
    return { kind: 'ticket', ticket };
  }

  audit.sendingTo(prepared.outgoing.dest.url.host);
  // Sent with undici's dispatch, the answer streamed scrubbed straight into Node's response.
  const run = executeWithRefresh(forwarder.agent, prepared, nodeSink(res), forwarder.limits);
  prepared = undefined; // the secret-bearing request lives on only inside the running exchange
  void run.done.then((o) => audit.record(o.status ?? null, o.error?.code ?? null));
  try {
    await run.started;
  } catch (err) {
    throw err instanceof KeyholeError ? err : new KeyholeError('INTERNAL');
  }
  return { kind: 'streamed' };
}
