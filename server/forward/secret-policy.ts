// Step "policy" of a forward: what the opened items allow, read from inside each authenticated
// item, never from the request — the destination in EVERY secret's allowed hosts, each
// placeholder where its secret may be placed, agents only for agent-enabled secrets, a bare
// request only for a signing secret, one signer at most (docs/forward.md, "Placement").
import { KeyholeError } from '../../shared/errors.js';
import {
  assertPlacements,
  parseAllowedHost,
  ruleMatches,
  secretSigns,
  type AllowedHostRule,
  type Destination,
} from '../../shared/policy/index.js';
import { isAgentOrigin, type ForwardRequest } from '../../shared/protocol/forward.js';
import type { CheckedTemplate } from './precheck.js';
import type { OpenedSecret } from './secrets.js';

/** One secret's allowed hosts, parsed once for the checks before and after substitution. */
export type HostRules = readonly AllowedHostRule[];

function parseRules(entries: readonly string[]): HostRules {
  const rules: AllowedHostRule[] = [];
  for (const entry of entries) {
    const rule = parseAllowedHost(entry);
    if (rule) rules.push(rule); // an invalid entry never matches (fails closed)
  }
  return rules;
}

/** isDestinationAllowed (shared/policy) on rules parsed already. */
export function allowedBy(rules: HostRules, dest: Destination): boolean {
  for (const rule of rules) if (ruleMatches(rule, dest)) return true;
  return false;
}

/** Throws the first refusal; returns each secret's host rules (checked again after substitution). */
export function checkSecretPolicy(
  req: ForwardRequest,
  template: CheckedTemplate,
  opened: readonly OpenedSecret[],
): HostRules[] {
  const rules = opened.map((secret) => parseRules(secret.payload.allowedHosts));
  for (const r of rules)
    if (!allowedBy(r, template.dest)) throw new KeyholeError('HOST_NOT_ALLOWED');
  // Placement, from inside each authenticated item: before any value exists (tokens included).
  const byName = new Map(opened.map((s) => [s.name, s.payload]));
  assertPlacements(
    template.uses,
    req.secrets.map((s) => s.name),
    (name) => byName.get(name)?.placement,
  );
  // A client that says it sends for an agent gets only secrets enabled for agents, read from
  // inside the authenticated item (a client that lies about it only skips its own net).
  if (isAgentOrigin(req.origin) && opened.some((secret) => secret.payload.agent !== true)) {
    throw new KeyholeError('AGENT_NOT_ALLOWED');
  }
  // Without any placeholder, only a secret that signs (sigv4, hmac) has something to do.
  if (template.bare && !secretSigns(opened[0]!.payload.type)) {
    throw new KeyholeError('PLACEHOLDER_MISSING');
  }
  if (opened.filter((s) => secretSigns(s.payload.type)).length > 1) {
    throw new KeyholeError(
      'INVALID_REQUEST',
      'A request may be signed by one secret only (sigv4 or hmac).',
    );
  }
  return rules;
}
