// `keyhole relay [--port N] [--host H] [--db PATH|postgres://URL]`: run the relay in this process.
import { parse } from '../args.js';
import type { Command } from '../command.js';
import { UsageError } from '../output.js';

export const relay: Command = {
  help: `Usage: keyhole relay [--port N] [--host H] [--db PATH|postgres://URL]

Starts the Keyhole relay (what \`npm start\` runs) and serves until SIGINT/SIGTERM.

Options:
  --port N      listen port (default: KEYHOLE_PORT or 8787)
  --host H      listen address (default: the relay's configured host)
  --db D        SQLite file path or postgres:// URL (default: KEYHOLE_DB or ./data/keyhole.db)

Environment: KEYHOLE_PORT, KEYHOLE_DB, KEYHOLE_ALLOW_PRIVATE (host:port list the relay may reach
although it is loopback/private — local development only). See docs/ for the rest.

Example:
  keyhole relay --port 8787 --db ./data/keyhole.db`,

  async run(argv) {
    const { values } = parse(
      argv,
      { port: { type: 'string' }, host: { type: 'string' }, db: { type: 'string' } },
      'relay',
    );
    const port = values.port === undefined ? undefined : Number(values.port);
    if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) {
      throw new UsageError('--port must be an integer from 0 to 65535.');
    }
    const { startRelay } = await import('../../server/main.js');
    const running = await startRelay({ port, host: values.host, db: values.db });
    return new Promise<number>((resolve) => {
      const stop = (signal: string) => {
        process.stderr.write(`keyhole relay: ${signal}, shutting down\n`);
        running.close().then(
          () => resolve(0),
          () => resolve(1),
        );
      };
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
    });
  },
};
