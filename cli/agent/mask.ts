// `keyhole run` masks its child's stdout and stderr: any form of a secret value the CLI holds
// (it decrypts the items) is replaced by `[masked:NAME]`, also when split across chunks. A net,
// not the boundary: the child never receives a secret in the first place (docs/cli.md).
import { Transform, type TransformCallback } from 'node:stream';
import { basicPair, secretStrings } from '../../shared/client/secret-strings.js';
import type { SecretPayload } from '../../shared/protocol/secret.js';

const EMPTY = Buffer.alloc(0);

/** A held tail this short is let out after HOLD_MS of silence (a prompt must not hang). */
export const MAX_FLUSHED_PREFIX = 7;
export const HOLD_MS = 200;

/** Values shorter than this are not masked: they would hit ordinary words. */
const MIN_LENGTH = 6;

/** Every string of a secret worth masking (secret-strings.ts), and the forms it may be printed in. */
export function maskValues(payload: SecretPayload): string[] {
  const raw = secretStrings(payload);
  const pair = basicPair(payload);
  if (pair !== undefined && payload.password) raw.push(pair);
  const out = new Set<string>();
  for (const value of raw) {
    for (const form of forms(value)) if (form.length >= MIN_LENGTH) out.add(form);
    // A PEM key is printed line by line as often as whole.
    if (value.includes('\n')) {
      for (const line of value.split(/\r?\n/)) if (line.trim().length >= 16) out.add(line.trim());
    }
  }
  return [...out];
}

function forms(value: string): string[] {
  const bytes = Buffer.from(value, 'utf8');
  return [
    value,
    encodeURIComponent(value),
    JSON.stringify(value).slice(1, -1),
    bytes.toString('base64'),
    bytes.toString('base64url'),
  ];
}

export interface MaskPattern {
  name: string;
  value: string;
}

interface Pattern {
  bytes: Buffer;
  label: Buffer;
}

/**
 * Byte-level masking across chunk boundaries. Only a tail that is the beginning of some value is
 * held back. A short held tail may be let out after a pause (`flushIdle`); its bytes are kept so
 * that the rest of a value arriving later is still masked.
 */
export class Masker {
  private readonly patterns: Pattern[];
  private tail: Buffer<ArrayBufferLike> = EMPTY;
  /** how many leading bytes of `tail` were already let out by flushIdle() */
  private emitted = 0;

  constructor(values: readonly MaskPattern[]) {
    const seen = new Set<string>();
    this.patterns = [];
    for (const { name, value } of values) {
      if (value === '' || seen.has(value)) continue;
      seen.add(value);
      this.patterns.push({
        bytes: Buffer.from(value, 'utf8'),
        label: Buffer.from(`[masked:${name}]`),
      });
    }
    this.patterns.sort((a, b) => b.bytes.length - a.bytes.length);
  }

  get holding(): number {
    return this.tail.length - this.emitted;
  }

  push(chunk: Buffer): Buffer {
    if (this.patterns.length === 0) return chunk;
    const buf = this.tail.length === 0 ? chunk : Buffer.concat([this.tail, chunk]);
    return this.process(buf, false);
  }

  end(): Buffer {
    if (this.tail.length === 0) return EMPTY;
    return this.process(this.tail, true);
  }

  /** After a pause: lets a short held tail out (whole values in it still masked). */
  flushIdle(): Buffer {
    const pending = this.holding;
    if (pending === 0 || pending > MAX_FLUSHED_PREFIX) return EMPTY;
    const keep = this.tail;
    const out = this.process(keep, true);
    this.tail = keep;
    this.emitted = keep.length;
    return out;
  }

  /** Start positions j where buf[j..] is a proper prefix of some pattern (ascending). */
  private partialStarts(buf: Buffer): number[] {
    const len = buf.length;
    const starts = new Set<number>();
    for (const { bytes: p } of this.patterns) {
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
    const emitted = this.emitted;
    const partials = final ? [] : this.partialStarts(buf);
    const holdFrom = (from: number): number => {
      for (const s of partials) if (s >= from) return s;
      return len;
    };
    const parts: Buffer[] = [];
    // Raw bytes [from, to) go out, except those let out already.
    const raw = (from: number, to: number): void => {
      const start = Math.max(from, emitted);
      if (to > start) parts.push(buf.subarray(start, to));
    };
    let at = 0;
    for (;;) {
      const limit = holdFrom(at);
      let best = -1;
      let bestLen = 0;
      let label: Buffer = EMPTY;
      for (const p of this.patterns) {
        const i = buf.indexOf(p.bytes, at);
        if (
          i !== -1 &&
          i < limit &&
          (best === -1 || i < best || (i === best && p.bytes.length > bestLen))
        ) {
          best = i;
          bestLen = p.bytes.length;
          label = p.label;
        }
      }
      if (best === -1) break;
      raw(at, best);
      // A value that began in bytes let out already: mask the rest of it.
      if (best + bestLen > emitted) parts.push(label);
      at = best + bestLen;
    }
    const keepFrom = holdFrom(at);
    raw(at, keepFrom);
    this.tail = keepFrom < len ? Buffer.from(buf.subarray(keepFrom)) : EMPTY;
    this.emitted = Math.max(0, emitted - keepFrom);
    if (parts.length === 0) return EMPTY;
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }
}

/** A Transform stream around a Masker, with the idle flush. */
export function maskStream(values: readonly MaskPattern[]): Transform {
  const masker = new Masker(values);
  let timer: NodeJS.Timeout | null = null;
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      if (timer) clearTimeout(timer);
      timer = null;
      const out = masker.push(chunk);
      if (out.length > 0) this.push(out);
      if (masker.holding > 0 && masker.holding <= MAX_FLUSHED_PREFIX) {
        timer = setTimeout(() => {
          timer = null;
          const idle = masker.flushIdle();
          if (idle.length > 0) stream.push(idle);
        }, HOLD_MS);
      }
      callback();
    },
    flush(callback: TransformCallback) {
      if (timer) clearTimeout(timer);
      timer = null;
      const out = masker.end();
      if (out.length > 0) this.push(out);
      callback();
    },
  });
  return stream;
}
