#!/usr/bin/env node
// The `keyhole` command (and `keyhole relay`, which `npm start` runs): runs the built JavaScript
// in dist/ (scripts/bundle.mjs), rebuilt first when missing or older than its sources — never
// the TypeScript sources through a loader at run time. A process starts per command, so
// start-up matters (docs/cli.md, "Start-up"). KEYHOLE_CLI_LOADER=tsx runs the sources through
// tsx instead (development only: tsx is a dev dependency).
import { pathToFileURL } from 'node:url';
import { bundleEntry } from '../scripts/bundle.mjs';

const argv = process.argv.slice(2);

async function loadMain() {
  if (process.env.KEYHOLE_CLI_LOADER === 'tsx') {
    const { register } = await import('tsx/esm/api');
    register();
    return import(new URL('../cli/main.ts', import.meta.url).href);
  }
  return import(pathToFileURL(await bundleEntry('cli')).href);
}

let main;
try {
  ({ main } = await loadMain());
} catch (err) {
  process.stderr.write(`keyhole: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
process.exitCode = await main(argv);
