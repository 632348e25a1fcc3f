// Allowed-host entries (`host`, `host:port`, `*.host`, `scheme://host[:port]/prefix`) and the match
// of a parsed destination against them (docs/forward.md, "Allowed hosts").
import { isDotSegment, type Destination } from './url.js';

export interface AllowedHostRule {
  scheme: 'http' | 'https';
  /** lowercase, IDNA-normalised, no trailing dot; IPv6 literals with brackets */
  host: string;
  /** `*.host`: any subdomain of `host` (one or more labels), never `host` itself */
  wildcard: boolean;
  port: number;
  /** normalised path prefix without trailing slash; '' = any path */
  pathPrefix: string;
}

const SCHEMED_RE = /^(https?):\/\/(.*)$/i;

function stripDot(host: string): string {
  return host.endsWith('.') ? host.slice(0, -1) : host;
}

/**
 * Parses one entry. Returns null for an entry that is not valid (an invalid entry never matches:
 * the policy fails closed). Entries without a scheme mean https on port 443 unless a port is given.
 */
export function parseAllowedHost(entry: string): AllowedHostRule | null {
  if (typeof entry !== 'string') return null;
  const text = entry.trim();
  if (text === '' || text.length > 300 || /[\s\\@?#]/.test(text)) return null;
  let scheme: 'http' | 'https' = 'https';
  let rest = text;
  const schemed = SCHEMED_RE.exec(text);
  if (schemed) {
    scheme = schemed[1]!.toLowerCase() as 'http' | 'https';
    rest = schemed[2]!;
  } else if (text.includes('://') || text.includes('/')) {
    return null; // another scheme, or a path without a scheme
  }
  let wildcard = false;
  if (rest.startsWith('*.')) {
    wildcard = true;
    rest = rest.slice(2);
  }
  if (rest.includes('*') || rest === '' || rest.startsWith('/')) return null;
  let url: URL;
  try {
    url = new URL(`${scheme}://${rest}`);
  } catch {
    return null;
  }
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '')
    return null;
  const host = stripDot(url.hostname);
  if (host === '') return null;
  if (wildcard) {
    // `*.com` or `*.[::1]` would be far too wide: a wildcard needs a name with at least two labels.
    if (host.startsWith('[') || host.split('.').length < 2 || /^[\d.]+$/.test(host)) return null;
  }
  const port = url.port === '' ? (scheme === 'https' ? 443 : 80) : Number(url.port);
  let pathPrefix = '';
  if (schemed) {
    const rawPath = rest.slice(rest.indexOf('/') === -1 ? rest.length : rest.indexOf('/'));
    if (rawPath.split('/').some(isDotSegment)) return null;
    pathPrefix = url.pathname.replace(/\/+$/, '');
  }
  return { scheme, host, wildcard, port, pathPrefix };
}

/** True when every entry is a valid rule (the extension and CLI refuse bad entries on input). */
export function isValidAllowedHost(entry: string): boolean {
  return parseAllowedHost(entry) !== null;
}

function safeDecode(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}

/**
 * Path prefix on segment boundaries: `/v1` matches `/v1`, `/v1/` and `/v1/x`, never `/v10`.
 * A path with an encoded `/` or `\` or a dot segment (after decoding) never matches a prefix
 * rule: the upstream could decode it and step outside the prefix.
 */
function pathMatches(prefix: string, pathname: string): boolean {
  if (prefix === '') return true;
  if (!(pathname === prefix || pathname.startsWith(`${prefix}/`))) return false;
  for (const segment of pathname.split('/')) {
    const decoded = safeDecode(segment);
    if (
      decoded === null ||
      decoded.includes('/') ||
      decoded.includes('\\') ||
      isDotSegment(decoded)
    ) {
      return false;
    }
  }
  return true;
}

export function ruleMatches(rule: AllowedHostRule, dest: Destination): boolean {
  if (rule.scheme !== dest.scheme || rule.port !== dest.port) return false;
  const host = stripDot(dest.hostname);
  if (rule.wildcard) {
    if (!(host.length > rule.host.length + 1 && host.endsWith(`.${rule.host}`))) return false;
  } else if (host !== rule.host) {
    return false;
  }
  return pathMatches(rule.pathPrefix, dest.url.pathname);
}

/** True when the destination matches at least one valid entry. */
export function isDestinationAllowed(dest: Destination, entries: readonly string[]): boolean {
  for (const entry of entries) {
    const rule = parseAllowedHost(entry);
    if (rule && ruleMatches(rule, dest)) return true;
  }
  return false;
}
