// CLI output: messages and progress on stderr, data on stdout, errors as `CODE: message` plus a
// hint telling the user what to do next. Exit codes: 0 ok, 1 failure, 2 usage error.
import { KeyholeError, type ErrorCode } from '../shared/errors.js';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** A mistake in the command line itself (exit 2). */
export class UsageError extends KeyholeError {
  constructor(message: string) {
    super('INVALID_REQUEST', message);
  }
}

export function info(message: string): void {
  process.stderr.write(`${message}\n`);
}

export function out(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

const HINTS: Partial<Record<ErrorCode, string>> = {
  NOT_CONFIGURED:
    'Run `keyhole login --relay URL --email E` first (or `keyhole signup --relay URL --email E`).',
  UNAUTHENTICATED: 'Run `keyhole login` again.',
  INVALID_CREDENTIALS: 'Check the email and the master password (KEYHOLE_PASSWORD or the prompt).',
  ACCOUNT_EXISTS: 'Log in instead: `keyhole login --relay URL --email E`.',
  RELAY_UNAVAILABLE:
    'Is the relay running? Start one with `keyhole relay`, or check the --relay URL.',
  SECRET_NOT_FOUND: 'See `keyhole secret list` for the secrets you have.',
  HOST_NOT_ALLOWED:
    "Allow the host first: `keyhole secret update NAME --host HOST` (it replaces the secret's host list).",
  PLACEHOLDER_MISSING:
    "Put $CLIENT_SECRET where the secret goes, e.g. -H 'Authorization: Bearer $CLIENT_SECRET'.",
  KDF_PARAMS_TOO_WEAK:
    'The relay offered key-derivation parameters under the safe minimum; refusing to log in.',
};

/** Prints an error and returns the exit code for it. */
export function reportError(err: unknown): number {
  if (err instanceof KeyholeError) {
    info(`${err.code}: ${err.message}`);
    if (err instanceof UsageError) return EXIT_USAGE;
    const d = err.details as { reason?: unknown; host?: unknown } | undefined;
    // The relay refused a private/loopback address: the fix is on the relay, not the secret.
    const hint =
      err.code === 'HOST_NOT_ALLOWED' && d?.reason === 'PRIVATE_ADDRESS'
        ? `Restart the relay with KEYHOLE_ALLOW_PRIVATE=${typeof d.host === 'string' ? d.host : 'host:port'} (local APIs only).`
        : HINTS[err.code];
    if (hint) info(hint);
    return EXIT_FAILURE;
  }
  info(`INTERNAL: ${err instanceof Error ? err.message : String(err)}`);
  return EXIT_FAILURE;
}
