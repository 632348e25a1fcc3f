// Skapi form mode (shared by the extension bridge and the web SDK): an HTML form's fields (`headers[Authorization]`, `data[prompt]`, `params[q]`)
// become clientSecretRequest() params. Number inputs become numbers.

export interface FormEntry {
  name: string;
  value: string | number | boolean;
}

const SKIPPED_TYPES = new Set(['submit', 'button', 'reset', 'image', 'file']);
/** Top-level fields that Skapi treats as numbers / booleans even when they come from text inputs. */
const NUMERIC_FIELDS = new Set(['poll', 'expires']);
const BOOLEAN_FIELDS = new Set(['stream']);
const FORBIDDEN_KEYS = new Set(['__proto__', 'prototype', 'constructor']);

/** `data[a][b]` → ['data', 'a', 'b']; a plain name → [name]. Malformed names are kept whole. */
export function splitFieldName(name: string): string[] {
  const m = /^([^[\]]+)((?:\[[^[\]]*\])*)$/.exec(name);
  if (!m || !m[1]) return [name];
  const rest = m[2] ? [...m[2].matchAll(/\[([^[\]]*)\]/g)].map((x) => x[1] ?? '') : [];
  return [m[1], ...rest];
}

/** Fold form entries into a params object. */
export function entriesToParams(entries: FormEntry[]): Record<string, unknown> {
  const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const { name, value } of entries) {
    const path = splitFieldName(name);
    if (path.some((p) => FORBIDDEN_KEYS.has(p))) continue;
    let node = out;
    for (let i = 0; i < path.length - 1; i++) {
      const key = path[i] as string;
      const next = node[key];
      if (typeof next === 'object' && next !== null) {
        node = next as Record<string, unknown>;
      } else {
        const fresh = Object.create(null) as Record<string, unknown>;
        node[key] = fresh;
        node = fresh;
      }
    }
    const last = path[path.length - 1] as string;
    let v: unknown = value;
    if (path.length === 1 && NUMERIC_FIELDS.has(last) && typeof v === 'string' && v.trim() !== '') {
      const n = Number(v);
      v = Number.isFinite(n) ? n : v;
    }
    if (path.length === 1 && BOOLEAN_FIELDS.has(last) && typeof v === 'string')
      v = v === 'true' || v === 'on';
    node[last] = v;
  }
  return out;
}

/** The named, enabled, successful controls of a form, in document order. */
export function readFormEntries(form: HTMLFormElement): FormEntry[] {
  const entries: FormEntry[] = [];
  for (const el of Array.from(form.elements)) {
    const control = el as HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement;
    const name = control.name;
    if (!name || control.disabled) continue;
    const type = (control.type || '').toLowerCase();
    if (SKIPPED_TYPES.has(type)) continue;
    if ((type === 'checkbox' || type === 'radio') && !(control as HTMLInputElement).checked)
      continue;
    if ((type === 'number' || type === 'range') && control.value !== '') {
      const n = Number(control.value);
      entries.push({ name, value: Number.isFinite(n) ? n : control.value });
      continue;
    }
    entries.push({ name, value: control.value });
  }
  return entries;
}

export function formToParams(form: HTMLFormElement): Record<string, unknown> {
  return entriesToParams(readFormEntries(form));
}
