// POST /v1/grants, GET /v1/grants, DELETE /v1/grants/:id (owner session). The grant forward
// itself (POST /v1/grants/:id/forward and its preflight) is served on Node's own request and
// response by forward-handler.ts, like POST /v1/forward. docs/protocol.md "Grants".
import { Hono } from 'hono';
import { KeyholeError } from '../../../shared/errors.js';
import { CreateGrantRequest } from '../../../shared/protocol/grant.js';
import type { AppDeps } from '../../deps.js';
import type { AppEnv } from '../../http/app-env.js';
import { readJson } from '../../http/validate.js';
import { requireSession } from '../../middleware/session.js';
import { createGrant, listGrants, revokeGrant } from '../../db/grants-repo.js';

const GRANT_ID = /^[A-Za-z0-9_-]{22}$/;

export function createGrantRoutes(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const now = deps.now ?? Date.now;
  const session = requireSession(deps);
  app.post('/', session, async (c) => {
    const body = await readJson(c, CreateGrantRequest);
    return c.json(await createGrant(deps.store.db, c.var.accountId, body, now()), 201);
  });
  app.get('/', session, async (c) =>
    c.json({ grants: await listGrants(deps.store.db, c.var.accountId) }),
  );
  app.delete('/:id', session, async (c) => {
    const id = c.req.param('id');
    if (!GRANT_ID.test(id)) throw new KeyholeError('NOT_FOUND', 'No such grant.');
    await revokeGrant(deps.store.db, c.var.accountId, id, now());
    return c.json({ id, revoked: true });
  });
  return app;
}
