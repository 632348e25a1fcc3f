// node:util parseArgs with errors turned into usage errors that point at the command's --help.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './output.js';

type Options = NonNullable<ParseArgsConfig['options']>;
type WithHelp<O extends Options> = O & { help: { type: 'boolean'; short: 'h' } };
/** What parse() returns, named so the project's declaration output can refer to it. */
export type Parsed<O extends Options> = ReturnType<
  typeof parseArgs<{ args: string[]; options: WithHelp<O>; allowPositionals: true; strict: true }>
>;

export function parse<O extends Options>(
  argv: string[],
  options: O,
  command: string,
  positionals = 0,
): Parsed<O> {
  let parsed: Parsed<O>;
  try {
    parsed = parseArgs({
      args: argv,
      options: { ...options, help: { type: 'boolean', short: 'h' } } as WithHelp<O>,
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    const message =
      err instanceof Error
        ? err.message.replace(/\. To specify a positional.*$/s, '.')
        : String(err);
    throw new UsageError(`${message} Run \`keyhole ${command} --help\`.`);
  }
  if (parsed.positionals.length > positionals) {
    throw new UsageError(
      `Unexpected argument ${JSON.stringify(parsed.positionals[positionals])}. Run \`keyhole ${command} --help\`.`,
    );
  }
  return parsed;
}

export function required(value: string | undefined, flag: string, command: string): string {
  if (value === undefined || value === '') {
    throw new UsageError(`${flag} is required. Run \`keyhole ${command} --help\`.`);
  }
  return value;
}

/** A password-looking flag is refused outright: the password never goes on a command line. */
export function refusePasswordFlag(argv: string[]): void {
  if (argv.some((a) => /^--?(password|pass|pw|master-password)(=|$)/i.test(a))) {
    throw new UsageError(
      'The master password is never accepted as an argument (it would land in shell history and `ps`). ' +
        'Set KEYHOLE_PASSWORD or type it at the prompt.',
    );
  }
}
