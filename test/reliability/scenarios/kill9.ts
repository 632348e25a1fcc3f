// kill -9 during writes: several writers push (new items and updates) while the relay is killed at
// a random moment; a new relay on the same database must return every acknowledged write.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAccount, type TestAccount } from '../../support/account.js';
import type { Check } from '../../support/check.js';
import { itemWrite, lostWrites, pullAll, pushOne, type AckedWrite } from '../../support/items.js';
import { spawnRelay, type RelayProcess } from '../../support/relay-process.js';

async function writers(
  base: string,
  account: TestAccount,
  count: number,
  acked: AckedWrite[],
  stop: { done: boolean },
) {
  await Promise.all(
    Array.from({ length: count }, async () => {
      let mine: AckedWrite | undefined;
      while (!stop.done) {
        const update = mine !== undefined && Math.random() < 0.5;
        const write = itemWrite(
          account,
          update && mine ? { id: mine.id, baseRevision: mine.revision } : {},
        );
        try {
          const { acked: a, reply } = await pushOne(base, account, write, 5_000);
          if (a) {
            acked.push(a);
            mine = a;
          } else if (reply.status === 409) {
            mine = undefined;
          }
        } catch {
          return; // the relay is gone
        }
      }
    }),
  );
}

export async function checkKill9(opts: {
  iterations: number;
  db?: string;
  writers?: number;
}): Promise<Check> {
  const dir = opts.db ? undefined : mkdtempSync(join(tmpdir(), 'keyhole-kill9-'));
  const db = opts.db ?? join(dir ?? '', 'keyhole.db');
  const acked: AckedWrite[] = [];
  let relay: RelayProcess | undefined;
  let lost = 0;
  try {
    relay = await spawnRelay({ db, forLoad: true });
    const account = await createAccount(relay.url);
    for (let i = 0; i < opts.iterations; i++) {
      const stop = { done: false };
      const running = writers(relay.url, account, opts.writers ?? 6, acked, stop);
      await new Promise((r) => setTimeout(r, 300 + Math.random() * 900));
      await relay.kill9();
      stop.done = true;
      await running;
      relay = await spawnRelay({ db, forLoad: true });
    }
    lost = lostWrites(acked, await pullAll(relay.url, account)).length;
    const kind = db.startsWith('postgres') ? 'PostgreSQL' : 'SQLite';
    return {
      name: `kill -9 during writes (${kind})`,
      pass: lost === 0 && acked.length > 0,
      detail: `${opts.iterations} kills, ${acked.length} acknowledged writes, ${lost} lost`,
      dataLost: lost,
      acknowledged: acked.length,
    };
  } finally {
    await relay?.stop().catch(() => undefined);
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}
