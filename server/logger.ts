// The relay's logger: pino, with every field that could hold a token, key or ciphertext redacted.
import pino from 'pino';

const SENSITIVE = [
  'authorization',
  'cookie',
  'token',
  'authKey',
  'itemKey',
  'password',
  'secret',
  'data',
  'body',
  'wrappedKey',
  'wrappedAccountKey',
  'wrappedPrivateKey',
  'keys',
  'value',
];

/** `key` and `*.key` and `*.headers.key` for every sensitive name. */
export const REDACT_PATHS = SENSITIVE.flatMap((k) => [k, `*.${k}`, `*.headers.${k}`, `*.*.${k}`]);

export function createLogger(
  options: { level?: string; destination?: pino.DestinationStream } = {},
): pino.Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: undefined,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    },
    options.destination ?? pino.destination({ fd: 1, sync: false }),
  );
}
