// Test helper: runs a REAL relay process — the built JavaScript production runs (dist/, rebuilt
// first when older than the sources: scripts/bundle.mjs), `node dist/…/server/main.js --port 0` —
// and waits for its "listening on" line. The one way every suite (integration, e2e, security,
// reliability, bench) starts a relay.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleEntry } from '../../scripts/bundle.mjs';
import { pidListeningOn } from './proc.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 15_000;

export interface RelayProcess {
  url: string;
  port: number;
  /** the SQLite file (undefined for PostgreSQL) */
  dbPath?: string;
  /** SIGTERM, wait for exit (SIGKILL after 15 s); removes the temp dir this call created */
  stop(): Promise<void>;
  /** SIGKILL now, no cleanup: for crash tests */
  kill9(): void;
  /** everything the process wrote to stdout and stderr so far */
  output(): string;
  /** resolves with the exit code (or signal name) once the process has exited */
  exited: Promise<number | string>;
  pid: number | undefined;
}

export interface SpawnRelayOptions {
  /** SQLite path or postgres:// URL; default: keyhole.db in a fresh temp dir */
  db?: string;
  /** host:port pairs the relay may reach although private (KEYHOLE_ALLOW_PRIVATE); default none */
  allowPrivate?: string[];
  /**
   * For load, fault and scale-out runs: warn-level logs and no signup throttling (they sign up
   * many accounts from one address).
   */
  forLoad?: boolean;
  /** further environment; wins over the options above */
  env?: Record<string, string>;
  port?: number;
  /** node flags before the script (e.g. --cpu-prof, which NODE_OPTIONS may not carry) */
  nodeArgs?: string[];
}

const FOR_LOAD_ENV = { KEYHOLE_LOG_LEVEL: 'warn', KEYHOLE_SIGNUPS_PER_IP: '100000' };

export async function spawnRelay(opts: SpawnRelayOptions = {}): Promise<RelayProcess> {
  let tempDir: string | undefined;
  let db = opts.db;
  if (db === undefined) {
    tempDir = mkdtempSync(join(tmpdir(), 'keyhole-relay-'));
    db = join(tempDir, 'keyhole.db');
  }
  const isPostgres = /^postgres(ql)?:\/\//.test(db);
  const main = await bundleEntry('server');
  const child: ChildProcess = spawn(
    process.execPath,
    [
      ...(opts.nodeArgs ?? []),
      main,
      '--port',
      String(opts.port ?? 0),
      '--host',
      '127.0.0.1',
      '--db',
      db,
    ],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        KEYHOLE_ALLOW_PRIVATE: '',
        ...(opts.forLoad ? FOR_LOAD_ENV : {}),
        ...(opts.allowPrivate ? { KEYHOLE_ALLOW_PRIVATE: opts.allowPrivate.join(',') } : {}),
        ...opts.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  const exited = new Promise<number | string>((resolveExit) => {
    child.once('exit', (code, signal) => resolveExit(code ?? signal ?? 'unknown'));
  });

  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`relay did not start within ${START_TIMEOUT_MS} ms:\n${out}`));
    }, START_TIMEOUT_MS);
    const check = (): void => {
      const m = /keyhole relay listening on (http:\/\/\S+)/.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        resolveUrl(m[1]);
      }
    };
    child.stdout?.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`relay exited (${code}) before listening:\n${out}`));
    });
  });

  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    }
    if (tempDir) rmSync(tempDir, { recursive: true, force: true });
  };

  return {
    url,
    port: Number(new URL(url).port),
    ...(isPostgres ? {} : { dbPath: db }),
    stop,
    kill9: () => {
      child.kill('SIGKILL');
    },
    output: () => out,
    exited,
    pid: child.pid,
  };
}

/** The relay's pid: the child's, or (should it be missing) the process listening on its port. */
export function relayPid(relay: RelayProcess): number | undefined {
  return relay.pid ?? pidListeningOn(relay.port);
}

/** The last line of a relay's output that looks like an error, shortened, for a report table. */
export function lastLogLine(output: string): string {
  const lines = output.split('\n').filter((l) => /error|Error|uncaught|Unhandled/.test(l));
  const line = lines[lines.length - 1] ?? output.trim().split('\n').pop() ?? '';
  const msg = /"message":"([^"]*)"/.exec(line)?.[1] ?? line;
  return msg.slice(0, 160);
}
