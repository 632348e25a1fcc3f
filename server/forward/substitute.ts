// Builds the upstream request from the template: placeholders replaced, each in the encoding of
// where it stands (docs/forward.md, "Substitution"). Pure: no I/O.
import { KeyholeError } from '../../shared/errors.js';
import {
  assertNoPlaceholderInAuthority,
  mapStrings,
  parseDestination,
  replacePlaceholders,
  splitAuthority,
  type Destination,
  type PlaceholderToken,
} from '../../shared/policy/index.js';
import type { RequestTemplate } from '../../shared/protocol/forward.js';
import { assertHeaderName, assertHeaderValue, isDroppedRequestHeader } from './headers.js';

/** Raw value of a placeholder occurrence (throws SECRET_NOT_FOUND / INVALID_REQUEST). */
export type Lookup = (token: PlaceholderToken) => string;

export interface OutgoingRequest {
  dest: Destination;
  method: RequestTemplate['method'];
  /** pathname + search, as sent on the request line */
  path: string;
  headers: Record<string, string>;
  body: string | null;
}

export function methodHasBody(method: string): boolean {
  return method !== 'GET' && method !== 'HEAD';
}

/** The shared walk (shared/policy/traverse.ts): the same leaves and depth limit as every check. */
function substituteDeep(value: unknown, lookup: Lookup): unknown {
  return mapStrings(value, (text) => replacePlaceholders(text, lookup));
}

/** The url with placeholders percent-encoded in path and query, params appended, fragment dropped. */
export function substituteUrl(template: RequestTemplate, lookup: Lookup): string {
  assertNoPlaceholderInAuthority(template.url);
  const { authority, rest } = splitAuthority(template.url);
  const hash = rest.indexOf('#');
  const pathAndQuery = hash === -1 ? rest : rest.slice(0, hash);
  let url = authority + replacePlaceholders(pathAndQuery, (t) => encodeURIComponent(lookup(t)));
  const params = template.params ? Object.entries(template.params) : [];
  if (params.length > 0) {
    const query = params
      .map(([k, v]) => {
        const text = typeof v === 'string' ? replacePlaceholders(v, lookup) : String(v);
        return `${encodeURIComponent(k)}=${encodeURIComponent(text)}`;
      })
      .join('&');
    url += url.includes('?')
      ? url.endsWith('?') || url.endsWith('&')
        ? query
        : `&${query}`
      : `?${query}`;
  }
  return url;
}

/** `before`: the template url as parseDestination gave it, when the caller has it already. */
export function buildOutgoing(
  template: RequestTemplate,
  lookup: Lookup,
  before: Destination = parseDestination(template.url),
): OutgoingRequest {
  const url = substituteUrl(template, lookup);
  // The same text parses to the same destination: parsed again only when substitution changed it.
  const dest = url === template.url ? before : parseDestination(url);
  // Placeholders are refused before the path, so this cannot differ — checked anyway (invariant 2).
  if (
    dest.scheme !== before.scheme ||
    dest.hostname !== before.hostname ||
    dest.port !== before.port
  ) {
    throw new KeyholeError('HOST_NOT_ALLOWED', 'Substitution may not change the destination.');
  }

  const headers: Record<string, string> = {};
  let contentType: string | undefined;
  for (const [name, raw] of Object.entries(template.headers)) {
    assertHeaderName(name);
    assertHeaderValue(raw);
    const lower = name.toLowerCase();
    if (isDroppedRequestHeader(lower)) continue;
    const value = replacePlaceholders(raw, lookup);
    assertHeaderValue(value);
    headers[lower] = value;
    if (lower === 'content-type') contentType = value;
  }
  // The answer must arrive uncompressed to be scrubbed.
  headers['accept-encoding'] = 'identity';

  let body: string | null = null;
  if (methodHasBody(template.method) && template.data !== undefined) {
    if (typeof template.data === 'string') {
      body = replacePlaceholders(template.data, lookup);
    } else {
      const data = substituteDeep(template.data, lookup);
      const isForm =
        contentType !== undefined && /^application\/x-www-form-urlencoded\b/i.test(contentType);
      if (isForm && data !== null && typeof data === 'object' && !Array.isArray(data)) {
        const form = new URLSearchParams();
        for (const [k, v] of Object.entries(data)) {
          form.append(k, typeof v === 'string' ? v : JSON.stringify(v));
        }
        body = form.toString();
      } else {
        // JSON.stringify escapes every substituted string: a secret cannot break out of its value.
        body = JSON.stringify(data);
        if (contentType === undefined) headers['content-type'] = 'application/json';
      }
    }
  }
  return {
    dest,
    method: template.method,
    path: `${dest.url.pathname}${dest.url.search}`,
    headers,
    body,
  };
}
