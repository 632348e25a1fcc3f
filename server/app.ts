// createRelay(deps): the relay's Node request listener, as main.ts serves it — POST /v1/forward to
// its one handler, everything else to the Hono app; the security headers set first on every answer.
// createApp(deps): that Hono app alone (app.request in tests; it has no POST /v1/forward).
// Pure wiring; no I/O at import or construction.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import { Hono } from 'hono';
import { KeyholeError } from '../shared/errors.js';
import type { AppDeps } from './deps.js';
import type { AppEnv } from './http/app-env.js';
import { createOnError, errorResponse } from './http/on-error.js';
import { SECURITY_HEADERS, setSecurityHeaders } from './http/security-headers.js';
import { limitBody } from './middleware/body-limit.js';
import { requestLog } from './middleware/request-log.js';
import { createAccountRoutes } from './routes/accounts/index.js';
import { createAuthRoutes } from './routes/auth/index.js';
import { ForwardCore } from './routes/forward/core.js';
import { createForwardRoutes } from './routes/forward/index.js';
import {
  GrantForwarding,
  handleGrantForward,
  matchGrantForward,
} from './routes/grants/forward-handler.js';
import { createGrantRoutes } from './routes/grants/index.js';
import { handleForward, isForwardPost } from './routes/forward/handler.js';
import { createMetaRoutes } from './routes/meta/index.js';
import { createTeamRoutes } from './routes/teams/index.js';
import { createVaultRoutes } from './routes/vaults/index.js';
import { createWebRoutes } from './routes/web/index.js';
import { createServices } from './services.js';

export type { AppDeps } from './deps.js';
export type { AppEnv } from './http/app-env.js';
export { requireSession } from './middleware/session.js';

export interface Relay {
  app: Hono<AppEnv>;
  /** Node's request listener: POST /v1/forward to its handler, everything else through Hono */
  listener: (req: IncomingMessage, res: ServerResponse) => void;
  /** writes pending audit rows and closes outbound connections (before the store closes) */
  close(): Promise<void>;
}

export function createRelay(deps: AppDeps): Relay {
  const core = new ForwardCore(deps);
  const app = buildApp(deps, core);
  const viaHono = getRequestListener(app.fetch);
  let grants: GrantForwarding | undefined;
  return {
    app,
    listener(req, res) {
      setSecurityHeaders(res);
      if (isForwardPost(req)) return handleForward(core, deps.logger, req, res);
      // Grant forwards: another source of authorisation into the same engine (routes/grants/).
      const grantId = matchGrantForward(req);
      if (grantId !== null) {
        grants ??= new GrantForwarding(core, deps);
        return handleGrantForward(grants, deps.logger, grantId, req, res);
      }
      void viaHono(req, res);
    },
    close: async () => {
      // (grant counters first: they give unused reservations back while the store is open)
      await grants?.close();
      await core.close();
    },
  };
}

export function createApp(deps: AppDeps): Hono<AppEnv> {
  return buildApp(deps, new ForwardCore(deps));
}

function buildApp(deps: AppDeps, core: ForwardCore): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const services = createServices(deps);

  app.use('*', requestLog(deps.logger));
  app.use('*', (c, next) => {
    // Set before the route runs, never after: changing a finished Response makes
    // @hono/node-server rebuild it as a Web Response with a ReadableStream body (measured
    // ~40 µs a request). Under createRelay the listener already put them on Node's response, so
    // whatever the route answers carries them (a route's own Cache-Control wins); app.request
    // (tests) has no Node response.
    const outgoing = (c.env as Partial<AppEnv['Bindings']> | undefined)?.outgoing;
    if (!outgoing) for (const name in SECURITY_HEADERS) c.header(name, SECURITY_HEADERS[name]);
    return next();
  });

  // Bodies are capped before any route reads them. The forward routes set their own limits.
  const capped = limitBody(deps.config.maxBodyBytes);
  app.use('/v1/auth/*', capped);
  app.use('/v1/accounts/*', capped);
  app.use('/v1/vaults/*', capped);
  app.use('/v1/grants', capped);
  app.use('/v1/grants/*', capped);

  app.route('/v1', createMetaRoutes(deps));
  app.route('/v1/auth', createAuthRoutes(deps, services));
  app.route('/v1/accounts', createAccountRoutes(deps));
  app.route('/v1/vaults', createVaultRoutes(deps, services));
  app.route('/v1/forward', createForwardRoutes(deps, core));
  app.route('/v1/grants', createGrantRoutes(deps));
  app.route('/v1', createWebRoutes(deps)); // GET /v1/web.js, the web SDK
  app.route('/v1', createTeamRoutes(deps)); // /v1/teams/*, /v1/keys/:email

  app.notFound((c) => errorResponse(c, new KeyholeError('NOT_FOUND', 'No such route.')));
  app.onError(createOnError(deps.logger));
  return app;
}
