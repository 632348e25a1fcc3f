// Streaming scrubber: replaces every occurrence of the request's secret forms by [REDACTED] in a
// byte stream, also across chunk boundaries (docs/forward.md, "Scrubbing").
export const REDACTED_TEXT = '[REDACTED]';
const REDACTED = Buffer.from(REDACTED_TEXT);
const EMPTY = Buffer.alloc(0);

/** Identical under encodeURIComponent, form encoding and JSON escaping (most API keys). */
const PLAIN_RE = /^[A-Za-z0-9_.-]*$/;
/** What encodeURIComponent leaves alone but the form encoding escapes. */
const FORM_EXTRA_RE = /[!'()~]/g;

function formEscape(ch: string): string {
  return `%${ch.charCodeAt(0).toString(16).toUpperCase()}`;
}

function addForm(forms: string[], form: string): void {
  if (form !== '' && !forms.includes(form)) forms.push(form);
}

/**
 * The forms a secret value can take in an answer: raw, encodeURIComponent, form-encoded,
 * JSON-escaped (inner part of JSON.stringify), base64 and base64url. Empty values yield nothing.
 * (The form encoding is encodeURIComponent's output with `!'()~` escaped and `%20` as `+`:
 * byte for byte what URLSearchParams writes.)
 */
export function secretForms(value: string): string[] {
  if (value === '') return [];
  const forms = [value];
  if (!PLAIN_RE.test(value)) {
    const uri = encodeURIComponent(value);
    addForm(forms, uri);
    addForm(forms, uri.replace(FORM_EXTRA_RE, formEscape).replaceAll('%20', '+'));
    addForm(forms, JSON.stringify(value).slice(1, -1));
  }
  const bytes = Buffer.from(value, 'utf8');
  addForm(forms, bytes.toString('base64'));
  addForm(forms, bytes.toString('base64url'));
  return forms;
}

/**
 * Byte-level, chunk-safe replacement (bytes, not strings: a chunk may end inside a UTF-8
 * character). Only a tail that is the beginning of some pattern is held back between chunks, so
 * an SSE event is passed on as soon as it arrives unless it ends with the start of a secret.
 * At one position the longest pattern wins; the leftmost position wins overall.
 */
export class Scrubber {
  private readonly patterns: Buffer[];
  /** the same patterns as strings, longest first (header values) */
  private readonly strings: string[];
  private tail: Buffer = EMPTY;

  constructor(values: Iterable<string>) {
    const set = new Set<string>();
    for (const v of values) if (v !== '') set.add(v);
    this.patterns = [...set].map((v) => Buffer.from(v, 'utf8')).sort((a, b) => b.length - a.length);
    this.strings = this.patterns.map((p) => p.toString('utf8'));
  }

  get active(): boolean {
    return this.patterns.length > 0;
  }

  /** Scrubs a whole string at once (header values). */
  scrubString(text: string): string {
    if (this.patterns.length === 0) return text;
    let out = text;
    for (const s of this.strings) {
      if (out.includes(s)) out = out.split(s).join(REDACTED_TEXT);
    }
    return out;
  }

  /** Feeds a chunk; returns what may be emitted now (possibly empty). */
  push(chunk: Buffer): Buffer {
    if (this.patterns.length === 0) return chunk;
    const buf = this.tail.length === 0 ? chunk : Buffer.concat([this.tail, chunk]);
    return this.process(buf, false);
  }

  /** Flushes the held-back tail at the end of the stream. */
  end(): Buffer {
    if (this.tail.length === 0) return EMPTY;
    const buf = this.tail;
    this.tail = EMPTY;
    return this.process(buf, true);
  }

  /** Start positions j where buf[j..] is a proper prefix of some pattern (ascending). */
  private partialStarts(buf: Buffer): number[] {
    const len = buf.length;
    const starts = new Set<number>();
    for (const p of this.patterns) {
      const first = p[0]!;
      let j = buf.indexOf(first, Math.max(0, len - (p.length - 1)));
      while (j !== -1 && j < len) {
        if (buf.compare(p, 0, len - j, j, len) === 0) starts.add(j);
        j = buf.indexOf(first, j + 1);
      }
    }
    return [...starts].sort((a, b) => a - b);
  }

  private process(buf: Buffer, final: boolean): Buffer {
    const len = buf.length;
    const partials = final ? [] : this.partialStarts(buf);
    const holdFrom = (from: number) => {
      for (const s of partials) if (s >= from) return s;
      return len;
    };
    const parts: Buffer[] = [];
    let at = 0;
    for (;;) {
      // A complete match starting before the first undecided position is final: no longer
      // pattern can start at or before it and still be completed by the next chunk.
      const limit = holdFrom(at);
      let best = -1;
      let bestLen = 0;
      for (const p of this.patterns) {
        const i = buf.indexOf(p, at);
        if (
          i !== -1 &&
          i < limit &&
          (best === -1 || i < best || (i === best && p.length > bestLen))
        ) {
          best = i;
          bestLen = p.length;
        }
      }
      if (best === -1) break;
      if (best > at) parts.push(buf.subarray(at, best));
      parts.push(REDACTED);
      at = best + bestLen;
    }
    const keepFrom = holdFrom(at);
    if (keepFrom > at) parts.push(buf.subarray(at, keepFrom));
    this.tail = keepFrom < len ? Buffer.from(buf.subarray(keepFrom)) : EMPTY;
    if (parts.length === 0) return EMPTY;
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }
}
