// `keyhole run [--secret NAME]… [--env VAR=VALUE]… [--vault V] -- CMD ARGS…`: runs a command with
// a private local endpoint and the SDK variables pointing at it; the child never gets a secret,
// and any secret it prints anyway is masked (docs/cli.md, "keyhole run").
import { spawn } from 'node:child_process';
import { constants as osConstants } from 'node:os';
import { once } from 'node:events';
import { parse, refusePasswordFlag } from '../args.js';
import type { Command } from '../command.js';
import { startEndpoint } from '../agent/endpoint.js';
import { maskStream } from '../agent/mask.js';
import { allMaskPatterns, openForAgents } from '../agent/open.js';
import { childEnv, parseEnvFlag, referencedNames } from '../agent/sdk-env.js';
import { EXIT_FAILURE, UsageError, info } from '../output.js';

/** Signals passed on to the child (SIGINT only without a terminal: see below). */
const FORWARDED: NodeJS.Signals[] = ['SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];

export const run: Command = {
  help: `Usage: keyhole run [--secret NAME]... [--env VAR=VALUE]... [--vault V] [--verbose] -- CMD [ARGS...]

Runs CMD with a private local endpoint (like keyhole serve, on a free port, with its own token)
and, for each secret, the variables its well-known SDK reads pointing at it — for example
OPENAI_BASE_URL=…/s/openai/v1 and OPENAI_API_KEY=keyhole-placeholder. The command calls the API
as usual; the key is put in on the relay. CMD's exit code (or signal) is passed through, and any
secret value that shows up in its stdout or stderr is replaced by [masked:NAME].

Variables set (by the secret's first allowed host, else by its name):
  api.openai.com      OPENAI_BASE_URL={url}/v1   OPENAI_API_KEY=keyhole-placeholder
  api.anthropic.com   ANTHROPIC_BASE_URL={url}   ANTHROPIC_API_KEY=keyhole-placeholder
  api.groq.com        GROQ_BASE_URL={url}        GROQ_API_KEY=keyhole-placeholder
  always              KEYHOLE_ENDPOINT=http://127.0.0.1:PORT/t/TOKEN  (append /s/NAME/…)
KEYHOLE_PASSWORD and any variable holding a secret's value are not passed on.

Options:
  --secret NAME     expose this secret (enabled for agents); repeatable (default: all enabled)
  --env VAR=VALUE   set VAR for the command; {url} is the endpoint, {url:NAME} NAME's base URL
  --vault V         look secrets up in this vault only
  --verbose         a line per request on stderr

Example:
  keyhole run --secret openai -- node app.js
  keyhole run --secret stripe --env 'STRIPE_API_BASE={url:stripe}' -- python billing.py`,

  async run(argv) {
    const split = argv.indexOf('--');
    if (split === -1 || split === argv.length - 1) {
      throw new UsageError(
        'Put the command after --, e.g. keyhole run --secret openai -- node app.js',
      );
    }
    const own = argv.slice(0, split);
    const [command, ...args] = argv.slice(split + 1) as [string, ...string[]];
    refusePasswordFlag(own);
    const { values } = parse(
      own,
      {
        secret: { type: 'string', multiple: true },
        env: { type: 'string', multiple: true },
        vault: { type: 'string' },
        verbose: { type: 'boolean' },
      },
      'run',
    );
    const extra = (values.env ?? []).map(parseEnvFlag);
    // `{url:NAME}` exposes NAME too (it must be enabled like any other).
    const names = values.secret ? [...values.secret] : undefined;
    if (names) {
      for (const [, value] of extra)
        for (const n of referencedNames(value)) if (!names.includes(n)) names.push(n);
    }

    const { access, exposed } = await openForAgents('run', names, values.vault);
    const endpoint = await startEndpoint({
      access,
      port: 0,
      ...(values.verbose ? { log: (line: string) => info(`keyhole: ${line}`) } : {}),
    });
    const patterns = allMaskPatterns(access);
    const { env, set, removed } = childEnv({
      parent: process.env,
      secrets: exposed.map((e) => e.payload),
      baseUrl: endpoint.baseUrl,
      urlFor: endpoint.urlFor,
      extra,
      values: patterns,
    });
    for (const r of removed) {
      info(
        `! keyhole: ${r.variable} is not passed to the command: it holds the value of ${r.secret}.`,
      );
    }
    if (values.verbose) {
      for (const s of set) info(`keyhole: ${s.variable} → ${s.secret}`);
    }

    const child = spawn(command, args, { stdio: ['inherit', 'pipe', 'pipe'], env });
    const outputs = [
      pipeMasked(child.stdout, process.stdout, patterns),
      pipeMasked(child.stderr, process.stderr, patterns),
    ];

    // A terminal's Ctrl-C already reaches the child (same process group): passing it on too
    // would deliver it twice. Without a terminal, SIGINT was sent to us alone: pass it on.
    const passOn = (signal: NodeJS.Signals) => () => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    };
    const handlers = new Map<NodeJS.Signals, () => void>();
    for (const signal of [...FORWARDED, 'SIGINT' as const]) {
      const handler = signal === 'SIGINT' && process.stdin.isTTY ? () => undefined : passOn(signal);
      handlers.set(signal, handler);
      process.on(signal, handler);
    }

    let exit: { code: number | null; signal: NodeJS.Signals | null };
    try {
      const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
      exit = { code, signal };
    } catch (err) {
      // spawn failed (no such command, not executable)
      await endpoint.close();
      for (const [signal, handler] of handlers) process.off(signal, handler);
      const e = err as NodeJS.ErrnoException;
      info(
        `INVALID_REQUEST: cannot run ${JSON.stringify(command)}: ${e.code === 'ENOENT' ? 'command not found' : (e.code ?? 'failed')}.`,
      );
      return e.code === 'ENOENT' ? 127 : 126;
    }
    // A background process the command started may hold its stdout open: wait a little, no more.
    await Promise.race([Promise.all(outputs), sleep(OUTPUT_GRACE_MS)]);
    await endpoint.close();
    access.vault.save();
    for (const [signal, handler] of handlers) process.off(signal, handler);

    if (exit.signal) {
      // Die of the same signal, so that our caller sees what the command's caller would have.
      process.kill(process.pid, exit.signal);
      const number = osConstants.signals[exit.signal] ?? 0;
      return 128 + number;
    }
    return exit.code ?? EXIT_FAILURE;
  },
};

const OUTPUT_GRACE_MS = 2000;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** child output → masker → our stream; resolves when the child's side has ended. */
function pipeMasked(
  from: NodeJS.ReadableStream,
  to: NodeJS.WritableStream,
  patterns: Parameters<typeof maskStream>[0],
): Promise<void> {
  const masker = maskStream(patterns);
  from.pipe(masker);
  masker.pipe(to, { end: false });
  return new Promise((resolve) => {
    masker.on('end', resolve);
    masker.on('error', () => resolve());
  });
}
