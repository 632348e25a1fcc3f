// Where each placeholder in a body sent as text stands: the JSON field or form field that holds
// it, read from the raw text the relay substitutes in (docs/forward.md, "Placement").
// A placeholder in a JSON key, a form key or free text has no field (null): no `body:PATH` fits.
import { findPlaceholders } from './placeholders.js';

/** For each placeholder of `text` (in findPlaceholders order), its dot path, or null. */
export function bodyTextFields(text: string, contentType: string | undefined): (string | null)[] {
  const tokens = findPlaceholders(text);
  if (tokens.length === 0) return [];
  const spans = /^application\/x-www-form-urlencoded\b/i.test(contentType ?? '')
    ? formSpans(text)
    : (jsonSpans(text) ?? []);
  // Both lists are in text order: one pass.
  let k = 0;
  return tokens.map((t) => {
    while (k < spans.length && spans[k]!.end < t.end) k++;
    const span = spans[k];
    return span && span.start <= t.start ? span.path : null;
  });
}

/** A stretch of raw text whose placeholders land in the field `path` (null: a key). */
interface Span {
  start: number;
  end: number;
  path: string | null;
}

function formSpans(text: string): Span[] {
  const spans: Span[] = [];
  let at = 0;
  for (const pair of text.split('&')) {
    const eq = pair.indexOf('=');
    if (eq === -1) {
      spans.push({ start: at, end: at + pair.length, path: null });
    } else {
      let key: string | null;
      try {
        key = decodeURIComponent(pair.slice(0, eq).replace(/\+/g, ' '));
      } catch {
        key = null;
      }
      spans.push({ start: at, end: at + eq, path: null });
      spans.push({ start: at + eq + 1, end: at + pair.length, path: key === '' ? null : key });
    }
    at += pair.length + 1;
  }
  return spans;
}

const LITERAL = /true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/**
 * The raw spans of every string literal of a JSON text, each with the dot path of the value it
 * is (keys: null). Null when the text is not JSON (then every placeholder in it is free text).
 */
function jsonSpans(text: string): Span[] | null {
  const spans: Span[] = [];
  let i = 0;
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const str = (): string | null => {
    if (text[i] !== '"') return null;
    const start = i + 1;
    i++;
    while (i < text.length && text[i] !== '"') {
      if (text[i] === '\\') i++;
      i++;
    }
    if (i >= text.length) return null;
    const raw = text.slice(start, i);
    i++;
    try {
      return JSON.parse(`"${raw}"`) as string;
    } catch {
      return null;
    }
  };
  const value = (path: string[], depth: number): boolean => {
    if (depth > 64) return false;
    ws();
    const c = text[i];
    if (c === '"') {
      const start = i + 1;
      if (str() === null) return false;
      spans.push({ start, end: i - 1, path: path.length > 0 ? path.join('.') : null });
      return true;
    }
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') {
        i++;
        return true;
      }
      for (;;) {
        ws();
        const keyStart = i + 1;
        const key = str();
        if (key === null) return false;
        spans.push({ start: keyStart, end: i - 1, path: null });
        ws();
        if (text[i] !== ':') return false;
        i++;
        if (!value([...path, key], depth + 1)) return false;
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return true;
        }
        return false;
      }
    }
    if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return true;
      }
      for (let n = 0; ; n++) {
        if (!value([...path, String(n)], depth + 1)) return false;
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return true;
        }
        return false;
      }
    }
    LITERAL.lastIndex = i;
    const m = LITERAL.exec(text);
    if (!m) return false;
    i += m[0].length;
    return true;
  };
  if (!value([], 0)) return null;
  ws();
  return i === text.length ? spans : null;
}
