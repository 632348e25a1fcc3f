#!/usr/bin/env node
// Before the e2e tests (and `npm test`): make sure a Chromium is there. KEYHOLE_CHROMIUM names one;
// else /usr/bin/chromium, installed from Debian's `chromium` package when we run as root with
// apt-get (as .ci/run does). Otherwise stop at once with one line that says how to get one.
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';

const DEFAULT = '/usr/bin/chromium';
const HOW =
  "install Debian's chromium (sudo apt-get install chromium) or set KEYHOLE_CHROMIUM=/path/to/chromium";

function runnable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function fail(line) {
  process.stderr.write(`keyhole: ${line}\n`);
  process.exit(1);
}

const named = process.env.KEYHOLE_CHROMIUM;
if (named) {
  if (!runnable(named)) fail(`KEYHOLE_CHROMIUM=${named} is not an executable file; ${HOW}.`);
  process.exit(0);
}
if (runnable(DEFAULT)) process.exit(0);

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const hasApt = spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0;
if (!isRoot || !hasApt) fail(`no Chromium at ${DEFAULT} for the end-to-end tests; ${HOW}.`);

process.stderr.write("keyhole: installing Debian's chromium for the end-to-end tests…\n");
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
const steps = [
  ['apt-get', ['update', '-qq']],
  ['apt-get', ['install', '-y', '-qq', 'chromium']],
];
for (const [cmd, args] of steps) {
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'], env });
  if (r.status !== 0) fail(`\`${cmd} ${args.join(' ')}\` failed; ${HOW}.`);
}
if (!runnable(DEFAULT)) fail(`chromium installed but ${DEFAULT} is missing; ${HOW}.`);
