// The built JavaScript that `npm start`, `keyhole relay` and the CLI run: one esbuild bundle of
// cli/main.ts and server/main.ts (code-split: each CLI command's imports stay lazy; npm packages
// stay external, so native modules load as installed). `npm run build` builds it; the launchers
// (bin/keyhole.mjs, scripts/start.mjs) call bundleEntry(), which rebuilds it first when it is
// missing or any of its sources is newer — with esbuild, a dev dependency (`npm ci` installs it).
// An install without dev dependencies runs the bundle `npm run build` left, as it is.
//
// Layout: dist/b-<time>-<pid>/{cli,server}/main.js, and dist/manifest.json naming the current
// build and its inputs. A build goes to a fresh directory and the manifest is swapped atomically,
// so concurrent starts never see half a bundle; the two newest older builds are kept for
// processes still running from them.
import {
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = join(ROOT, 'dist');
const MANIFEST = join(DIST, 'manifest.json');
const ENTRIES = { cli: 'cli/main.ts', server: 'server/main.ts' };
const KEEP_OLD = 2;

function readManifest() {
  try {
    return JSON.parse(readFileSync(MANIFEST, 'utf8'));
  } catch {
    return null;
  }
}

/** The current build's entry for `name` if no input changed since it was built, else null. */
export function freshEntry(name) {
  const manifest = readManifest();
  if (!manifest) return null;
  try {
    for (const input of manifest.inputs) {
      if (statSync(join(ROOT, input)).mtimeMs >= manifest.startedAt) return null;
    }
  } catch {
    return null; // an input is gone
  }
  return join(DIST, manifest.dir, name, 'main.js');
}

/** Builds the bundle; returns the new build's directory. Throws with esbuild's errors. */
export async function build({ quiet = true } = {}) {
  let esbuild;
  try {
    esbuild = await import('esbuild');
  } catch {
    throw new Error(
      'the built relay/CLI in dist/ is missing or out of date and esbuild (a dev dependency) is ' +
        'not installed: run `npm ci && npm run build`',
    );
  }
  mkdirSync(DIST, { recursive: true });
  const startedAt = Date.now();
  const dir = `b-${startedAt}-${process.pid}`;
  const result = await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: Object.entries(ENTRIES).map(([name, path]) => ({ in: path, out: `${name}/main` })),
    outdir: join(DIST, dir),
    bundle: true,
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    sourcemap: 'linked',
    metafile: true,
    logLevel: quiet ? 'error' : 'info',
  });
  const inputs = Object.keys(result.metafile.inputs).filter((p) => !p.startsWith('node_modules/'));
  const temp = `${MANIFEST}.${process.pid}.tmp`;
  writeFileSync(temp, JSON.stringify({ dir, startedAt, inputs }));
  renameSync(temp, MANIFEST);
  const old = readdirSync(DIST)
    .filter((d) => d.startsWith('b-') && d !== dir)
    .sort((a, b) => Number(b.split('-')[1]) - Number(a.split('-')[1]));
  for (const d of old.slice(KEEP_OLD)) rmSync(join(DIST, d), { recursive: true, force: true });
  return join(DIST, dir);
}

/**
 * The entry to run for `name` ('cli' or 'server'): the current build when fresh; else a new
 * build; else (no esbuild) the existing build as it is, with a warning; else an error.
 */
export async function bundleEntry(name) {
  const fresh = freshEntry(name);
  if (fresh) return fresh;
  try {
    return join(await build(), name, 'main.js');
  } catch (err) {
    const manifest = readManifest();
    if (manifest && /esbuild \(a dev dependency\)/.test(String(err))) {
      process.stderr.write(
        'keyhole: dist/ may be older than the sources (no esbuild to rebuild)\n',
      );
      return join(DIST, manifest.dir, name, 'main.js');
    }
    throw err;
  }
}

// `node scripts/bundle.mjs` (npm run build): build now, whatever the manifest says.
if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const out = await build({ quiet: false });
  process.stdout.write(`keyhole: relay and CLI built into ${out}\n`);
}
