#!/usr/bin/env node
// The `keyhole` command: runs the TypeScript CLI (cli/main.ts).
//
// A process starts per command, so start-up matters (docs/cli.md, "Start-up"): tsx's loader
// costs ~200 ms of CPU per run. So the CLI runs from an esbuild bundle cached in
// node_modules/.cache/keyhole-cli, rebuilt (~50 ms) whenever any bundled source is newer than
// it. `keyhole relay`, KEYHOLE_CLI_LOADER=tsx, or any problem with the cache → tsx, as before.
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
const ENTRY = join(ROOT, 'cli/main.ts');
const CACHE = join(ROOT, 'node_modules/.cache/keyhole-cli');
const MANIFEST = join(CACHE, 'manifest.json');
const STALE_BUILD_MS = 10 * 60 * 1000;
const argv = process.argv.slice(2);

async function loadMain() {
  // The relay reads files next to its modules (migrations): always run it from the sources.
  if (argv[0] !== 'relay' && process.env.KEYHOLE_CLI_LOADER !== 'tsx') {
    try {
      return await import(pathToFileURL(freshBundle() ?? (await build())).href);
    } catch {
      // fall through to tsx, which also reports source errors best
    }
  }
  const { register } = await import('tsx/esm/api');
  register();
  return import(pathToFileURL(ENTRY).href);
}

/** The cached bundle's entry, if no input changed since it was built. */
function freshBundle() {
  try {
    const manifest = JSON.parse(readFileSync(MANIFEST, 'utf8'));
    for (const input of manifest.inputs) {
      if (statSync(join(ROOT, input)).mtimeMs >= manifest.startedAt) return null;
    }
    return join(CACHE, manifest.dir, 'main.js');
  } catch {
    return null;
  }
}

async function build() {
  const esbuild = await import('esbuild');
  mkdirSync(CACHE, { recursive: true });
  const startedAt = Date.now();
  const dir = `b-${startedAt}-${process.pid}`;
  const result = await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: [ENTRY],
    outdir: join(CACHE, dir),
    bundle: true,
    splitting: true, // keeps each command's imports lazy
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    metafile: true,
    logLevel: 'silent',
    plugins: [
      {
        // `keyhole relay` never runs from the bundle; leave the server out of it.
        name: 'server-external',
        setup(b) {
          b.onResolve({ filter: /\/server\/main\.js$/ }, () => ({
            path: '../../server/main.js',
            external: true,
          }));
        },
      },
    ],
  });
  const inputs = Object.keys(result.metafile.inputs);
  const temp = `${MANIFEST}.${process.pid}.tmp`;
  writeFileSync(temp, JSON.stringify({ dir, startedAt, inputs }));
  renameSync(temp, MANIFEST);
  for (const old of readdirSync(CACHE)) {
    const path = join(CACHE, old);
    if (
      old !== dir &&
      old.startsWith('b-') &&
      Date.now() - statSync(path).mtimeMs > STALE_BUILD_MS
    ) {
      rmSync(path, { recursive: true, force: true });
    }
  }
  return join(CACHE, dir, 'main.js');
}

const { main } = await loadMain();
process.exitCode = await main(argv);
