// Runs a load job in a separate Node process (see load-worker.ts) so the generator neither
// starves nor is starved by the caller's event loop, and waits for its figures. `onWarm` runs
// when the measured window opens (after ramp-up and warm-up).
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { LoadJob, LoadResult } from './load-worker.js';

export type { LoadJob, LoadResult } from './load-worker.js';

type Message = { warm: true } | { ok: boolean; result?: LoadResult; error?: string };

export function runLoad(job: LoadJob, onWarm?: () => void): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(new URL('./load-worker.ts', import.meta.url)), [], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let settled = false;
    child.on('message', (msg: Message) => {
      if ('warm' in msg) {
        onWarm?.();
        return;
      }
      settled = true;
      if (msg.ok && msg.result) resolve(msg.result);
      else reject(new Error(msg.error ?? 'load generator failed'));
      child.disconnect();
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      if (!settled) reject(new Error(`load generator exited with ${code}`));
    });
    child.send(job);
  });
}
