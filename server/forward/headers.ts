// Header rules of the forwarder: what a caller may send upstream, what comes back to the caller
// (docs/forward.md, "Headers").
import type { IncomingHttpHeaders } from 'node:http';
import { KeyholeError } from '../../shared/errors.js';
import { CONNECTION_HEADERS, RELAY_ERROR_HEADER } from '../../shared/protocol/forward.js';

/** RFC 9110 §5.6.2 token: the only characters a header name may have. */
const TOKEN_RE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// CR, LF, NUL and the other controls except HTAB (RFC 9110 §5.5).
// eslint-disable-next-line no-control-regex
const BAD_VALUE_RE = /[\u0000-\u0008\u000a-\u001f\u007f]/;

/**
 * Request headers the relay drops silently: the connection is the relay's, not the page's
 * (hop-by-hop, framing and routing), and Accept-Encoding is replaced by `identity` so that the
 * answer can be scrubbed.
 */
const DROPPED_REQUEST = new Set<string>([
  ...CONNECTION_HEADERS,
  'host',
  'expect',
  'http2-settings',
  'accept-encoding',
]);

export function isDroppedRequestHeader(lowerName: string): boolean {
  return DROPPED_REQUEST.has(lowerName) || lowerName.startsWith('proxy-');
}

/** Refuses a header name that is not a token (INVALID_REQUEST). */
export function assertHeaderName(name: string): void {
  if (!TOKEN_RE.test(name))
    throw new KeyholeError('INVALID_REQUEST', 'A header name is not a valid HTTP token.');
}

/** Refuses CR, LF, NUL and other controls in a header value — also after substitution. */
export function assertHeaderValue(value: string): void {
  if (BAD_VALUE_RE.test(value)) {
    throw new KeyholeError(
      'INVALID_REQUEST',
      'A header value contains a control character (CR, LF or NUL).',
    );
  }
}

/**
 * Response headers never passed back: hop-by-hop and framing (the relay re-frames, and scrubbing
 * can change the length), cookies (a session the secret opened is as good as the secret),
 * headers about the upstream origin that would bind the relay's origin (HSTS, Alt-Svc), and the
 * relay's own error header (an upstream must not pose as the relay).
 */
const DROPPED_RESPONSE = new Set<string>([
  ...CONNECTION_HEADERS,
  'proxy-authenticate',
  'proxy-connection',
  'set-cookie',
  'set-cookie2',
  'strict-transport-security',
  'alt-svc',
  'public-key-pins',
  RELAY_ERROR_HEADER,
]);

export function responseHeaders(
  upstream: IncomingHttpHeaders,
  scrub: (value: string) => string,
): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(upstream)) {
    if (value === undefined) continue;
    const lower = name.toLowerCase();
    if (DROPPED_RESPONSE.has(lower)) continue;
    // CORS on the relay's origin is the relay's to answer (grants: only the grant's origins).
    if (lower.startsWith('access-control-')) continue;
    out[lower] = Array.isArray(value) ? value.map(scrub) : scrub(value);
  }
  return out;
}
