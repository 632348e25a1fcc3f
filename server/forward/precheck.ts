// Step "template checks" of a forward: what can be judged on the request alone, before any
// database or item — distinct names, every placeholder resolvable, the url's shape and no
// placeholder in its authority (docs/forward.md, "Order of the checks").
import { KeyholeError } from '../../shared/errors.js';
import {
  assertNoPlaceholderInAuthority,
  listPlaceholders,
  parseDestination,
  resolveRef,
  type Destination,
  type PlaceholderUse,
} from '../../shared/policy/index.js';
import type { ForwardRequest } from '../../shared/protocol/forward.js';

export interface CheckedTemplate {
  dest: Destination;
  /** the names of the secrets whose value a placeholder asks for */
  used: Set<string>;
  uses: PlaceholderUse[];
  /** no placeholder at all: acceptable only when the first secret signs (checked once opened) */
  bare: boolean;
}

/** Checks that need no database: placeholders present and resolvable, url shape. */
export function precheck(req: ForwardRequest): CheckedTemplate {
  const template = req.request;
  const names = req.secrets.map((s) => s.name);
  if (new Set(names).size !== names.length) {
    throw new KeyholeError('INVALID_REQUEST', 'Two secrets in the request have the same name.');
  }
  const uses = listPlaceholders(template);
  assertNoPlaceholderInAuthority(template.url);
  const dest = parseDestination(template.url);
  const used = new Set<string>();
  for (const use of uses) {
    if (use.ref === undefined) {
      used.add(names[0]!);
      continue;
    }
    const resolved = resolveRef(use.ref, names);
    if (!resolved)
      throw new KeyholeError(
        'SECRET_NOT_FOUND',
        'A placeholder names a secret that is not in the request.',
      );
    used.add(resolved.name);
  }
  return { dest, used, uses, bare: uses.length === 0 };
}
