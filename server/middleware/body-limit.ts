// Caps request bodies before anything parses them, declared (Content-Length) or chunked alike.
import { bodyLimit } from 'hono/body-limit';
import type { MiddlewareHandler } from 'hono';
import { KeyholeError } from '../../shared/errors.js';

export function limitBody(maxBytes: number): MiddlewareHandler {
  return bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw new KeyholeError(
        'PAYLOAD_TOO_LARGE',
        `The request body is larger than ${maxBytes} bytes.`,
      );
    },
  });
}
