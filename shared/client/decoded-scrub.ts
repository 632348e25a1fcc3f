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
  /** bytes of the open candidate (after its opening quote), or null outside any */
  private open: Uint8Array[] | null = null;
  private openLength = 0;
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

  push(chunk: Uint8Array): Uint8Array {
    if (!this.active) return chunk;
    const out: Uint8Array[] = [];
    let from = 0; // start of bytes not yet emitted or held
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i]!;
      if (this.open === null) {
        if (b === QUOTE) {
          out.push(chunk.subarray(from, i + 1));
          this.startCandidate();
          from = i + 1;
        }
        continue;
      }
      if (this.escaped) {
        this.escaped = false;
        if (b >= 0x20) continue;
      } else if (b === BACKSLASH) {
        this.escaped = true;
        this.openHasEscape = true;
        continue;
      }
      if (b === QUOTE) {
        // Closes this candidate and opens the next (alignment-free).
        this.hold(chunk.subarray(from, i));
        out.push(this.decide(), chunk.subarray(i, i + 1));
        this.startCandidate();
        from = i + 1;
      } else if (b < 0x20) {
        this.hold(chunk.subarray(from, i));
        out.push(this.decide());
        this.open = null;
        from = i;
      }
    }
    if (this.open !== null) {
      this.hold(chunk.subarray(from));
      if (this.openLength > MAX_HELD) out.push(this.release());
    } else {
      out.push(chunk.subarray(from));
    }
    return concat(out);
  }

  end(): Uint8Array {
    if (this.open === null) return EMPTY;
    const out = this.decide();
    this.open = null;
    return out;
  }

  private startCandidate(): void {
    this.open = [];
    this.openLength = 0;
    this.openHasEscape = false;
    this.escaped = false;
  }

  private hold(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.open!.push(bytes.slice());
    this.openLength += bytes.length;
  }

  /** The open candidate, scrubbed if its decoded text holds a secret; the candidate is emptied. */
  private decide(): Uint8Array {
    const bytes = concat(this.open ?? []);
    const hadEscape = this.openHasEscape;
    this.open = [];
    this.openLength = 0;
    this.openHasEscape = false;
    if (!hadEscape) return bytes;
    const raw = decoder.decode(bytes);
    const decoded = decodeJsonEscapes(raw);
    const scrubbed = this.scrubText(decoded);
    if (scrubbed === decoded) return bytes;
    return encoder.encode(JSON.stringify(scrubbed).slice(1, -1));
  }

  /**
   * A long open candidate: if what it holds so far decodes to a secret, scrub and emit it all;
   * otherwise emit all but the last `keep` bytes (cut outside an escape), so any secret still to
   * be completed lies wholly in what stays held.
   */
  private release(): Uint8Array {
    const bytes = concat(this.open!);
    if (this.openHasEscape) {
      const decoded = decodeJsonEscapes(decoder.decode(bytes));
      const scrubbed = this.scrubText(decoded);
      if (scrubbed !== decoded) {
        this.open = [];
        this.openLength = 0;
        this.openHasEscape = false;
        this.escaped = false;
        return encoder.encode(JSON.stringify(scrubbed).slice(1, -1));
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
    if (cut <= 0) {
      this.open = [bytes];
      return EMPTY;
    }
    // Never cut inside a UTF-8 character.
    while (cut > 0 && (bytes[cut]! & 0xc0) === 0x80) cut--;
    this.open = [bytes.slice(cut)];
    this.openLength = bytes.length - cut;
    return bytes.subarray(0, cut);
  }
}

/**
 * The secret values in a payload the client holds (every string leaf except the fields known
 * not to be secret), plus the encodings the relay substitutes (basic: `user:pass` and its
 * base64). Used to build a DecodedScrubber for a call.
 */
const NOT_SECRET = new Set([
  'name',
  'type',
  'allowedHosts',
  'allowedOrigins',
  'description',
  'placement',
  'place',
  'review',
  'grant',
  'tokenUrl',
  'clientId',
  'scope',
  'username',
  'region',
  'service',
  'algorithm',
  'keyEncoding',
  'encoding',
  'message',
  'signatureHeader',
  'signatureQuery',
  'timestampHeader',
  'timestampQuery',
  'issuer',
  'subject',
  'audience',
  'baseUrl',
  'appId',
  'installationId',
  'accessKeyId',
]);
/** Shorter strings would redact ordinary text in answers (a value that short is no secret). */
const MIN_SECRET = 4;

export function payloadSecrets(payload: unknown): string[] {
  const out: string[] = [];
  const walk = (v: unknown, key: string, depth: number) => {
    if (depth > 8) return;
    if (typeof v === 'string') {
      if (v.length >= MIN_SECRET && !NOT_SECRET.has(key)) out.push(v);
    } else if (Array.isArray(v)) {
      for (const x of v) walk(x, key, depth + 1);
    } else if (typeof v === 'object' && v !== null) {
      for (const [k, x] of Object.entries(v)) if (!NOT_SECRET.has(k)) walk(x, k, depth + 1);
    }
  };
  walk(payload, '', 0);
  const p = payload as { type?: unknown; username?: unknown; password?: unknown };
  if (p.type === 'basic' && typeof p.password === 'string') {
    const pair = `${typeof p.username === 'string' ? p.username : ''}:${p.password}`;
    out.push(pair, bytesToBase64(encoder.encode(pair)));
  }
  return out;
}

function bytesToBase64(bytes: Uint8Array): string {
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}
