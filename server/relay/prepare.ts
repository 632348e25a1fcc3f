// Turns a validated ForwardRequest into the upstream request: template checks, secrets opened,
// allowed hosts checked against the decrypted items, placeholders substituted, scrub list built.
import { KeyholeError } from '../../shared/errors.js';
import {
  assertNoPlaceholderInAuthority,
  assertPlacements,
  listPlaceholders,
  parseAllowedHost,
  parseDestination,
  resolveRef,
  ruleMatches,
  type AllowedHostRule,
  type Destination,
  type PlaceholderUse,
} from '../../shared/policy/index.js';
import type { ForwardRequest, SecretRef } from '../../shared/protocol/forward.js';
import type { SecretPayload } from '../../shared/protocol/secret.js';
import type { HotStatements } from '../db/hot-statements.js';
import type { OAuthTokens } from './oauth.js';
import { openSecrets, type OpenedSecret, type PrefetchedRow } from './secrets.js';
import { buildOutgoing, type OutgoingRequest } from './substitute.js';
import { secretValues, type SecretValues } from './values.js';

export interface AuditTarget {
  vaultId: string;
  secretName: string;
}

export interface PreparedForward {
  outgoing: OutgoingRequest;
  /** every form of every secret value used: scrubbed from the answer */
  scrub: string[];
  audit: AuditTarget[];
}

/** Checks that need no database: placeholders present and resolvable, url shape. */
export function precheck(req: ForwardRequest): {
  dest: Destination;
  used: Set<string>;
  uses: PlaceholderUse[];
} {
  const template = req.request;
  const names = req.secrets.map((s) => s.name);
  if (new Set(names).size !== names.length) {
    throw new KeyholeError('INVALID_REQUEST', 'Two secrets in the request have the same name.');
  }
  const uses = listPlaceholders(template);
  if (uses.length === 0) throw new KeyholeError('PLACEHOLDER_MISSING');
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
  return { dest, used, uses };
}

/** Each secret's allowed hosts, parsed once for the checks before and after substitution. */
function parseRules(entries: readonly string[]): AllowedHostRule[] {
  const rules: AllowedHostRule[] = [];
  for (const entry of entries) {
    const rule = parseAllowedHost(entry);
    if (rule) rules.push(rule); // an invalid entry never matches (fails closed)
  }
  return rules;
}

/** isDestinationAllowed (shared/policy) on rules parsed already. */
function allowedBy(rules: readonly AllowedHostRule[], dest: Destination): boolean {
  for (const rule of rules) if (ruleMatches(rule, dest)) return true;
  return false;
}

export interface PrepareContext {
  hot: HotStatements;
  oauth: OAuthTokens;
}

/**
 * Opens the secrets (membership, item, decryption), checks the destination against EVERY
 * secret's allowed hosts (from inside the authenticated item, never from the request), then
 * substitutes. `audit` is filled as soon as vaults are known, so failures can be audited too.
 */
export async function prepareForward(
  ctx: PrepareContext,
  accountId: string,
  req: ForwardRequest,
  audit: AuditTarget[],
  /** the first secret's membership + item row, when it was looked up with the session */
  prefetched?: PrefetchedRow,
): Promise<PreparedForward> {
  const { dest, used, uses } = precheck(req);
  for (const ref of req.secrets) audit.push({ vaultId: ref.vaultId, secretName: ref.name });
  let opened: OpenedSecret[];
  try {
    const onOpened = (ref: SecretRef, payload: SecretPayload | null): void => {
      const entry = audit.find((a) => a.vaultId === ref.vaultId && a.secretName === ref.name);
      if (entry && payload) entry.secretName = payload.name;
    };
    opened = await openSecrets(ctx.hot, accountId, req.secrets, onOpened, prefetched);
  } finally {
    // The item keys were needed only to open the items (strings cannot be wiped; drop them).
    for (const ref of req.secrets) ref.itemKey = '';
  }
  const rules = opened.map((secret) => parseRules(secret.payload.allowedHosts));
  for (const r of rules) if (!allowedBy(r, dest)) throw new KeyholeError('HOST_NOT_ALLOWED');
  // Placement, from inside each authenticated item: before any value exists (oauth included).
  const byName = new Map(opened.map((s) => [s.name, s.payload]));
  assertPlacements(
    uses,
    req.secrets.map((s) => s.name),
    (name) => byName.get(name)?.placement,
  );

  const values = new Map<string, SecretValues>();
  for (const secret of opened) {
    if (used.has(secret.name)) values.set(secret.name, await secretValues(secret, ctx.oauth));
  }
  const names = req.secrets.map((s) => s.name);
  const first = names[0]!;
  const outgoing = buildOutgoing(
    req.request,
    (token) => {
      if (token.ref === undefined) {
        const v = values.get(first);
        if (v?.value === undefined) {
          throw new KeyholeError(
            'INVALID_REQUEST',
            '$CLIENT_SECRET needs a secret with a value; use $(secret:NAME.field) for template fields.',
          );
        }
        return v.value;
      }
      const ref = resolveRef(token.ref, names);
      const v = ref ? values.get(ref.name) : undefined;
      if (!ref || !v) throw new KeyholeError('SECRET_NOT_FOUND');
      if (ref.field === undefined) {
        if (v.value === undefined) {
          throw new KeyholeError(
            'INVALID_REQUEST',
            'This secret has only fields: use $(secret:NAME.field).',
          );
        }
        return v.value;
      }
      const field = Object.hasOwn(v.fields, ref.field) ? v.fields[ref.field] : undefined;
      if (field === undefined)
        throw new KeyholeError(
          'SECRET_NOT_FOUND',
          'A placeholder names a field the secret does not have.',
        );
      return field;
    },
    dest,
  );
  // After substitution the path is final: check it again (path-prefix rules).
  for (const r of rules)
    if (!allowedBy(r, outgoing.dest)) throw new KeyholeError('HOST_NOT_ALLOWED');
  const scrub: string[] = [];
  for (const v of values.values()) scrub.push(...v.scrub);
  return { outgoing, scrub, audit };
}
