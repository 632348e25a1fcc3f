// The client's second net (docs/forward.md, "Scrubbing"): what JSON.parse (the page API's, or a
// page's `response.json()`) would decode from an answer must not be a secret. The relay scrubs the
// bytes it knows the forms of; an escape mix such as `s\u006b-\u0070…` is no form it knows, yet
// decodes to the raw value. This pass runs in the client, which knows the secret values it used.
//
// Alignment-free: every run of bytes between two unescaped `"` (or from a `"` to a control byte,
// which no JSON string may contain) is a candidate string body, whatever came before — so text
// that starts "out of step" (a stray quote) cannot hide a string from it. A candidate with a
// backslash is decoded leniently (JSON escapes); if the decoded text holds a secret, the
// candidate is replaced by the escaped, scrubbed text. Everything else passes byte for byte
// (binary answers too: `"` and `\` never occur inside a UTF-8 multi-byte character).
import { basicPair, secretStrings } from './secret-strings.js';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
export const DECODED_REDACTED = '[REDACTED]';
/** An open candidate longer than this is decided early (so a stream is never held for long). */
const MAX_HELD = 64 * 1024;
const EMPTY = new Uint8Array(0);

const encoder = new TextEncoder();
const decoder = new TextDecoder();

const SIMPLE_ESCAPES: Record<string, string> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};

/** JSON string escapes decoded; anything malformed is kept as it is (lenient: a superset). */
export function decodeJsonEscapes(text: string): string {
  if (!text.includes('\\')) return text;
  return text.replace(/\\(u[0-9a-fA-F]{4}|.)/gs, (all, e: string) => {
    if (e.length === 5) return String.fromCharCode(parseInt(e.slice(1), 16));
    return SIMPLE_ESCAPES[e] ?? all;
  });
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 0) return EMPTY;
  if (parts.length === 1) return parts[0]!;
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export class DecodedScrubber {
  private readonly secrets: string[];
  /** bytes of the open candidate carried over from earlier chunks (after its opening quote) */
  private carried: Uint8Array = EMPTY;
  /** a candidate is open (after an unescaped quote, before its closing quote or a control byte) */
  private open = false;
  private openHasEscape = false;
  /** the previous byte of the open candidate was an unescaped backslash */
  private escaped = false;
  /** bytes an escaped secret can span at most (6 bytes a UTF-16 unit) */
  private readonly keep: number;

  constructor(secrets: Iterable<string>) {
    const list = [...new Set([...secrets].filter((s) => s.length > 0))];
    this.secrets = list.sort((a, b) => b.length - a.length);
    this.keep = 6 * (this.secrets[0]?.length ?? 0) + 6;
  }

  get active(): boolean {
    return this.secrets.length > 0;
  }

  /** Scrubs a decoded string (also usable on any value a client decoded itself). */
  scrubText(text: string): string {
    let out = text;
    for (const s of this.secrets) if (out.includes(s)) out = out.split(s).join(DECODED_REDACTED);
    return out;
  }

  /**
   * Works on indices into the chunk: what passes unchanged goes out as one view of it; only a
   * candidate with an escape is decoded, and only one still open at the end is copied and held.
   */
  push(chunk: Uint8Array): Uint8Array {
    if (!this.active) return chunk;
    const buf = this.carried.length === 0 ? chunk : concat([this.carried, chunk]);
    this.carried = EMPTY;
    const out: Uint8Array[] = [];
    let emitFrom = 0;
    let candStart = 0; // where the open candidate's bytes start (after its quote)
    let open = this.open;
    let hasEscape = this.openHasEscape;
    let escaped = this.escaped;
    const close = (end: number) => {
      if (hasEscape) {
        const replaced = this.decide(buf.subarray(candStart, end));
        if (replaced) {
          out.push(buf.subarray(emitFrom, candStart), replaced);
          emitFrom = end;
        }
      }
    };
    for (let i = 0; i < buf.length; i++) {
      const b = buf[i]!;
      if (!open) {
        if (b === QUOTE) {
          open = true;
          candStart = i + 1;
          hasEscape = false;
          escaped = false;
        }
        continue;
      }
      if (escaped) {
        escaped = false;
        if (b >= 0x20) continue;
      } else if (b === BACKSLASH) {
        escaped = true;
        hasEscape = true;
        continue;
      }
      if (b === QUOTE) {
        // Closes this candidate and opens the next (alignment-free).
        close(i);
        candStart = i + 1;
        hasEscape = false;
        escaped = false;
      } else if (b < 0x20) {
        close(i);
        open = false;
      }
    }
    this.open = open;
    this.openHasEscape = hasEscape;
    this.escaped = escaped;
    if (open) {
      let held = buf.subarray(candStart);
      if (held.length > MAX_HELD) {
        const [emit, rest] = this.release(held);
        out.push(buf.subarray(emitFrom, candStart), emit);
        held = rest;
      } else {
        out.push(buf.subarray(emitFrom, candStart));
      }
      this.carried = held.slice();
    } else {
      out.push(buf.subarray(emitFrom));
    }
    return concat(out.filter((p) => p.length > 0));
  }

  end(): Uint8Array {
    if (!this.open) return EMPTY;
    const bytes = this.carried;
    this.carried = EMPTY;
    this.open = false;
    if (!this.openHasEscape) return bytes;
    return this.decide(bytes) ?? bytes;
  }

  /** The candidate's bytes escaped again with the secret cut out, or null when it holds none. */
  private decide(bytes: Uint8Array): Uint8Array | null {
    const decoded = decodeJsonEscapes(decoder.decode(bytes));
    const scrubbed = this.scrubText(decoded);
    if (scrubbed === decoded) return null;
    return encoder.encode(JSON.stringify(scrubbed).slice(1, -1));
  }

  /**
   * A long open candidate: if what it holds so far decodes to a secret, scrub and emit it all;
   * otherwise emit all but the last `keep` bytes (cut outside an escape), so any secret still to
   * be completed lies wholly in what stays held. Returns [to emit, to keep holding].
   */
  private release(bytes: Uint8Array): [Uint8Array, Uint8Array] {
    if (this.openHasEscape) {
      const replaced = this.decide(bytes);
      if (replaced) {
        this.openHasEscape = false;
        this.escaped = false;
        return [replaced, EMPTY];
      }
    }
    // Last position at or before the limit that is not inside an escape sequence.
    const limit = bytes.length - this.keep;
    let cut = 0;
    for (let i = 0; i < limit;) {
      cut = i;
      if (bytes[i] === BACKSLASH) i += bytes[i + 1] === 0x75 ? 6 : 2;
      else i += 1;
    }
    // Never cut inside a UTF-8 character.
    while (cut > 0 && (bytes[cut]! & 0xc0) === 0x80) cut--;
    if (cut <= 0) return [EMPTY, bytes];
    return [bytes.subarray(0, cut), bytes.subarray(cut)];
  }
}

/** Shorter strings would redact ordinary text in answers (a value that short is no secret). */
const MIN_SECRET = 4;

/**
 * The secret values in a payload the client holds (secret-strings.ts), plus the encodings the
 * relay substitutes (basic: `user:pass` and its base64). Used to build a DecodedScrubber for a call.
 */
export function payloadSecrets(payload: unknown): string[] {
  const out = secretStrings(payload).filter((v) => v.length >= MIN_SECRET);
  const pair = basicPair(payload);
  if (pair !== undefined) out.push(pair, bytesToBase64(encoder.encode(pair)));
  return out;
}

function bytesToBase64(bytes: Uint8Array): string {
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}
