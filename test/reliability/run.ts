// `npm run test:reliability`: load, slowloris, faults, fuzzing and data-loss checks against real
// relay processes on loopback. Prints ONE table and one JSON line; exits non-zero on any failure.
// Knobs (env): KEYHOLE_LOAD_SECONDS (60), KEYHOLE_LOAD_CONNECTIONS (1000), KEYHOLE_SLOWLORIS_SOCKETS
// (500), KEYHOLE_SLOWLORIS_SECONDS (15), KEYHOLE_KILL9_ITERATIONS (5), KEYHOLE_RELIABILITY_FUZZ_RUNS
// (5000), KEYHOLE_RELIABILITY_ONLY (comma list of: fuzz,faults,load,slowloris,pg-restart).
import { execFileSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { freshPostgresUrl } from '../support/postgres.js';
import { guard, type Check } from '../support/check.js';
import { setupForwarding } from '../support/forwarding.js';
import { checkSqliteDiskFull } from './scenarios/disk-full.js';
import { runFuzz, type FuzzFigures } from './scenarios/fuzz.js';
import { checkKill9 } from './scenarios/kill9.js';
import { runForwardLoad, type LoadFigures } from './scenarios/load.js';
import { checkPostgresRestart } from './scenarios/pg-restart.js';
import { runSlowloris, type SlowlorisFigures } from './scenarios/slowloris.js';
import {
  UNRESOLVABLE_HOST,
  checkDnsFailure,
  checkUpstreamFaults,
} from './scenarios/upstream-faults.js';

const num = (name: string, fallback: number) => {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? v : fallback;
};
const only = new Set((process.env.KEYHOLE_RELIABILITY_ONLY ?? '').split(',').filter(Boolean));
const wanted = (part: string) => only.size === 0 || only.has(part);
const log = (line: string) => process.stderr.write(`reliability: ${line}\n`);

const LOAD_SECONDS = num('KEYHOLE_LOAD_SECONDS', 60);
const LOAD_CONNECTIONS = num('KEYHOLE_LOAD_CONNECTIONS', 1000);
const SLOW_SOCKETS = num('KEYHOLE_SLOWLORIS_SOCKETS', 500);
const SLOW_SECONDS = num('KEYHOLE_SLOWLORIS_SECONDS', 15);
const KILL9_ITERATIONS = num('KEYHOLE_KILL9_ITERATIONS', 5);
const FUZZ_RUNS = num('KEYHOLE_RELIABILITY_FUZZ_RUNS', 5000);

function fdLimit(): number {
  try {
    return Number(execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim());
  } catch {
    return 0;
  }
}

const faults: Check[] = [];
let load: LoadFigures | { error: string } | undefined;
let slow: SlowlorisFigures | { error: string } | undefined;
let fuzz: FuzzFigures | undefined;

if (wanted('fuzz')) {
  log(`fuzz: ${FUZZ_RUNS} runs per property…`);
  fuzz = await runFuzz(FUZZ_RUNS);
}

if (wanted('faults')) {
  log('faults: upstream resets, half-sent answers, DNS failure…');
  faults.push(
    ...(await guard('upstream faults', async () => {
      const setup = await setupForwarding({ extraHosts: [UNRESOLVABLE_HOST] });
      try {
        return [...(await checkUpstreamFaults(setup)), await checkDnsFailure(setup)];
      } finally {
        await setup.close();
      }
    })),
  );
  log('faults: SQLite disk full…');
  faults.push(...(await guard('SQLite disk full', () => checkSqliteDiskFull())));
  log(`faults: kill -9 during writes ×${KILL9_ITERATIONS} (SQLite, PostgreSQL)…`);
  faults.push(
    ...(await guard('kill -9 (SQLite)', () => checkKill9({ iterations: KILL9_ITERATIONS }))),
  );
  faults.push(
    ...(await guard('kill -9 (PostgreSQL)', async () => {
      const pg = await freshPostgresUrl();
      try {
        return await checkKill9({
          iterations: Math.max(1, Math.ceil(KILL9_ITERATIONS / 2)),
          db: pg.url,
        });
      } finally {
        await pg.drop();
      }
    })),
  );
}

if (wanted('load') || wanted('slowloris')) {
  const limit = fdLimit();
  if (limit > 0 && limit < LOAD_CONNECTIONS * 2 + 256) {
    log(
      `warning: ulimit -n is ${limit}; ${LOAD_CONNECTIONS} connections need about ${LOAD_CONNECTIONS * 2 + 256}`,
    );
  }
  try {
    const setup = await setupForwarding();
    try {
      if (wanted('load')) {
        log(`load: ${LOAD_CONNECTIONS} connections for ${LOAD_SECONDS} s…`);
        load = await runForwardLoad(setup, {
          connections: LOAD_CONNECTIONS,
          seconds: LOAD_SECONDS,
        }).catch((err: unknown) => ({ error: String(err) }));
      }
      if (wanted('slowloris')) {
        log(`slowloris: ${SLOW_SOCKETS} sockets for ${SLOW_SECONDS} s…`);
        slow = await runSlowloris(setup, { sockets: SLOW_SOCKETS, seconds: SLOW_SECONDS }).catch(
          (err: unknown) => ({
            error: String(err),
          }),
        );
      }
    } finally {
      await setup.close();
    }
  } catch (err) {
    load ??= { error: String(err) };
    slow ??= { error: String(err) };
  }
}

if (wanted('pg-restart')) {
  log(
    'faults: PostgreSQL restart under load (disrupts other users of the cluster for a few seconds)…',
  );
  faults.push(...(await guard('PostgreSQL restarted under load', () => checkPostgresRestart())));
}

// ---- the one table ----
type Row = { area: string; figures: string; result: 'PASS' | 'FAIL' | 'skipped' };
const rows: Row[] = [];
const verdict = (pass: boolean): Row['result'] => (pass ? 'PASS' : 'FAIL');

if (load) {
  if ('error' in load)
    rows.push({ area: 'load held', figures: `error: ${load.error}`, result: 'FAIL' });
  else {
    const kinds = Object.entries(load.errorKinds)
      .map(([k, v]) => `${k}×${v}`)
      .join(' ');
    rows.push({
      area: 'load held',
      figures:
        `${load.connections} conns, ${load.seconds} s, ${load.requests} requests (${load.reqPerSec}/s), ` +
        `${load.errors} errors (+${load.warmupErrors} in warm-up)${kinds ? ` [${kinds}]` : ''}, p50 ${load.p50} ms, p99 ${load.p99} ms, ` +
        `RSS ${load.rssBeforeMiB} → ${load.rssAfterMiB} MiB, relay CPU ${load.relayCpuUsPerReq} µs/req` +
        `${load.relayLog ? `; relay log: ${load.relayLog}` : ''}`,
      result: verdict(load.pass),
    });
  }
} else rows.push({ area: 'load held', figures: 'not run', result: 'skipped' });

if (slow) {
  if ('error' in slow)
    rows.push({ area: 'slowloris', figures: `error: ${slow.error}`, result: 'FAIL' });
  else
    rows.push({
      area: 'slowloris',
      figures:
        `${slow.opened}/${slow.sockets} slow sockets, ${slow.seconds} s: legit ${slow.legitRequests} requests, ` +
        `${slow.legitErrors} errors, p50 ${slow.legitP50} ms, max ${slow.legitMax} ms; relay dropped ${slow.droppedByRelay}`,
      result: verdict(slow.pass),
    });
} else rows.push({ area: 'slowloris', figures: 'not run', result: 'skipped' });

for (const f of faults)
  rows.push({ area: `fault: ${f.name}`, figures: f.detail, result: verdict(f.pass) });
if (faults.length === 0)
  rows.push({ area: 'faults survived', figures: 'not run', result: 'skipped' });
else {
  const survived = faults.filter((f) => f.pass).length;
  rows.push({
    area: 'faults survived',
    figures: `${survived} of ${faults.length}`,
    result: verdict(survived === faults.length),
  });
}

if (fuzz) {
  rows.push({
    area: 'bad inputs tried',
    figures: `${fuzz.cases} fuzz cases (${fuzz.properties} properties × ${fuzz.runsPerProperty} runs)${fuzz.pass ? '' : `; ${fuzz.failures}`}`,
    result: verdict(fuzz.pass),
  });
} else rows.push({ area: 'bad inputs tried', figures: 'not run', result: 'skipped' });

const withData = faults.filter((f) => f.acknowledged !== undefined);
const lost = withData.reduce((n, f) => n + (f.dataLost ?? 0), 0);
const acknowledged = withData.reduce((n, f) => n + (f.acknowledged ?? 0), 0);
rows.push({
  area: 'data lost',
  figures: withData.length ? `${lost} of ${acknowledged} acknowledged writes` : 'not measured',
  result: withData.length ? verdict(lost === 0) : 'skipped',
});

const w1 = Math.max(...rows.map((r) => r.area.length), 4);
const w2 = Math.max(...rows.map((r) => r.figures.length), 7);
const line = (a: string, b: string, c: string) =>
  `| ${a.padEnd(w1)} | ${b.padEnd(w2)} | ${c.padEnd(7)} |`;
const out = [
  line('area', 'figures', 'result'),
  `|${'-'.repeat(w1 + 2)}|${'-'.repeat(w2 + 2)}|---------|`,
];
for (const r of rows) out.push(line(r.area, r.figures, r.result));
process.stdout.write(`${out.join('\n')}\n`);

const machine = `${cpus().length} cores, load average ${loadavg()
  .map((n) => n.toFixed(1))
  .join(' ')} at the end (other work on the machine inflates latencies)`;
process.stdout.write(`${machine}\n`);
const failed = rows.some((r) => r.result === 'FAIL');
process.stdout.write(
  `${JSON.stringify({ reliability: { pass: !failed, machine, load, slowloris: slow, faults, fuzz, dataLost: lost, acknowledged } })}\n`,
);
process.exit(failed ? 1 : 0);
