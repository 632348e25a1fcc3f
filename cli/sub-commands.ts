// Commands made of sub-commands (`keyhole secret add`, `keyhole team invite` …): one dispatcher for
// the password-flag refusal, per-sub-command --help, aliases and the unknown-sub-command error.
import { refusePasswordFlag } from './args.js';
import type { Command } from './command.js';
import { EXIT_OK, UsageError, out } from './output.js';

export interface SubCommand {
  /** printed for `keyhole <command> <sub-command> --help` */
  help: string;
  run(argv: string[]): Promise<number>;
}

/** `subs` maps every name a sub-command answers to (aliases included) to it. */
export function withSubCommands(
  command: string,
  help: string,
  subs: Record<string, SubCommand>,
): Command {
  return {
    help,
    handlesHelp: true,
    async run(argv) {
      refusePasswordFlag(argv);
      const [sub, ...rest] = argv;
      if (sub !== undefined && Object.hasOwn(subs, sub)) {
        const chosen = subs[sub] as SubCommand;
        return rest.includes('--help') || rest.includes('-h')
          ? show(chosen.help)
          : chosen.run(rest);
      }
      if (sub === undefined || sub === 'help' || sub === '--help' || sub === '-h')
        return show(help);
      throw new UsageError(
        `Unknown sub-command ${JSON.stringify(sub)}. Run \`keyhole ${command} --help\`.`,
      );
    },
  };
}

function show(text: string): number {
  out(text);
  return EXIT_OK;
}
