// Placeholder grammar: `$CLIENT_SECRET`, `$(secret:NAME)`, `$(secret:NAME.field)` — finding,
// listing and resolving them in a request template (docs/forward.md, "Placeholders").
import type { RequestTemplate } from '../protocol/forward.js';
import { bodyTextFields } from './body-fields.js';
import { walkStrings } from './traverse.js';

export const CLIENT_SECRET = '$CLIENT_SECRET';

/** One placeholder occurrence. `ref` is the text inside `$(secret:…)`; absent for $CLIENT_SECRET. */
export interface PlaceholderToken {
  start: number;
  end: number;
  ref?: string;
}

/** Where a placeholder may appear; keys (header names, JSON keys, param names) are never read. */
export type PlaceholderPlace = 'url' | 'header' | 'data' | 'params';

/**
 * Exactly where one placeholder stands, for placement (docs/forward.md, "Placement"):
 * url — in the path (no `query`) or the query of the url, or in `params` (`query`: the parameter);
 * header — in the value of header `name` (lower-case);
 * body — in the field at dot path `path` of a JSON or form body; null: free text or a key.
 */
export type PlaceholderSite =
  | { part: 'url'; query?: string }
  | { part: 'header'; name: string }
  | { part: 'body'; path: string | null };

export interface PlaceholderUse {
  place: PlaceholderPlace;
  /** undefined: $CLIENT_SECRET (the first secret) */
  ref?: string;
  site: PlaceholderSite;
}

export const PLACEHOLDER_RE = /\$CLIENT_SECRET|\$\(secret:([A-Za-z0-9][A-Za-z0-9_.-]{0,160})\)/g;

export function findPlaceholders(text: string): PlaceholderToken[] {
  // Page input is not type-checked yet when the background looks for placeholders (fuzz: headers: [{}]).
  if (typeof text !== 'string' || !text.includes('$')) return [];
  const out: PlaceholderToken[] = [];
  for (const m of text.matchAll(PLACEHOLDER_RE)) {
    const token: PlaceholderToken = { start: m.index, end: m.index + m[0].length };
    if (m[1] !== undefined) token.ref = m[1];
    out.push(token);
  }
  return out;
}

export function hasPlaceholder(text: string): boolean {
  return findPlaceholders(text).length > 0;
}

/** Replaces every placeholder in `text` by `replace(token)`. */
export function replacePlaceholders(
  text: string,
  replace: (token: PlaceholderToken) => string,
): string {
  const tokens = findPlaceholders(text);
  if (tokens.length === 0) return text;
  let out = '';
  let at = 0;
  for (const token of tokens) {
    out += text.slice(at, token.start) + replace(token);
    at = token.end;
  }
  return out + text.slice(at);
}

/**
 * Resolves a `$(secret:…)` reference against the secret names of the request. Names may contain
 * dots, so: an exact name wins; otherwise the longest name followed by `.field`.
 */
export function resolveRef(
  ref: string,
  names: readonly string[],
): { name: string; field?: string } | null {
  if (names.includes(ref)) return { name: ref };
  let best: string | null = null;
  for (const name of names) {
    if (
      ref.startsWith(`${name}.`) &&
      ref.length > name.length + 1 &&
      (best === null || name.length > best.length)
    ) {
      best = name;
    }
  }
  return best === null ? null : { name: best, field: ref.slice(best.length + 1) };
}

type TemplateParts = Pick<RequestTemplate, 'url' | 'headers' | 'data' | 'params'> & {
  method?: string;
};

/** GET and HEAD send no body: their `data` is ignored, placeholders in it included. */
function sendsData(method: string | undefined): boolean {
  return method !== 'GET' && method !== 'HEAD';
}

/** The part of a url template that is sent (and substituted): everything before `#`. */
export function sentUrl(url: string): string {
  const hash = url.indexOf('#');
  return hash === -1 ? url : url.slice(0, hash);
}

function decodeQueryName(raw: string): string | undefined {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

/** The query parameter a placeholder at [start, end) of `url` is the value of, if any. */
function queryNameAt(url: string, start: number, end: number): string | undefined {
  const q = url.indexOf('?');
  if (q === -1 || start < q) return undefined;
  let at = q + 1;
  for (const pair of url.slice(q + 1).split('&')) {
    const eq = pair.indexOf('=');
    if (eq !== -1 && start >= at + eq + 1 && end <= at + pair.length) {
      return decodeQueryName(pair.slice(0, eq));
    }
    at += pair.length + 1;
  }
  return undefined;
}

function headerValue(headers: Record<string, unknown> | undefined, name: string) {
  for (const [k, v] of Object.entries(headers ?? {}))
    if (k.toLowerCase() === name && typeof v === 'string') return v;
  return undefined;
}

/**
 * Every placeholder in the parts of the template that are sent, with where it is: the one
 * traversal the extension's check, the request builder and the relay share. Throws
 * INVALID_REQUEST for data nested deeper than MAX_DATA_DEPTH.
 */
export function listPlaceholders(template: TemplateParts): PlaceholderUse[] {
  const uses: PlaceholderUse[] = [];
  const push = (place: PlaceholderPlace, site: PlaceholderSite, ref: string | undefined) =>
    uses.push(ref === undefined ? { place, site } : { place, ref, site });

  const url = typeof template.url === 'string' ? sentUrl(template.url) : '';
  for (const t of findPlaceholders(url)) {
    const query = queryNameAt(url, t.start, t.end);
    push('url', query === undefined ? { part: 'url' } : { part: 'url', query }, t.ref);
  }
  const headers = (template.headers ?? {}) as Record<string, unknown>;
  for (const [name, v] of Object.entries(headers)) {
    if (typeof v !== 'string') continue;
    for (const t of findPlaceholders(v))
      push('header', { part: 'header', name: name.toLowerCase() }, t.ref);
  }
  if (sendsData(template.method)) {
    const data: unknown = template.data;
    if (typeof data === 'string') {
      const fields = bodyTextFields(data, headerValue(headers, 'content-type'));
      findPlaceholders(data).forEach((t, i) =>
        push('data', { part: 'body', path: fields[i] ?? null }, t.ref),
      );
    } else {
      walkStrings(data, (text, path) => {
        for (const t of findPlaceholders(text))
          push('data', { part: 'body', path: path.length > 0 ? path.join('.') : null }, t.ref);
      });
    }
  }
  for (const [k, v] of Object.entries((template.params ?? {}) as Record<string, unknown>)) {
    if (typeof v !== 'string') continue;
    for (const t of findPlaceholders(v)) push('params', { part: 'url', query: k }, t.ref);
  }
  return uses;
}

/** `$CLIENT_SECRET` (or a `$(secret:…)`) must appear in at least one of url, headers, data, params. */
export function templateHasPlaceholder(template: TemplateParts): boolean {
  return listPlaceholders(template).length > 0;
}
