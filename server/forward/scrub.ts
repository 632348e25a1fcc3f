// Streaming scrubber: replaces every known form of the request's secret values by [REDACTED] in a
// byte stream, also across chunk boundaries (docs/forward.md, "Scrubbing"). It is a net behind
// the boundary (allowed hosts and placement): an upstream that transforms what it receives in a
// way not listed here gets through, and no list can be complete.
export const REDACTED_TEXT = '[REDACTED]';
const REDACTED = Buffer.from(REDACTED_TEXT);
const EMPTY = Buffer.alloc(0);

/** Identical under encodeURIComponent, form encoding and JSON escaping (most API keys). */
const PLAIN_RE = /^[A-Za-z0-9_.-]*$/;
/** What encodeURIComponent leaves alone but the form encoding escapes. */
const FORM_EXTRA_RE = /[!'()~]/g;
/**
 * Derived forms shorter than this are not scrubbed: a 2-character base64 fragment would redact
 * innocent text everywhere. The raw value is scrubbed whatever its length.
 */
const MIN_DERIVED = 4;
/**
 * Only the first few values of a request (in the order given: the substituted value first), each
 * at most this long, get every derived form and the header windows; others (a PEM key, a long
 * JWT) get the raw, URL, JSON and whole-base64 forms. Hundreds of forms would cost a millisecond
 * a request.
 */
const MAX_FULL_VALUES = 4;
const MAX_FULL_LENGTH = 512;
/** Values after this many are scrubbed raw only (the lines of a PEM key the relay never sends). */
const MAX_BASIC_VALUES = 8;
/** A header value sharing this many consecutive characters with a secret is redacted whole. */
export const HEADER_WINDOW = 8;

/** HTML5 named references for the ASCII characters that have one (letters and digits have none). */
const NAMED_ENTITY: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
  '!': '&excl;',
  '#': '&num;',
  $: '&dollar;',
  '%': '&percnt;',
  '(': '&lpar;',
  ')': '&rpar;',
  '*': '&ast;',
  '+': '&plus;',
  ',': '&comma;',
  '.': '&period;',
  '/': '&sol;',
  ':': '&colon;',
  ';': '&semi;',
  '=': '&equals;',
  '?': '&quest;',
  '@': '&commat;',
  '[': '&lsqb;',
  '\\': '&bsol;',
  ']': '&rsqb;',
  '^': '&Hat;',
  _: '&lowbar;',
  '`': '&grave;',
  '{': '&lcub;',
  '|': '&verbar;',
  '}': '&rcub;',
  '\n': '&NewLine;',
  '\t': '&Tab;',
};
/** What an HTML template engine escapes. */
const HTML_SPECIAL_RE = /[&<>"']/g;

function formEscape(ch: string): string {
  return `%${ch.charCodeAt(0).toString(16).toUpperCase()}`;
}

/** Per ASCII code: its `\\uXXXX`, decimal and hex HTML references (lookup, not formatting). */
const U_ESC: string[] = [];
const DEC_REF: string[] = [];
const HEX_REF: string[] = [];
for (let c = 0; c < 128; c++) {
  U_ESC.push(`\\u${c.toString(16).padStart(4, '0')}`);
  DEC_REF.push(`&#${c};`);
  HEX_REF.push(`&#x${c.toString(16)};`);
}
const NAMED_RE = /[&<>"'!#$%()*+,./:;=?@[\\\]^_`{|}\n\t]/;
// eslint-disable-next-line no-control-regex
const ASCII_RE = /^[\u0000-\u007f]*$/;

/**
 * The characters of `bytes` placed at byte offset 0, 1 or 2 of a longer base64 text: only the
 * characters determined by the secret's bytes alone (RFC 4648 §4: 6 bits a character), so the
 * form matches whatever bytes come before and after. Returns [base64, base64url] per offset.
 */
function base64Offsets(bytes: Buffer): string[] {
  const out: string[] = [];
  const n = bytes.length;
  const padded = Buffer.alloc(n + 5);
  for (const offset of [0, 1, 2]) {
    if (offset > 0) padded.fill(0, 0, offset);
    bytes.copy(padded, offset);
    padded.fill(0, offset + n);
    const text = padded.toString('base64');
    const form = text.slice(Math.ceil((8 * offset) / 6), Math.floor((8 * (offset + n)) / 6));
    out.push(form, form.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  return out;
}

/** Every character escaped with `each` (code point → text); UTF-16 units for `\\u`. */
function escapeAll(value: string, ascii: boolean, table: string[], each: (cp: number) => string) {
  let out = '';
  if (ascii) {
    for (let i = 0; i < value.length; i++) out += table[value.charCodeAt(i)]!;
    return out;
  }
  for (const ch of value) out += each(ch.codePointAt(0)!);
  return out;
}

/**
 * The forms a secret value can take in an answer. Matching is ASCII case-insensitive (see
 * Scrubber), so one form stands for its upper- and lower-case hex, `%xx` and `\\uXXXX` spellings.
 * Empty values yield nothing.
 */
export function secretForms(value: string, full = true): string[] {
  if (value === '') return [];
  // An array, not a Set: hashing long escaped forms costs more than comparing (lengths differ).
  const forms = [value];
  const add = (form: string) => {
    if (form.length >= MIN_DERIVED && !forms.includes(form)) forms.push(form);
  };
  const ascii = ASCII_RE.test(value);
  if (!PLAIN_RE.test(value)) {
    // encodeURIComponent; the form encoding is the same with `!'()~` escaped and `%20` as `+`
    // (byte for byte what URLSearchParams writes); JSON.stringify's inside, and with `\/` (PHP);
    // what an HTML template engine writes (`&amp;`, `&lt;`, `&gt;`, `&quot;`, `&apos;`/`&#39;`).
    const uri = encodeURIComponent(value);
    add(uri);
    add(uri.replace(FORM_EXTRA_RE, formEscape).replaceAll('%20', '+'));
    const json = JSON.stringify(value).slice(1, -1);
    add(json);
    add(json.replaceAll('/', '\\/'));
    // Python's json.dumps (ensure_ascii, its default): non-ASCII as \uXXXX, ASCII as it is.
    if (!ascii)
      add(
        json.replace(
          /[\u0080-\uffff]/g,
          (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
        ),
      );
    // HTML-safe JSON: System.Text.Json (.NET) escapes `+ < > & '`, Go and Rails `< > &`, as
    // \u00XX (either case: matching folds it). A minted token has no client pass behind it.
    if (/[+<>&']/.test(value)) {
      add(json.replace(/[+<>&']/g, (c) => U_ESC[c.charCodeAt(0)]!));
      add(json.replace(/[<>&]/g, (c) => U_ESC[c.charCodeAt(0)]!));
    }
    if (!full) {
      const bytes = Buffer.from(value, 'utf8');
      add(bytes.toString('base64'));
      add(bytes.toString('base64url'));
      return forms;
    }
    add(value.replace(HTML_SPECIAL_RE, (c) => NAMED_ENTITY[c]!));
    add(value.replace(HTML_SPECIAL_RE, (c) => (c === "'" ? '&#39;' : NAMED_ENTITY[c]!)));
  }
  if (!full) {
    const bytes = Buffer.from(value, 'utf8');
    add(bytes.toString('base64'));
    add(bytes.toString('base64url'));
    return forms;
  }
  // Every character escaped: `\\uXXXX` (UTF-16 units, as JSON writes), HTML decimal and hex
  // references, and named references where the character has one.
  let units = '';
  for (let i = 0; i < value.length; i++) {
    const u = value.charCodeAt(i);
    units += u < 128 ? U_ESC[u]! : `\\u${u.toString(16).padStart(4, '0')}`;
  }
  add(units);
  add(escapeAll(value, ascii, DEC_REF, (cp) => `&#${cp};`));
  add(escapeAll(value, ascii, HEX_REF, (cp) => `&#x${cp.toString(16)};`));
  if (NAMED_RE.test(value)) {
    const named = (table: string[], each: (cp: number) => string) => {
      let out = '';
      for (const ch of value) {
        const cp = ch.codePointAt(0)!;
        out += NAMED_ENTITY[ch] ?? (cp < 128 ? table[cp]! : each(cp));
      }
      return out;
    };
    add(named(DEC_REF, (cp) => `&#${cp};`));
    add(named(HEX_REF, (cp) => `&#x${cp.toString(16)};`));
  }
  const bytes = Buffer.from(value, 'utf8');
  add(bytes.toString('hex'));
  add(bytes.toString('base64'));
  for (const form of base64Offsets(bytes)) add(form);
  const chars = ascii ? value.split('') : [...value];
  if (chars.length >= MIN_DERIVED) {
    add(chars.reverse().join(''));
    add(chars.reverse().join(' '));
  }
  return forms;
}

/** ASCII letters lowered, every other byte kept (UTF-8 lead bytes must not be folded). */
function foldBytes(buf: Buffer): Buffer {
  const out = Buffer.allocUnsafe(buf.length);
  for (let i = 0; i < buf.length; i++) {
    const b = buf[i]!;
    out[i] = b - 65 < 26 && b >= 65 ? b | 32 : b;
  }
  return out;
}

/** A latin1 string (one character a byte, as Node gives header values) with ASCII lowered. */
function foldString(text: string): string {
  return text.replace(/[A-Z]+/g, (s) => s.toLowerCase());
}

/** Longest first, duplicates dropped (sorting, not hashing: long escaped forms hash slowly). */
function longestFirstUnique(list: string[]): string[] {
  list.sort((a, b) => b.length - a.length || (a < b ? -1 : a > b ? 1 : 0));
  return list.filter((x, i) => i === 0 || x !== list[i - 1]);
}

/** A form as Node's latin1 view of its UTF-8 bytes, ASCII lowered. */
function latin1Folded(text: string): string {
  if (ASCII_RE.test(text)) return text.toLowerCase();
  return foldString(Buffer.from(text, 'utf8').toString('latin1'));
}

/**
 * Byte-level, chunk-safe replacement of every form of the given secret values (bytes, not
 * strings: a chunk may end inside a UTF-8 character). Matching is case-insensitive on ASCII
 * letters only: haystack and patterns are compared with A-Z folded to a-z, so positions stay byte
 * offsets. Only a tail that is the beginning of some pattern is held back between chunks, so an
 * SSE event is passed on as soon as it arrives unless it ends with the start of a secret. At one
 * position the longest pattern wins; the leftmost position wins overall.
 */
export class Scrubber {
  /** the forms as folded latin1 strings (one character a byte), longest first */
  private readonly patterns: string[];
  /** every pattern is ASCII: the native toLowerCase of the latin1 text folds exactly enough */
  private readonly asciiOnly: boolean;
  /** non-ASCII values' forms as JS strings, folded (header values that carry the characters) */
  private readonly utf16Patterns: string[];
  /** the raw values as folded latin1 strings (header windows) */
  private readonly raw: string[];
  private tail: Buffer = EMPTY;

  /** `values`: the secret values themselves; their forms are derived here (secretForms). */
  constructor(values: Iterable<string>) {
    const raw: string[] = [];
    const folded: string[] = [];
    const utf16: string[] = [];
    let asciiOnly = true;
    let fullLeft = MAX_FULL_VALUES;
    let index = 0;
    const seen = new Set<string>();
    for (const v of values) {
      if (v === '' || seen.has(v)) continue;
      seen.add(v);
      const full = fullLeft > 0 && v.length <= MAX_FULL_LENGTH;
      if (full) fullLeft--;
      const rawOnly = index++ >= MAX_BASIC_VALUES;
      // Every form of an ASCII value is ASCII: fold it directly.
      const ascii = ASCII_RE.test(v);
      if (!ascii) asciiOnly = false;
      if (full) {
        // header windows: the values that get every form
        raw.push(ascii ? v.toLowerCase() : latin1Folded(v));
        if (!ascii) raw.push(foldString(v));
      }
      for (const f of rawOnly ? [v] : secretForms(v, full)) {
        const x = ascii ? f.toLowerCase() : latin1Folded(f);
        folded.push(x);
        if (!ascii) utf16.push(foldString(f));
      }
    }
    this.raw = raw;
    this.patterns = longestFirstUnique(folded);
    this.asciiOnly = asciiOnly;
    this.utf16Patterns = longestFirstUnique(utf16);
  }

  get active(): boolean {
    return this.patterns.length > 0;
  }

  /** The forms as JS text, lower-cased (for a stage that works on decoded text: sse-scrub.ts). */
  textForms(): string[] {
    if (this.asciiOnly) return this.patterns;
    return [...this.patterns.filter((p) => ASCII_RE.test(p)), ...this.utf16Patterns];
  }

  /**
   * Scrubs a header value. Node hands values over as latin1 strings (one character a byte), but a
   * value may also hold the secret's own characters (an upstream writing `é` as the byte 0xE9), so
   * both spellings are looked for. After the forms are replaced, a value that still shares
   * HEADER_WINDOW consecutive characters with a secret is redacted whole, so a secret split over
   * several headers does not survive in pieces of that size or more.
   */
  scrubString(text: string): string {
    if (this.patterns.length === 0) return text;
    const out = this.replaceIn(text, this.patterns);
    const text2 = this.asciiOnly ? out : this.replaceIn(out, this.utf16Patterns);
    const hay = this.asciiOnly ? text2.toLowerCase() : foldString(text2);
    if (this.sharesWindow(hay)) return REDACTED_TEXT;
    return text2;
  }

  private replaceIn(text: string, patterns: readonly string[]): string {
    const hay = this.asciiOnly ? text.toLowerCase() : foldString(text);
    const parts: string[] = [];
    let at = 0;
    for (;;) {
      let best = -1;
      let bestLen = 0;
      for (const p of patterns) {
        const i = hay.indexOf(p, at);
        if (i !== -1 && (best === -1 || i < best || (i === best && p.length > bestLen))) {
          best = i;
          bestLen = p.length;
        }
      }
      if (best === -1) break;
      parts.push(text.slice(at, best), REDACTED_TEXT);
      at = best + bestLen;
    }
    if (at === 0) return text;
    parts.push(text.slice(at));
    return parts.join('');
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

  /**
   * True when `hay` and a raw secret value share HEADER_WINDOW consecutive characters. Probes
   * every (HEADER_WINDOW/2)-th position of `hay`: any common run that long covers one whole probe,
   * which is then extended both ways at each place it occurs in the secret.
   */
  private sharesWindow(hay: string): boolean {
    const half = HEADER_WINDOW / 2;
    if (hay.length < HEADER_WINDOW) return false;
    for (const r of this.raw) {
      if (r.length < HEADER_WINDOW) continue;
      for (let i = 0; i + half <= hay.length; i += half) {
        const probe = hay.slice(i, i + half);
        for (let k = r.indexOf(probe); k !== -1; k = r.indexOf(probe, k + 1)) {
          let left = 0;
          while (left < i && left < k && hay[i - left - 1] === r[k - left - 1]) left++;
          let right = half;
          while (i + right < hay.length && k + right < r.length && hay[i + right] === r[k + right])
            right++;
          if (left + right >= HEADER_WINDOW) return true;
        }
      }
    }
    return false;
  }

  /** Start positions j where hay[j..] is a proper prefix of some pattern (ascending). */
  private partialStarts(hay: string): number[] {
    const len = hay.length;
    const starts = new Set<number>();
    for (const p of this.patterns) {
      const first = p[0]!;
      let j = hay.indexOf(first, Math.max(0, len - (p.length - 1)));
      while (j !== -1 && j < len) {
        if (p.startsWith(hay.slice(j))) starts.add(j);
        j = hay.indexOf(first, j + 1);
      }
    }
    return [...starts].sort((a, b) => a - b);
  }

  private process(buf: Buffer, final: boolean): Buffer {
    // With ASCII patterns, folding the latin1 text natively also folds bytes 0xC0-0xDE (and µ), but
    // no ASCII pattern can match those bytes either way; otherwise fold ASCII letters only.
    const hay = this.asciiOnly
      ? buf.toString('latin1').toLowerCase()
      : foldBytes(buf).toString('latin1');
    const len = hay.length;
    const partials = final ? [] : this.partialStarts(hay);
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
        const i = hay.indexOf(p, at);
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
