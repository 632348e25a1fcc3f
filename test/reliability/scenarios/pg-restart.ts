// PostgreSQL restarted under load: while the cluster restarts, every request gets an answer within
// its deadline — success or a clean 503 STORE_UNAVAILABLE, never a 500, a stack trace or a hang —
// and the same relay process serves again afterwards with every acknowledged write intact.
// Disruptive for anything else using the cluster: only `npm run test:reliability` runs it.
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { promisify } from 'node:util';
import { freshPostgresUrl } from '../../support/postgres.js';
import type { Check } from '../../support/check.js';
import { forwardOnce, setupForwarding, type ForwardingSetup } from '../../support/forwarding.js';
import { call } from '../../support/http.js';
import { itemWrite, lostWrites, pullAll, pushOne, type AckedWrite } from '../../support/items.js';
import { lastLogLine, spawnRelay, type RelayProcess } from '../../support/relay-process.js';

const run = promisify(execFile);

type Outcome = 'ok' | 'store-unavailable' | 'bad';

async function oneRequest(
  setup: ForwardingSetup,
  n: number,
  acked: AckedWrite[],
): Promise<[Outcome, string]> {
  const op = n % 4;
  try {
    if (op === 0) {
      const { acked: a, reply } = await pushOne(
        setup.relay.url,
        setup.account,
        itemWrite(setup.account),
        10_000,
      );
      if (a) acked.push(a);
      return classify(reply.status, reply.code, 'push');
    }
    if (op === 1) {
      const r = await call(
        setup.relay.url,
        'GET',
        `/v1/vaults/${setup.account.vaultId}/items?since=0&limit=5`,
        {
          token: setup.account.token,
          timeoutMs: 10_000,
        },
      );
      return classify(r.status, r.code, 'pull');
    }
    if (op === 2) {
      const r = await call(setup.relay.url, 'GET', '/v1/accounts/me', {
        token: setup.account.token,
        timeoutMs: 10_000,
      });
      return classify(r.status, r.code, 'me');
    }
    const f = await forwardOnce(setup, `${setup.api.origin}/ok`, 10_000);
    if (f.failed) return ['bad', `forward: ${f.failed}`];
    return classify(f.status, f.code, 'forward');
  } catch (err) {
    return [
      'bad',
      `${['push', 'pull', 'me', 'forward'][op]}: ${(err as { code?: string }).code ?? (err as Error).name}`,
    ];
  }
}

function classify(status: number, code: string | undefined, op: string): [Outcome, string] {
  if (status >= 200 && status < 300) return ['ok', ''];
  if (status === 503 && code === 'STORE_UNAVAILABLE') return ['store-unavailable', ''];
  return ['bad', `${op}: ${status} ${code ?? ''}`];
}

export async function checkPostgresRestart(opts: { concurrency?: number } = {}): Promise<Check> {
  const pg = await freshPostgresUrl();
  const setup = await setupForwarding({ db: pg.url });
  const acked: AckedWrite[] = [];
  const tally = { ok: 0, 'store-unavailable': 0, bad: 0 };
  const badSamples = new Set<string>();
  const state = { stop: false, restartedAt: 0, recoveredAt: 0, okStreak: 0 };
  try {
    let n = 0;
    const loops = Array.from({ length: opts.concurrency ?? 12 }, async () => {
      while (!state.stop) {
        const [outcome, why] = await oneRequest(setup, n++, acked);
        tally[outcome] += 1;
        if (outcome === 'bad' && badSamples.size < 5) badSamples.add(why);
        if (state.restartedAt > 0 && !state.recoveredAt) {
          state.okStreak = outcome === 'ok' ? state.okStreak + 1 : 0;
          if (state.okStreak >= 20) state.recoveredAt = Date.now();
        }
        if (outcome !== 'ok') await new Promise((r) => setTimeout(r, 50));
      }
    });
    await new Promise((r) => setTimeout(r, 1500));
    const version = readdirSync('/etc/postgresql')[0] ?? '15';
    const t0 = Date.now();
    await run('pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', 'restart'], {
      timeout: 60_000,
    });
    state.restartedAt = Date.now();
    const restartMs = state.restartedAt - t0;
    const deadline = Date.now() + 30_000;
    while (!state.recoveredAt && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    state.stop = true;
    await Promise.all(loops);

    // A relay that died is a failure in itself; the data is still checked, through a new relay.
    const exit = await Promise.race([
      setup.relay.exited.then((code) => String(code)),
      new Promise<undefined>((r) => setTimeout(r, 100)),
    ]);
    let verifier: RelayProcess | undefined;
    if (exit !== undefined) verifier = await spawnRelay({ db: pg.url, forLoad: true });
    const lost = lostWrites(
      acked,
      await pullAll((verifier ?? setup.relay).url, setup.account),
    ).length;
    await verifier?.stop();
    const died =
      exit === undefined ? '' : `RELAY DIED (exit ${exit}: ${lastLogLine(setup.relay.output())}); `;
    const recoveryMs = state.recoveredAt ? state.recoveredAt - state.restartedAt : -1;
    return {
      name: 'PostgreSQL restarted under load',
      pass: tally.bad === 0 && state.recoveredAt > 0 && lost === 0 && exit === undefined,
      detail:
        `restart took ${restartMs} ms; ${tally.ok} ok, ${tally['store-unavailable']} × 503 STORE_UNAVAILABLE, ${tally.bad} bad` +
        `${badSamples.size ? ` (${[...badSamples].join('; ')})` : ''}; ` +
        died +
        `${state.recoveredAt ? `serving again ${recoveryMs} ms after the restart` : 'NOT RECOVERED within 30 s'}; ` +
        `${lost} of ${acked.length} acknowledged writes lost`,
      dataLost: lost,
      acknowledged: acked.length,
    };
  } finally {
    state.stop = true;
    await setup.close().catch(() => undefined);
    await pg.drop().catch(() => undefined);
  }
}
