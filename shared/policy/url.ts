// Destination url parsing: one WHATWG parse plus the refusals of docs/forward.md, "Destination urls".
import { KeyholeError } from '../errors.js';

/** A destination url that passed every shape check; `url` has no fragment. */
export interface Destination {
  url: URL;
  scheme: 'http' | 'https';
  /** lowercase, IDNA-normalised; IPv6 literals keep their brackets (as WHATWG URL gives them) */
  hostname: string;
  /** effective port (80/443 when the url omits it) */
  port: number;
}

export const MAX_URL_LENGTH = 8192;

const SCHEME_RE = /^https?:\/\//i;
// C0 controls, space and DEL: WHATWG silently strips or removes some of them; we refuse them all.
// eslint-disable-next-line no-control-regex
const CONTROL_OR_SPACE_RE = /[\u0000-\u0020\u007f]/;

function refuse(why: string): never {
  throw new KeyholeError('HOST_NOT_ALLOWED', `The destination url is refused: ${why}.`);
}

/**
 * Splits a raw url (or url template) into its scheme+authority part and the rest (path, query,
 * fragment). Placeholders are allowed only in the rest.
 */
export function splitAuthority(raw: string): { authority: string; rest: string } {
  const schemeEnd = raw.indexOf('//');
  const from = schemeEnd === -1 ? 0 : schemeEnd + 2;
  let end = raw.length;
  for (const ch of ['/', '?', '#']) {
    const at = raw.indexOf(ch, from);
    if (at !== -1 && at < end) end = at;
  }
  return { authority: raw.slice(0, end), rest: raw.slice(end) };
}

/** The raw path part of a url (between the authority and `?`/`#`). */
function rawPath(raw: string): string {
  const { rest } = splitAuthority(raw);
  let end = rest.length;
  for (const ch of ['?', '#']) {
    const at = rest.indexOf(ch);
    if (at !== -1 && at < end) end = at;
  }
  return rest.slice(0, end);
}

/** True when a path segment is `.` or `..`, literally or with `%2e`/`%2E` (RFC 3986 §5.2.4). */
export function isDotSegment(segment: string): boolean {
  const s = segment.replace(/%2e/gi, '.');
  return s === '.' || s === '..';
}

/**
 * Parses a destination url once and refuses everything docs/forward.md lists: non-http(s)
 * schemes, userinfo, backslashes, control characters or spaces, literal or encoded dot segments,
 * an empty host. The fragment is dropped (it never leaves a client anyway).
 * Throws INVALID_REQUEST for something that is not a url, HOST_NOT_ALLOWED for a refused shape.
 */
export function parseDestination(raw: string): Destination {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > MAX_URL_LENGTH) {
    throw new KeyholeError('INVALID_REQUEST', 'The url is missing or too long.');
  }
  if (raw.includes('\\')) refuse('backslash');
  if (CONTROL_OR_SPACE_RE.test(raw)) refuse('control character or space');
  if (!SCHEME_RE.test(raw)) refuse('only http:// and https:// urls are forwarded');
  const { authority } = splitAuthority(raw);
  if (authority.includes('@')) refuse('userinfo');
  for (const segment of rawPath(raw).split('/')) {
    if (isDotSegment(segment)) refuse('dot segment in the path');
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new KeyholeError('INVALID_REQUEST', 'The url cannot be parsed.');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') refuse('scheme');
  if (url.username !== '' || url.password !== '') refuse('userinfo');
  if (url.hostname === '') refuse('empty host');
  url.hash = '';
  const scheme = url.protocol === 'https:' ? 'https' : 'http';
  const port = url.port === '' ? (scheme === 'https' ? 443 : 80) : Number(url.port);
  return { url, scheme, hostname: url.hostname, port };
}
