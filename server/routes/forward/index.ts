// GET /v1/forward/requests/:id (docs/forward.md, "Queue and poll"). Mounted by createApp at
// /v1/forward. POST /v1/forward itself has one handler, on Node's own request and response
// (handler.ts, wired by createRelay): there is no Hono route for it.
import { Hono } from 'hono';
import { KeyholeError } from '../../../shared/errors.js';
import type { AppDeps } from '../../deps.js';
import type { AppEnv } from '../../http/app-env.js';
import { requireSession } from '../../middleware/session.js';
import { findRequest, toTicket } from '../../db/forward-requests-repo.js';
import type { ForwardCore } from './core.js';

const REQUEST_ID = /^[A-Za-z0-9_-]{22}$/;

export function createForwardRoutes(deps: AppDeps, core: ForwardCore): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const session = requireSession(deps);

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
