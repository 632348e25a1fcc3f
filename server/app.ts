// createApp(deps): the relay's Hono app. Pure wiring; no I/O at import or construction.
import { Hono } from 'hono';
import { KeyholeError } from '../shared/errors.js';
import type { AppDeps } from './deps.js';
import type { AppEnv } from './env.js';
import { createOnError, errorResponse } from './http/on-error.js';
import { limitBody } from './middleware/body-limit.js';
import { requestLog } from './middleware/request-log.js';
import { createAccountRoutes } from './routes/accounts/index.js';
import { createAuthRoutes } from './routes/auth/index.js';
import { createForwardRoutes } from './routes/forward/index.js';
import { createMetaRoutes } from './routes/meta/index.js';
import { createTeamRoutes } from './routes/teams/index.js';
import { createVaultRoutes } from './routes/vaults/index.js';
import { createServices } from './services.js';

export type { AppDeps } from './deps.js';
export type { AppEnv } from './env.js';
export { requireSession } from './middleware/session.js';

export function createApp(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const services = createServices(deps);

  app.use('*', requestLog(deps.logger));
  app.use('*', async (c, next) => {
    await next();
    // A streamed answer (forward) was written to Node's response directly and set its own headers;
    // touching c.res here would only build a throw-away Response per request.
    if (c.res.headers.has('x-hono-already-sent')) return;
    c.header('x-content-type-options', 'nosniff');
    if (!c.res.headers.has('cache-control')) c.header('cache-control', 'no-store');
  });

  // Bodies are capped before any route reads them. The forward routes set their own limits.
  const capped = limitBody(deps.config.maxBodyBytes);
  app.use('/v1/auth/*', capped);
  app.use('/v1/accounts/*', capped);
  app.use('/v1/vaults/*', capped);

  app.route('/v1', createMetaRoutes(deps));
  app.route('/v1/auth', createAuthRoutes(deps, services));
  app.route('/v1/accounts', createAccountRoutes(deps));
  app.route('/v1/vaults', createVaultRoutes(deps, services));
  app.route('/v1/forward', createForwardRoutes(deps));
  app.route('/v1', createTeamRoutes(deps)); // /v1/teams/*, /v1/keys/:email

  app.notFound((c) => errorResponse(c, new KeyholeError('NOT_FOUND', 'No such route.')));
  app.onError(createOnError(deps.logger));
  return app;
}
