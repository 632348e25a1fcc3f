// Three-way merge of one secret when a push meets a newer version (409 CONFLICT). Pure: no crypto,
// no I/O. Rule: nothing is lost — a field changed on one side only is merged; a field changed on
// both sides differently keeps their version in place and ours as a copy (docs/cli.md, "Sync").
import type { SecretPayload } from '../protocol/secret.js';

/** What to do after a conflict on one item. `null` payloads mean deleted / not existing. */
export type MergeOutcome =
  /** write this over theirs (null: delete); `merged` when fields from both sides were combined */
  | { action: 'write'; payload: SecretPayload | null; merged: boolean; restored: boolean }
  /** nothing to write: theirs already holds our change (`same`) or theirs wins (`kept-theirs`) */
  | { action: 'none'; reason: 'same' | 'kept-theirs' }
  /** both changed the same field differently: keep theirs, store ours as a new item */
  | { action: 'copy'; copy: SecretPayload };

export function mergeSecret(
  base: SecretPayload | null,
  ours: SecretPayload | null,
  theirs: SecretPayload | null,
): MergeOutcome {
  if (sameValue(ours, theirs)) return { action: 'none', reason: 'same' };
  if (ours === null) {
    // We deleted; they changed it since: their edit wins unless it was no real change.
    if (theirs !== null && base !== null && sameValue(base, theirs)) {
      return { action: 'write', payload: null, merged: false, restored: false };
    }
    return { action: 'none', reason: 'kept-theirs' };
  }
  if (theirs === null) {
    // They deleted what we edited: bring our version back.
    return { action: 'write', payload: ours, merged: false, restored: true };
  }
  if (base === null) return { action: 'copy', copy: ours };
  // Their version moved on without changing the content (a team key rotation re-wraps items).
  if (sameValue(base, theirs))
    return { action: 'write', payload: ours, merged: false, restored: false };
  const merged: Record<string, unknown> = {};
  const keys = new Set([...Object.keys(base), ...Object.keys(ours), ...Object.keys(theirs)]);
  for (const key of keys) {
    const b = (base as Record<string, unknown>)[key];
    const o = (ours as Record<string, unknown>)[key];
    const t = (theirs as Record<string, unknown>)[key];
    if (sameValue(o, b)) setDefined(merged, key, t);
    else if (sameValue(t, b) || sameValue(o, t)) setDefined(merged, key, o);
    else return { action: 'copy', copy: ours };
  }
  const payload = merged as SecretPayload;
  if (sameValue(payload, theirs)) return { action: 'none', reason: 'same' };
  return { action: 'write', payload, merged: true, restored: false };
}

/** `NAME.conflict-YYYY-MM-DD` (SecretName-safe: ≤ 64 chars, no spaces), made unique with -2, -3… */
export function conflictName(
  name: string,
  date: Date,
  taken: (candidate: string) => boolean,
): string {
  const day = date.toISOString().slice(0, 10);
  for (let n = 1; n < 1000; n++) {
    const suffix = `.conflict-${day}` + (n > 1 ? `-${n}` : '');
    const candidate = name.slice(0, 64 - suffix.length) + suffix;
    if (!taken(candidate)) return candidate;
  }
  throw new Error('no free conflict name');
}

/** Structural equality of JSON-like values (key order ignored; undefined = absent). */
export function sameValue(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

function canonical(value: unknown): string {
  return (
    JSON.stringify(value, (_key, v: unknown) => {
      if (v && typeof v === 'object' && !Array.isArray(v)) {
        return Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([x], [y]) => (x < y ? -1 : 1)),
        );
      }
      return v;
    }) ?? 'undefined'
  );
}

function setDefined(target: Record<string, unknown>, key: string, value: unknown): void {
  if (value !== undefined) target[key] = value;
}
