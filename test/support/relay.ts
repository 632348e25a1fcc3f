// Relay processes for reliability runs: the shared spawnRelay helper plus what these tests need on
// top (the process id for /proc figures, generous signup limits, the private upstream allowed).
import { spawnRelay } from './relay-process.js';
import { pidListeningOn } from './proc.js';

export type RelayProcess = Awaited<ReturnType<typeof spawnRelay>>;

export interface RelayOptions {
  db?: string;
  /** host:port entries for KEYHOLE_ALLOW_PRIVATE */
  allowPrivate?: string[];
  env?: Record<string, string>;
  port?: number;
}

/** Environment every reliability relay gets: quiet logs, no signup throttling across many tests. */
export function relayEnv(opts: RelayOptions): Record<string, string> {
  return {
    KEYHOLE_LOG_LEVEL: 'warn',
    KEYHOLE_SIGNUPS_PER_IP: '100000',
    ...(opts.allowPrivate ? { KEYHOLE_ALLOW_PRIVATE: opts.allowPrivate.join(',') } : {}),
    ...opts.env,
  };
}

export async function startRelayProcess(opts: RelayOptions = {}): Promise<RelayProcess> {
  return spawnRelay({
    ...(opts.db !== undefined ? { db: opts.db } : {}),
    ...(opts.port !== undefined ? { port: opts.port } : {}),
    env: relayEnv(opts),
  });
}

/** The relay's pid (from the helper if it exposes one, else found through its listening port). */
export function relayPid(relay: RelayProcess): number | undefined {
  const withPid = relay as RelayProcess & { pid?: number };
  return typeof withPid.pid === 'number' ? withPid.pid : pidListeningOn(relay.port);
}

/** The last line of a relay's output that looks like an error, shortened, for the table. */
export function lastLogLine(output: string): string {
  const lines = output.split('\n').filter((l) => /error|Error|uncaught|Unhandled/.test(l));
  const line = lines[lines.length - 1] ?? output.trim().split('\n').pop() ?? '';
  const msg = /"message":"([^"]*)"/.exec(line)?.[1] ?? line;
  return msg.slice(0, 160);
}
