// Helpers for the CLI suites: run the real `keyhole` binary with its own KEYHOLE_HOME,
// and a tiny third-party API mock on 127.0.0.2 that records what it received.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FAST_KDF } from './fast-kdf.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = join(ROOT, 'bin/keyhole.mjs');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** KEYHOLE_HOME for this run */
  home: string;
  /** piped to stdin (stdin is closed either way, never a TTY) */
  input?: string;
  env?: Record<string, string | undefined>;
}

/** FAST_KDF as the CLI reads it from its environment (MiB and passes), so that suites stay fast. */
export const FAST_KDF_ENV = {
  KEYHOLE_KDF_MEM: String(FAST_KDF.memLimitBytes / (1024 * 1024)),
  KEYHOLE_KDF_OPS: String(FAST_KDF.opsLimit),
};

export function runCli(args: string[], opts: CliOptions): Promise<CliResult> {
  return new Promise((resolveRun, reject) => {
    const env: Record<string, string | undefined> = {
      ...process.env,
      KEYHOLE_HOME: opts.home,
      ...FAST_KDF_ENV,
      ...opts.env,
    };
    for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
    // detached: no controlling terminal, so the password prompt cannot open /dev/tty.
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: ROOT,
      env,
      stdio: 'pipe',
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => resolveRun({ code, stdout, stderr }));
    child.stdin.end(opts.input ?? '');
  });
}

export function tempHome(): string {
  return mkdtempSync(join(tmpdir(), 'keyhole-cli-'));
}

/** Every file under a KEYHOLE_HOME, concatenated (to look for plaintext that must not be there). */
export function readHomeFiles(home: string): { names: string[]; text: string } {
  const names = readdirSync(home);
  return { names, text: names.map((n) => readFileSync(join(home, n), 'utf8')).join('\n') };
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export interface MockCall {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface MockApi {
  /** e.g. http://127.0.0.2:41234 */
  origin: string;
  /** host:port for KEYHOLE_ALLOW_PRIVATE */
  hostPort: string;
  calls: MockCall[];
  close(): Promise<void>;
}

/** A stand-in third-party API: `/fail*` answers 404 JSON, `/stream` streams 3 chunks, else 200 JSON. */
export async function startMockApi(): Promise<MockApi> {
  const calls: MockCall[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (c: string) => (body += c));
    req.on('end', () => {
      calls.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      if (req.url?.startsWith('/fail')) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: 'no such thing' }));
        return;
      }
      if (req.url === '/stream') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        let n = 0;
        const tick = setInterval(() => {
          res.write(`chunk${n}\n`);
          if (++n === 3) {
            clearInterval(tick);
            res.end();
          }
        }, 20);
        return;
      }
      if (req.url === '/reflect') {
        // Echoes the credential it received, in the body and a header: the relay must scrub both.
        const authorization = req.headers.authorization ?? '';
        res.writeHead(200, {
          'content-type': 'application/json',
          'x-reflected-authorization': authorization,
        });
        res.end(JSON.stringify({ ok: true, method: req.method, path: req.url, authorization }));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: true, method: req.method, path: req.url }));
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.2', ok));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.2:${port}`,
    hostPort: `127.0.0.2:${port}`,
    calls,
    close: () => new Promise((ok) => server.close(() => ok())),
  };
}
