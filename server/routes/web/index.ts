// GET /v1/web.js: the web SDK (shared/web/index.ts) as one ES module, bundled with esbuild on
// first request and kept in memory. Public code: any origin may import it (CORS *); what it
// can do is decided by each grant's policy on the relay, never by the script.
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Hono } from 'hono';
import { KeyholeError } from '../../../shared/errors.js';
import type { AppDeps } from '../../deps.js';
import type { AppEnv } from '../../env.js';

export const WEB_SDK_ENTRY = fileURLToPath(
  new URL('../../../shared/web/index.ts', import.meta.url),
);

/** The bundle as text (also used by scripts/build-web.mjs for `keyhole/web`'s dist file). */
export async function bundleWebSdk(minify = true): Promise<string> {
  const esbuild = await import('esbuild');
  const out = await esbuild.build({
    entryPoints: [WEB_SDK_ENTRY],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2020',
    minify,
    write: false,
    legalComments: 'none',
    banner: {
      js: '// Keyhole web SDK — connect({ relay, grants, idToken, byok }). docs/protocol.md "Grants"',
    },
  });
  return out.outputFiles[0]!.text;
}

export function createWebRoutes(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  let built: Promise<{ js: string; etag: string }> | undefined;
  app.get('/web.js', async (c) => {
    built ??= bundleWebSdk().then(
      (js) => ({
        js,
        etag: `"${createHash('sha256').update(js).digest('base64url').slice(0, 16)}"`,
      }),
      (err: unknown) => {
        built = undefined;
        deps.logger.error({ err }, 'web SDK bundle failed');
        throw new KeyholeError('INTERNAL');
      },
    );
    const { js, etag } = await built;
    c.header('access-control-allow-origin', '*');
    c.header('cross-origin-resource-policy', 'cross-origin');
    c.header('cache-control', 'public, max-age=300');
    c.header('etag', etag);
    if (c.req.header('if-none-match') === etag) return c.body(null, 304);
    c.header('content-type', 'text/javascript; charset=utf-8');
    return c.body(js);
  });
  return app;
}
