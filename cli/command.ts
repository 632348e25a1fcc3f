// What every CLI command module exports: its help text and a run function returning the exit code.
export interface Command {
  /** full help: usage line(s), description, options, example */
  help: string;
  /** true when run() answers --help itself (commands with sub-commands) */
  handlesHelp?: boolean;
  run(argv: string[]): Promise<number>;
}
