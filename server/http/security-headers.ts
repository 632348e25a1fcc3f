// The security headers every answer of the relay carries, on every route: the Hono routes, the
// forward handler's own answers and errors, and the upstream answers it relays. One list.
import type { ServerResponse } from 'node:http';

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  // A route (or an upstream answer) may send its own Cache-Control; this is the default.
  'cache-control': 'no-store',
};

/** Sets the defaults on Node's response before any route runs (a route's own values win). */
export function setSecurityHeaders(res: ServerResponse): void {
  for (const name in SECURITY_HEADERS) res.setHeader(name, SECURITY_HEADERS[name]!);
}

/** Adds them to headers about to be sent (a relayed upstream answer keeps its Cache-Control). */
export function withSecurityHeaders(
  headers: Record<string, string | string[]>,
): Record<string, string | string[]> {
  headers['x-content-type-options'] = SECURITY_HEADERS['x-content-type-options']!;
  if (headers['cache-control'] === undefined)
    headers['cache-control'] = SECURITY_HEADERS['cache-control']!;
  return headers;
}
