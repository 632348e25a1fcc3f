// SQLite on a full disk: a 2 MiB tmpfs fills up under pushes. The client gets STORE_UNAVAILABLE
// (not a 500 or a hang), the relay keeps serving reads, writes work again once space is freed,
// and afterwards the file passes integrity_check with every acknowledged write intact.
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createAccount } from '../../support/account.js';
import type { Check } from '../../support/check.js';
import { call } from '../../support/http.js';
import { itemWrite, lostWrites, pullAll, pushOne, type AckedWrite } from '../../support/items.js';
import { spawnRelay, type RelayProcess } from '../../support/relay-process.js';

export async function checkSqliteDiskFull(opts: { sizeKiB?: number } = {}): Promise<Check[]> {
  const dir = mkdtempSync(join(tmpdir(), 'keyhole-diskfull-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${opts.sizeKiB ?? 2048}k`, 'tmpfs', dir], {
      stdio: 'ignore',
    });
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return [
      {
        name: 'SQLite disk full',
        pass: true,
        detail: 'skipped: cannot mount a tmpfs (needs root)',
      },
    ];
  }
  let relay: RelayProcess | undefined;
  try {
    // Room to free later, to show the relay recovers without a restart.
    writeFileSync(join(dir, 'filler'), Buffer.alloc(256 * 1024, 1));
    const dbPath = join(dir, 'keyhole.db');
    relay = await spawnRelay({ db: dbPath, forLoad: true });
    const account = await createAccount(relay.url);
    const acked: AckedWrite[] = [];
    const failures: string[] = [];
    for (let i = 0; i < 400 && failures.length < 3; i++) {
      const { acked: a, reply } = await pushOne(
        relay.url,
        account,
        itemWrite(account, { valueBytes: 30_000 }),
      );
      if (a) acked.push(a);
      else failures.push(`${reply.status} ${reply.code ?? ''}`.trim());
    }
    const clean = failures.length > 0 && failures.every((f) => f === '503 STORE_UNAVAILABLE');
    const health = await call(relay.url, 'GET', '/v1/health');
    const readsOk = (await pullAll(relay.url, account)).size === acked.length;

    rmSync(join(dir, 'filler'));
    const after = await pushOne(relay.url, account, itemWrite(account, { valueBytes: 200 }));
    if (after.acked) acked.push(after.acked);
    await relay.stop();
    relay = undefined;

    const sqlite = new Database(dbPath, { readonly: true, fileMustExist: true });
    const integrity = sqlite.pragma('integrity_check', { simple: true });
    sqlite.close();

    // Restart on a disk with no byte left: the relay must still start and serve every write.
    fillDisk(join(dir, 'filler-2'));
    relay = await spawnRelay({ db: dbPath, forLoad: true });
    const lost = lostWrites(acked, await pullAll(relay.url, account));
    return [
      {
        name: 'SQLite disk full → STORE_UNAVAILABLE',
        pass: clean && health.status === 200 && readsOk,
        detail: `${acked.length} writes before full; then ${failures.join(', ') || 'no failure (disk never filled)'}; health ${health.status}; reads ${readsOk ? 'ok' : 'FAILED'}`,
      },
      {
        name: 'SQLite disk full: recovery, integrity, restart on a full disk',
        pass: after.acked !== undefined && integrity === 'ok' && lost.length === 0,
        detail: `write after freeing space: ${after.acked ? 'ok' : `${after.reply.status} ${after.reply.code ?? ''}`}; integrity_check ${String(integrity)}; ${lost.length} of ${acked.length} acknowledged writes lost`,
        dataLost: lost.length,
        acknowledged: acked.length,
      },
    ];
  } finally {
    await relay?.stop().catch(() => undefined);
    try {
      execFileSync('umount', [dir], { stdio: 'ignore' });
    } catch {
      execFileSync('umount', ['-l', dir], { stdio: 'ignore' });
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Writes to a file until the file system refuses (ENOSPC). */
function fillDisk(file: string): void {
  const fd = openSync(file, 'w');
  const chunk = Buffer.alloc(4096, 1);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    closeSync(fd);
  }
}
