// Maps what undici, the SSRF guard and the network throw to the forwarder's error codes.
import { KeyholeError } from '../../shared/errors.js';

const TIMEOUT_CODES = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ETIMEDOUT',
  'ABORT_ERR',
]);
const INVALID_CODES = new Set([
  'UND_ERR_INVALID_ARG',
  'UND_ERR_NOT_SUPPORTED',
  'ERR_INVALID_CHAR',
  'ERR_INVALID_HTTP_TOKEN',
]);

export function toKeyholeError(err: unknown): KeyholeError {
  if (err instanceof KeyholeError) return err;
  const e = err as { code?: unknown; name?: unknown; cause?: unknown } | null;
  if (e && typeof e === 'object' && e.cause instanceof KeyholeError) return e.cause;
  const code = typeof e?.code === 'string' ? e.code : '';
  if (TIMEOUT_CODES.has(code) || e?.name === 'TimeoutError')
    return new KeyholeError('UPSTREAM_TIMEOUT');
  if (INVALID_CODES.has(code))
    return new KeyholeError('INVALID_REQUEST', 'The request cannot be sent as given.');
  // ECONNREFUSED, ECONNRESET, EHOSTUNREACH, ENETUNREACH, EPIPE, UND_ERR_SOCKET, TLS failures …
  return new KeyholeError('UPSTREAM_UNREACHABLE');
}
