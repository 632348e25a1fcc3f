// Placeholder grammar: `$CLIENT_SECRET`, `$(secret:NAME)`, `$(secret:NAME.field)` — finding,
// listing and resolving them in a request template (docs/forward.md, "Placeholders").
import type { RequestTemplate } from '../protocol/forward.js';

export const CLIENT_SECRET = '$CLIENT_SECRET';

/** One placeholder occurrence. `ref` is the text inside `$(secret:…)`; absent for $CLIENT_SECRET. */
export interface PlaceholderToken {
  start: number;
  end: number;
  ref?: string;
}

/** Where a placeholder may appear; keys (header names, JSON keys, param names) are never read. */
export type PlaceholderPlace = 'url' | 'header' | 'data' | 'params';

export interface PlaceholderUse {
  place: PlaceholderPlace;
  /** undefined: $CLIENT_SECRET (the first secret) */
  ref?: string;
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

function collectStrings(value: unknown, into: string[], depth = 0): void {
  if (depth > 64) return;
  if (typeof value === 'string') into.push(value);
  else if (Array.isArray(value)) for (const v of value) collectStrings(v, into, depth + 1);
  else if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value as Record<string, unknown>))
      collectStrings(v, into, depth + 1);
  }
}

type TemplateParts = Pick<RequestTemplate, 'url' | 'headers' | 'data' | 'params'> & {
  method?: string;
};

/** GET and HEAD send no body: their `data` is ignored, placeholders in it included. */
function sendsData(method: string | undefined): boolean {
  return method !== 'GET' && method !== 'HEAD';
}

/** Every placeholder in the parts of the template that are sent, with where it is. */
export function listPlaceholders(template: TemplateParts): PlaceholderUse[] {
  const uses: PlaceholderUse[] = [];
  const add = (place: PlaceholderPlace, text: string) => {
    for (const t of findPlaceholders(text))
      uses.push(t.ref === undefined ? { place } : { place, ref: t.ref });
  };
  add('url', template.url);
  for (const v of Object.values(template.headers ?? {})) add('header', v);
  const strings: string[] = [];
  if (sendsData(template.method)) collectStrings(template.data, strings);
  for (const s of strings) add('data', s);
  for (const v of Object.values(template.params ?? {})) if (typeof v === 'string') add('params', v);
  return uses;
}

/** `$CLIENT_SECRET` (or a `$(secret:…)`) must appear in at least one of url, headers, data, params. */
export function templateHasPlaceholder(template: TemplateParts): boolean {
  return listPlaceholders(template).length > 0;
}
