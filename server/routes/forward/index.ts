// POST /v1/forward (the upstream answer streamed back, or 202 ticket for queue/poll) and
// GET /v1/forward/requests/:id (docs/forward.md). Mounted by createApp at /v1/forward.
// On a real server, POST /v1/forward is answered by the Node fast path (node-handler.ts) before
// Hono sees it; this route serves app.request() and anything the fast path passes on.
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import { Hono, type Context } from 'hono';
import { KeyholeError } from '../../../shared/errors.js';
import type { AppDeps } from '../../deps.js';
import type { AppEnv } from '../../env.js';
import { bearerTokenHash, requireSession } from '../../middleware/session.js';
import { findRequest, toTicket } from '../../relay/forward-requests-repo.js';
import type { Forwarder } from '../../relay/forwarder.js';
import { checkDeclaredLength, ForwardCore, readIncoming, runForward, tooLarge } from './core.js';

export interface ForwardRouteOptions {
  /** a prebuilt forwarder (tests: stub DNS); default: one per app, built on first use */
  forwarder?: Forwarder;
  /** the core shared with the Node fast path (createRelay); default: a core of its own */
  core?: ForwardCore;
}

const REQUEST_ID = /^[A-Za-z0-9_-]{22}$/;

async function readBody(c: Context<AppEnv>, max: number): Promise<string> {
  const incoming = (c.env as Partial<AppEnv['Bindings']> | undefined)?.incoming;
  checkDeclaredLength(
    incoming ? incoming.headers['content-length'] : c.req.header('content-length'),
    max,
  );
  if (
    incoming &&
    incoming.readableFlowing === null &&
    !incoming.readableEnded &&
    !incoming.destroyed
  ) {
    return readIncoming(incoming, max);
  }
  const buf = await c.req.arrayBuffer();
  if (buf.byteLength > max) throw tooLarge(max);
  return Buffer.from(buf).toString('utf8');
}

export function createForwardRoutes(
  deps: AppDeps,
  options: ForwardRouteOptions = {},
): Hono<AppEnv> {
  const core = options.core ?? new ForwardCore(deps, options.forwarder);
  const app = new Hono<AppEnv>();
  const session = requireSession(deps);

  // The session is checked by runForward, in one statement with the first secret's membership.
  app.post('/', async (c) => {
    const incoming = (c.env as Partial<AppEnv['Bindings']> | undefined)?.incoming;
    const tokenHash = bearerTokenHash(
      incoming ? incoming.headers.authorization : c.req.header('authorization'),
    );
    const t0 = performance.now();
    const text = await readBody(c, core.forwarder.config.maxRequestBytes);
    const outgoing = (c.env as Partial<AppEnv['Bindings']> | undefined)?.outgoing;
    const out = await runForward(core, tokenHash, text, outgoing, t0);
    if (out.kind === 'ticket') return c.json(out.ticket, 202);
    if (out.kind === 'buffered') return out.response;
    return RESPONSE_ALREADY_SENT;
  });

  app.get('/requests/:id', session, async (c) => {
    const id = c.req.param('id');
    if (!REQUEST_ID.test(id)) throw new KeyholeError('NOT_FOUND', 'No such request.');
    const row = await findRequest(deps.store.db, id, c.get('accountId'));
    if (!row) throw new KeyholeError('NOT_FOUND', 'No such request.');
    if (Number(row.expires_at) <= core.forwarder.now()) throw new KeyholeError('REQUEST_EXPIRED');
    return c.json(toTicket(row));
  });

  return app;
}
