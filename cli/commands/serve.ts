// `keyhole serve [--port 7777] [--secret NAME]… [--vault V]`: the local endpoint on 127.0.0.1 for
// scripts and agents; runs until Ctrl-C (docs/cli.md, "keyhole serve").
import { parse, refusePasswordFlag } from '../args.js';
import type { Command } from '../command.js';
import { startEndpoint } from '../agent/endpoint.js';
import { openForAgents } from '../agent/open.js';
import { sdkFor } from '../agent/sdk-env.js';
import { EXIT_OK, UsageError, info, out } from '../output.js';

export const serve: Command = {
  help: `Usage: keyhole serve [--port 7777] [--secret NAME]... [--vault V] [--quiet]

Runs a local HTTP endpoint on 127.0.0.1 that calls APIs through the relay with your secrets, so
that a script or an agent never holds them. Point an SDK's base URL at it:

  http://127.0.0.1:PORT/t/TOKEN/s/NAME/<path…>   →   <NAME's first allowed host>/<path…>

The caller's Authorization / x-api-key (any dummy value) is replaced by the secret as its type
says (bearer → Authorization: Bearer …; see docs/cli.md). TOKEN is new on every start and
printed on stdout; the token may also go in a Keyhole-Token header instead of the path. Only
secrets enabled for agents (keyhole secret update NAME --agent on) are served; only programs on
this machine are answered, never a browser.

Options:
  --port N        the port (default 7777; 0 picks a free one)
  --secret NAME   serve only this secret; repeatable (default: every secret enabled for agents)
  --vault V       look secrets up in this vault only
  --quiet         no line per request on stderr

Example:
  keyhole secret update openai --agent on </dev/null
  keyhole serve --port 7777
  OPENAI_BASE_URL=http://127.0.0.1:7777/t/TOKEN/s/openai/v1 OPENAI_API_KEY=keyhole-placeholder node app.js`,

  async run(argv) {
    refusePasswordFlag(argv);
    const { values } = parse(
      argv,
      {
        port: { type: 'string' },
        secret: { type: 'string', multiple: true },
        vault: { type: 'string' },
        quiet: { type: 'boolean' },
      },
      'serve',
    );
    const port = values.port === undefined ? 7777 : Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65_535) {
      throw new UsageError('--port must be a number from 0 to 65535.');
    }
    const { access, exposed } = await openForAgents('serve', values.secret, values.vault);
    const endpoint = await startEndpoint({
      access,
      port,
      ...(values.quiet ? {} : { log: (line: string) => info(line) }),
    }).catch((err: unknown) => {
      if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
        throw new UsageError(`Port ${port} is in use: pick another with --port N (0: any).`);
      }
      throw err;
    });

    out(endpoint.baseUrl);
    info(`keyhole serve: listening on 127.0.0.1:${endpoint.port} — Ctrl-C to stop`);
    for (const entry of exposed) {
      const name = entry.payload.name;
      const sdk = sdkFor(entry.payload);
      info(`  ${name} (${entry.payload.type}) → ${entry.payload.allowedHosts[0]}`);
      info(`    ${endpoint.urlFor(name)}/…`);
      if (sdk) {
        const vars = Object.entries(sdk.vars)
          .map(([k, v]) => `${k}=${v.replaceAll('{url}', endpoint.urlFor(name))}`)
          .join(' ');
        info(`    ${vars}`);
      }
    }

    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      process.once('SIGHUP', stop);
    });
    await endpoint.close();
    access.vault.save();
    return EXIT_OK;
  },
};
