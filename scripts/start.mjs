#!/usr/bin/env node
// `npm start`: build the extension (once, if missing or stale), print where to load it, then run
// the relay on embedded SQLite in the foreground — `keyhole relay`, from the built JavaScript in
// dist/ (bin/keyhole.mjs builds it first when missing or stale: scripts/bundle.mjs). Ctrl-C stops
// the relay gracefully.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, statSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '../..');
const outDir = join(root, 'extension', '.output', 'chrome-mv3');

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

const manifest = join(outDir, 'manifest.json');
const stale =
  !existsSync(manifest) ||
  newestMtime(join(root, 'extension')) > statSync(manifest).mtimeMs ||
  newestMtime(join(root, 'shared')) > statSync(manifest).mtimeMs;
if (stale) {
  console.error('keyhole: building the extension…');
  const build = spawnSync('npx', ['wxt', 'build', 'extension'], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (build.status !== 0) {
    console.error('keyhole: the extension build failed (see above); starting the relay anyway.');
  }
}
if (existsSync(manifest)) {
  console.error(
    `keyhole: extension ready — load it unpacked from:\n  ${outDir}\n  (chrome://extensions → Developer mode → Load unpacked)`,
  );
}

const relay = spawn(
  process.execPath,
  [join(root, 'bin', 'keyhole.mjs'), 'relay', ...process.argv.slice(2)],
  {
    cwd: root,
    stdio: 'inherit',
  },
);
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => relay.kill(signal));
relay.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
