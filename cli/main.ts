// The `keyhole` CLI entry: top-level help and version, then dispatch to a lazily loaded command.
import { COMMANDS } from './commands/index.js';
import { EXIT_OK, EXIT_USAGE, info, out, reportError } from './output.js';

import { KEYHOLE_VERSION } from '../shared/version.js';

export const VERSION = KEYHOLE_VERSION;

export function topHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'keyhole — call APIs with secrets your scripts never hold (zero-knowledge vault + relay)',
    '',
    'Usage: keyhole <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Run `keyhole <command> --help` for a command’s options.',
    'The master password comes from KEYHOLE_PASSWORD or a prompt — never from an argument.',
    'State (relay URL, session, encrypted vault cache) lives in KEYHOLE_HOME (default ~/.config/keyhole).',
    '',
    'Start here:  keyhole signup --relay https://relay.example.com --email you@example.com',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? rest[0] : undefined;
    const entry = topic ? COMMANDS.find((c) => c.name === topic) : undefined;
    out(entry ? (await entry.load()).help : topHelp());
    return name === undefined ? EXIT_USAGE : EXIT_OK;
  }
  if (name === '--version' || name === '-V') {
    out(VERSION);
    return EXIT_OK;
  }
  const entry = COMMANDS.find((c) => c.name === name);
  if (!entry) {
    info(`INVALID_REQUEST: unknown command ${JSON.stringify(name)}.`);
    info('Run `keyhole --help` for the list of commands.');
    return EXIT_USAGE;
  }
  try {
    const command = await entry.load();
    if (rest.includes('--help') || rest.includes('-h')) {
      // Sub-command modules (secret) show their own, more precise help.
      if (!command.handlesHelp) {
        out(command.help);
        return EXIT_OK;
      }
    }
    return await command.run(rest);
  } catch (err) {
    return reportError(err);
  }
}
