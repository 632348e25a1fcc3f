// Turns a validated ForwardRequest into the upstream request: template checks, secrets opened,
// allowed hosts checked against the decrypted items, placeholders substituted, scrub list built.
import { randomBytes } from 'node:crypto';
import { KeyholeError } from '../../shared/errors.js';
import {
  assertNoPlaceholderInAuthority,
  assertPlacements,
  listPlaceholders,
  parseAllowedHost,
  parseDestination,
  resolveRef,
  ruleMatches,
  secretSigns,
  type AllowedHostRule,
  type Destination,
  type PlaceholderUse,
} from '../../shared/policy/index.js';
import {
  isAgentOrigin,
  type ForwardRequest,
  type SecretRef,
} from '../../shared/protocol/forward.js';
import type { SecretPayload } from '../../shared/protocol/secret.js';
import type { HotStatements } from '../db/hot-statements.js';
import type { MintedTokens } from './minted-tokens.js';
import type { OAuthTokens } from './oauth.js';
import { openSecrets, type OpenedSecret, type PrefetchedRow } from './secrets.js';
import { signHmac } from './sign-hmac.js';
import { signSigv4 } from './sign-sigv4.js';
import { buildOutgoing, type OutgoingRequest } from './substitute.js';
import { secretValues, type SecretValues } from './values.js';

export interface AuditTarget {
  vaultId: string;
  secretName: string;
}

export interface PreparedForward {
  outgoing: OutgoingRequest;
  /** every secret value used: its known forms are scrubbed from the answer */
  scrub: string[];
  audit: AuditTarget[];
  /**
   * oauth, jwt, github-app: drops the tokens used from their caches and builds the request again
   * with fresh ones — the one retry after a 401 (callable once). Undefined for the other types.
   */
  refresh?: () => Promise<{ outgoing: OutgoingRequest; scrub: string[] }>;
}

/** Checks that need no database: placeholders present and resolvable, url shape. */
export function precheck(req: ForwardRequest): {
  dest: Destination;
  used: Set<string>;
  uses: PlaceholderUse[];
  /** no placeholder at all: acceptable only when the first secret signs (checked once opened) */
  bare: boolean;
} {
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
  minted: MintedTokens;
  /** the signing clock (sigv4, hmac timestamps); default Date.now */
  now?: () => number;
}

/** Where no placeholder names a secret, the first one is used — allowed for signing types only. */
function usedSecrets(req: ForwardRequest, used: Set<string>): Set<string> {
  return used.size > 0 ? used : new Set([req.secrets[0]!.name]);
}

/**
 * Opens the secrets (membership, item, decryption), checks the destination against EVERY
 * secret's allowed hosts (from inside the authenticated item, never from the request), then
 * substitutes and signs. `audit` is filled as soon as vaults are known, so failures can be audited too.
 */
export async function prepareForward(
  ctx: PrepareContext,
  accountId: string,
  req: ForwardRequest,
  audit: AuditTarget[],
  /** the first secret's membership + item row, when it was looked up with the session */
  prefetched?: PrefetchedRow,
): Promise<PreparedForward> {
  const { dest, used: named, uses, bare } = precheck(req);
  const used = usedSecrets(req, named);
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
  // Placement, from inside each authenticated item: before any value exists (tokens included).
  const byName = new Map(opened.map((s) => [s.name, s.payload]));
  assertPlacements(
    uses,
    req.secrets.map((s) => s.name),
    (name) => byName.get(name)?.placement,
  );
  // A client that says it sends for an agent gets only secrets enabled for agents, read from
  // inside the authenticated item (a client that lies about it only skips its own net).
  if (isAgentOrigin(req.origin) && opened.some((secret) => secret.payload.agent !== true)) {
    throw new KeyholeError('AGENT_NOT_ALLOWED');
  }
  // Without any placeholder, only a secret that signs (sigv4, hmac) has something to do.
  if (bare && !secretSigns(opened[0]!.payload.type)) throw new KeyholeError('PLACEHOLDER_MISSING');
  if (opened.filter((s) => secretSigns(s.payload.type)).length > 1) {
    throw new KeyholeError(
      'INVALID_REQUEST',
      'A request may be signed by one secret only (sigv4 or hmac).',
    );
  }

  const build = async (): Promise<Built> => {
    const values = new Map<string, SecretValues>();
    for (const secret of opened) {
      if (used.has(secret.name) || secretSigns(secret.payload.type))
        values.set(secret.name, await secretValues(secret, ctx));
    }
    const outgoing = await buildSigned(req, values, dest, rules, ctx.now ?? Date.now);
    const scrub: string[] = [];
    for (const v of values.values()) scrub.push(...v.scrub);
    return { outgoing, scrub, values };
  };

  const first = await build();
  const prepared: PreparedForward = { outgoing: first.outgoing, scrub: first.scrub, audit };
  const minted = [...first.values.values()].filter((v) => v.minted !== undefined);
  if (minted.length > 0) {
    let spent = false;
    // A 401 makes the relay refresh once and retry once (docs/forward.md, "Signing and minting secrets").
    prepared.refresh = async () => {
      if (spent) throw new KeyholeError('INTERNAL');
      spent = true;
      for (const v of minted) {
        const m = v.minted!;
        if (m.cache === 'oauth') ctx.oauth.invalidate(m.source, m.token);
        else ctx.minted.invalidate(m.source, m.token);
      }
      const again = await build();
      // The stale token is scrubbed from the second answer too.
      return { outgoing: again.outgoing, scrub: [...first.scrub, ...again.scrub] };
    };
  }
  return prepared;
}

interface Built {
  outgoing: OutgoingRequest;
  scrub: string[];
  values: Map<string, SecretValues>;
}

/** Substitutes, checks the final path, then lets the signing secret (if any) sign. */
async function buildSigned(
  req: ForwardRequest,
  values: Map<string, SecretValues>,
  dest: Destination,
  rules: AllowedHostRule[][],
  now: () => number,
): Promise<OutgoingRequest> {
  const names = req.secrets.map((s) => s.name);
  const first = names[0]!;
  // A signing secret's value placeholder only marks the header its signature replaces. (Only
  // then: the random marker and the scan for it cost a few percent of a forward's CPU.)
  let signs = false;
  for (const v of values.values()) if (v.signer) signs = true;
  const marker = signs ? `keyhole-signature-${randomBytes(12).toString('hex')}` : '';
  const valueOf = (v: SecretValues | undefined, message: string): string => {
    if (v?.signer) return marker;
    if (v?.value === undefined) throw new KeyholeError('INVALID_REQUEST', message);
    return v.value;
  };
  const outgoing = buildOutgoing(
    req.request,
    (token) => {
      if (token.ref === undefined) {
        return valueOf(
          values.get(first),
          '$CLIENT_SECRET needs a secret with a value; use $(secret:NAME.field) for template fields.',
        );
      }
      const ref = resolveRef(token.ref, names);
      const v = ref ? values.get(ref.name) : undefined;
      if (!ref || !v) throw new KeyholeError('SECRET_NOT_FOUND');
      if (ref.field === undefined)
        return valueOf(v, 'This secret has only fields: use $(secret:NAME.field).');
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

  if (!signs) return outgoing;
  dropSignatureMarkers(outgoing, marker);
  for (const v of values.values()) {
    if (v.signer?.kind === 'sigv4') await signSigv4(outgoing, v.signer.cfg, new Date(now()));
    else if (v.signer?.kind === 'hmac') signHmac(outgoing, v.signer.cfg, now());
  }
  return outgoing;
}

/** Removes the headers that only named the signing secret; refuses the marker anywhere else. */
function dropSignatureMarkers(outgoing: OutgoingRequest, marker: string): void {
  const misplaced = () =>
    new KeyholeError(
      'INVALID_REQUEST',
      'A signing secret (sigv4, hmac) is not substituted: its placeholder may only be the whole value of a header.',
    );
  for (const [name, value] of Object.entries(outgoing.headers)) {
    if (value === marker) delete outgoing.headers[name];
    else if (value.includes(marker)) throw misplaced();
  }
  if (outgoing.path.includes(marker) || outgoing.body?.includes(marker)) throw misplaced();
}
