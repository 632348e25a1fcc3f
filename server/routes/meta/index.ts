// /v1/health and /v1/openapi.json.
import { Hono } from 'hono';
import { sql } from 'kysely';
import { KeyholeError } from '../../../shared/errors.js';
import type { AppDeps } from '../../deps.js';
import type { AppEnv } from '../../http/app-env.js';
import { openApiDocument } from '../../openapi.js';

export function createMetaRoutes(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get('/health', async (c) => {
    try {
      await sql`select 1`.execute(deps.store.db);
    } catch {
      throw new KeyholeError('STORE_UNAVAILABLE');
    }
    return c.json({ ok: true, store: deps.store.dialect });
  });
  app.get('/openapi.json', (c) => c.json(openApiDocument()));
  return app;
}
