// The one walk over a request template's data that every side uses (the extension's consent check,
// the request builder, the relay's substitution): same depth limit, same order, same places.
// docs/forward.md, "Placeholders". Deeper input is refused, never skipped: a part one side does
// not read is a part another side could substitute unchecked (issue #11).
import { KeyholeError } from '../errors.js';

/** Containers nested deeper than this in `data` are refused with INVALID_REQUEST. */
export const MAX_DATA_DEPTH = 32;

/** A path into a JSON value: object keys and array indexes, from the root. */
export type DataPath = readonly (string | number)[];

function tooDeep(): never {
  throw new KeyholeError('INVALID_REQUEST', `The data is nested more than ${MAX_DATA_DEPTH} deep.`);
}

/**
 * Calls `visit` for every string leaf of `value` (object keys are never visited: they are not
 * substituted), depth-first in property order. Throws INVALID_REQUEST past MAX_DATA_DEPTH.
 */
export function walkStrings(
  value: unknown,
  visit: (text: string, path: DataPath) => void,
  path: (string | number)[] = [],
  depth = 0,
): void {
  if (typeof value === 'string') {
    visit(value, path);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  if (depth >= MAX_DATA_DEPTH) tooDeep();
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      path.push(i);
      walkStrings(value[i], visit, path, depth + 1);
      path.pop();
    }
    return;
  }
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    path.push(k);
    walkStrings(v, visit, path, depth + 1);
    path.pop();
  }
}

/** A copy of `value` with every string leaf replaced by `map(leaf)`; the same walk and limit. */
export function mapStrings(value: unknown, map: (text: string) => string, depth = 0): unknown {
  if (typeof value === 'string') return map(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DATA_DEPTH) tooDeep();
  if (Array.isArray(value)) return value.map((v) => mapStrings(v, map, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    // defineProperty: a key named __proto__ stays a plain own property, as in JSON.
    Object.defineProperty(out, k, {
      value: mapStrings(v, map, depth + 1),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}
