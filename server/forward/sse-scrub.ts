// A net for the SSE headline case (docs/forward.md, "Scrubbing"): a stream that carries a secret a
// few characters per event, each piece wrapped in its own JSON (`{"choices":[{"delta":{"content":
// "sk-"}}]}`, then `"pro"`, …). The byte scrubber never sees the secret in contiguous bytes. This
// stage reads each event's data as JSON and joins, per JSON path, the strings of successive events
// (the text a client would concatenate); where the joined text holds a secret form, the pieces are
// cut out of the events that carried them. Events are held back only while the joined text ends
// with the beginning of a form, so ordinary events still pass at once.
//
// It is a net, not a boundary: pieces out of order, interleaved with other text, under changing
// paths or spelt out in words still get through. Placement is what keeps a secret out of a prompt.
import { REDACTED_TEXT } from './scrub.js';

/** An event larger than this without its blank line is passed on unread. */
const MAX_EVENT = 1024 * 1024;

interface Piece {
  event: HeldEvent;
  /** path of the string in the event's JSON */
  path: string;
  /** where the piece sits in the joined text of its path */
  start: number;
  end: number;
}

interface HeldEvent {
  /** the event's text, with its trailing blank line */
  text: string;
  /** the parsed JSON of its data (undefined: not JSON, or no data) */
  json?: unknown;
  /** path → [start, end, replacement][] applied to the string at that path */
  edits: Map<string, Array<[number, number, string]>>;
}

interface Joined {
  /** the joined text (lower-cased) from the earliest place a form may still start */
  text: string;
  /** offset of text[0] in the whole joined stream of this path */
  base: number;
  /** total length joined so far */
  length: number;
  /** offsets where the text's tail is a proper prefix of some form (ascending) */
  partials: number[];
  pieces: Piece[];
}

/** Path segments joined by NUL (JSON keys may hold dots and brackets; NUL is vanishingly rare). */
const SEP = '\u0000';

function strings(value: unknown, path: string, out: Array<[string, string]>, depth = 0): void {
  if (depth > 32) return;
  if (typeof value === 'string') out.push([path, value]);
  else if (Array.isArray(value))
    value.forEach((v, i) => strings(v, `${path}${SEP}${i}`, out, depth + 1));
  else if (typeof value === 'object' && value !== null)
    for (const [k, v] of Object.entries(value)) strings(v, `${path}${SEP}${k}`, out, depth + 1);
}

function setAt(value: unknown, keys: string[], edit: (s: string) => string): unknown {
  if (keys.length === 0) return typeof value === 'string' ? edit(value) : value;
  const [key, ...rest] = keys as [string, ...string[]];
  if (Array.isArray(value)) {
    const copy = [...value];
    const i = Number(key);
    copy[i] = setAt(copy[i], rest, edit);
    return copy;
  }
  if (typeof value === 'object' && value !== null) {
    const obj = value as Record<string, unknown>;
    return { ...obj, [key]: setAt(obj[key], rest, edit) };
  }
  return value;
}

/** The data of an event (data lines joined with \n), or undefined when it has none. */
function eventData(text: string): string | undefined {
  let data: string | undefined;
  for (const line of text.split(/\r?\n/)) {
    if (!line.startsWith('data:')) continue;
    const v = line.slice(5).replace(/^ /, '');
    data = data === undefined ? v : `${data}\n${v}`;
  }
  return data;
}

export class SseScrubber {
  /** folded (lower-case) forms, longest first */
  private readonly forms: string[];
  private readonly longest: number;
  /** first characters of the forms: a partial match can only start at one of these */
  private readonly firsts: Set<string>;
  private pending = '';
  private readonly held: HeldEvent[] = [];
  private readonly joined = new Map<string, Joined>();
  private readonly decoder = new TextDecoder();

  constructor(forms: readonly string[]) {
    this.forms = forms.filter((f) => f.length > 0);
    this.longest = this.forms.reduce((n, f) => Math.max(n, f.length), 0);
    this.firsts = new Set(this.forms.map((f) => f[0]!));
  }

  push(chunk: Buffer): Buffer {
    this.pending += this.decoder.decode(chunk, { stream: true });
    const out: string[] = [];
    for (;;) {
      const m = /\r?\n\r?\n/.exec(this.pending);
      if (!m) break;
      const end = m.index + m[0].length;
      this.accept(this.pending.slice(0, end), out);
      this.pending = this.pending.slice(end);
    }
    if (this.pending.length > MAX_EVENT) {
      this.release(out);
      out.push(this.pending);
      this.pending = '';
    }
    return out.length === 0 ? Buffer.alloc(0) : Buffer.from(out.join(''));
  }

  end(): Buffer {
    const out: string[] = [];
    this.pending += this.decoder.decode();
    if (this.pending) this.accept(this.pending, out);
    this.pending = '';
    this.release(out);
    return Buffer.from(out.join(''));
  }

  private accept(text: string, out: string[]): void {
    const event: HeldEvent = { text, edits: new Map() };
    const data = eventData(text);
    const parts: Array<[string, string]> = [];
    if (data !== undefined) {
      try {
        event.json = JSON.parse(data) as unknown;
        strings(event.json, '', parts);
      } catch {
        parts.push(['#data', data]);
      }
    }
    this.held.push(event);
    for (const [path, value] of parts) this.append(event, path, value);
    // Release every held event that no partial match still needs.
    let keepFrom = this.held.length;
    for (const j of this.joined.values()) {
      const start = this.partialStart(j);
      if (start === undefined) continue;
      const piece = j.pieces.find((p) => p.end > start);
      if (piece) keepFrom = Math.min(keepFrom, this.held.indexOf(piece.event));
    }
    if (keepFrom < 0) keepFrom = 0;
    const done = this.held.splice(0, keepFrom);
    for (const e of done) out.push(this.render(e));
    this.forget(new Set(this.held));
  }

  /**
   * Joins `value` to its path's text. A form can only start where the old tail was already the
   * beginning of one (`partials`) or in the new text: only those places are looked at, so an
   * ordinary event costs a few comparisons per string, not a scan of the joined text.
   */
  private append(event: HeldEvent, path: string, value: string): void {
    if (value === '') return;
    let j = this.joined.get(path);
    if (!j) {
      j = { text: '', base: 0, length: 0, partials: [], pieces: [] };
      this.joined.set(path, j);
    }
    const start = j.length;
    j.pieces.push({ event, path, start, end: start + value.length });
    j.text += value.toLowerCase();
    j.length += value.length;
    const candidates = [...j.partials];
    for (let i = 0; i < value.length; i++)
      if (this.firsts.has(j.text[start - j.base + i]!)) candidates.push(start + i);
    const partials: number[] = [];
    let matchedTo = -1;
    for (const c of candidates) {
      if (c < matchedTo) continue;
      const tail = j.text.slice(c - j.base);
      let best = 0;
      let partial = false;
      for (const f of this.forms) {
        if (f.length <= tail.length) {
          if (f.length > best && tail.startsWith(f)) best = f.length;
        } else if (!partial && f.startsWith(tail)) partial = true;
      }
      if (best > 0) {
        this.redact(j, c, c + best);
        matchedTo = c + best;
      } else if (partial) partials.push(c);
    }
    j.partials = partials.filter((c) => c >= matchedTo);
    // Keep only the text a form may still start in.
    const keep = j.partials.length > 0 ? j.partials[0]! : j.length;
    if (keep > j.base) {
      j.text = j.text.slice(keep - j.base);
      j.base = keep;
    }
  }

  /** Where the earliest form still to be completed starts in this path's text, if any. */
  private partialStart(j: Joined): number | undefined {
    return j.partials[0];
  }

  private redact(j: Joined, start: number, end: number): void {
    let first = true;
    for (const p of j.pieces) {
      if (p.end <= start || p.start >= end) continue;
      const a = Math.max(start, p.start) - p.start;
      const b = Math.min(end, p.end) - p.start;
      const list = p.event.edits.get(p.path) ?? [];
      list.push([a, b, first ? REDACTED_TEXT : '']);
      p.event.edits.set(p.path, list);
      first = false;
    }
  }

  /** Drops pieces of events already sent. */
  private forget(held: Set<HeldEvent>): void {
    for (const [path, j] of this.joined) {
      j.pieces = j.pieces.filter((p) => held.has(p.event));
      if (j.partials.length === 0 && j.pieces.length === 0) this.joined.delete(path);
    }
  }

  private release(out: string[]): void {
    for (const e of this.held.splice(0)) out.push(this.render(e));
    this.joined.clear();
  }

  /** An event as it goes out: as it came, or with its data re-written where pieces were cut. */
  private render(e: HeldEvent): string {
    if (e.edits.size === 0) return e.text;
    const apply = (s: string, edits: Array<[number, number, string]>) => {
      let out = s;
      for (const [a, b, r] of [...edits].sort((x, y) => y[0] - x[0]))
        out = out.slice(0, a) + r + out.slice(b);
      return out;
    };
    let data: string;
    if (e.json !== undefined) {
      let json: unknown = e.json;
      for (const [path, edits] of e.edits)
        json = setAt(json, path.split(SEP).slice(1), (s) => apply(s, edits));
      data = JSON.stringify(json);
    } else {
      data = apply(eventData(e.text) ?? '', e.edits.get('#data') ?? []);
    }
    const lines = e.text.split(/\r?\n/);
    const newline = e.text.includes('\r\n') ? '\r\n' : '\n';
    const kept = lines.filter((l) => l !== '' && !l.startsWith('data:'));
    const dataLines = data.split('\n').map((l) => `data: ${l}`);
    return [...kept, ...dataLines].join(newline) + newline + newline;
  }
}
