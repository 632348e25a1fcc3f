// GET /v1/web.js: the web SDK (shared/web/index.ts) as one ES module, bundled with esbuild on
// first request (or dist/web.js from `npm run build`) and kept in memory. Public code: any origin may import it (CORS *); what it
// can do is decided by each grant's policy on the relay, never by the script.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Hono } from 'hono';
import { KeyholeError } from '../../../shared/errors.js';
import type { AppDeps } from '../../deps.js';
import type { AppEnv } from '../../http/app-env.js';

/**
 * A file of the repository, found upwards from this module: the relay runs from its source or
 * from the bundle in dist/ (scripts/bundle.mjs), at different depths.
 */
function findUp(rel: string): string | null {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    const candidate = join(dir, rel);
    if (existsSync(candidate)) return candidate;
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return null;
}

/**
 * From the source when esbuild (a dev dependency) is installed, so it is never stale; else the
 * dist/web.js that `npm run build` left.
 */
async function loadWebSdk(): Promise<string> {
  try {
    return await bundleWebSdk();
  } catch (err) {
    const built = findUp('dist/web.js');
    if (built) return readFileSync(built, 'utf8');
    throw err;
  }
}

/** The bundle as text (also used by scripts/build-web.ts for `keyhole/web`'s dist/web.js). */
export async function bundleWebSdk(minify = true): Promise<string> {
  const entry = findUp('shared/web/index.ts');
  if (!entry) throw new Error('shared/web/index.ts not found');
  const esbuild = await import('esbuild');
  const out = await esbuild.build({
    entryPoints: [entry],
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
    built ??= loadWebSdk().then(
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
