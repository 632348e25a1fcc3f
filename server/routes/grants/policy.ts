// A grant's own limits on what a request may do (docs/protocol.md "Grants"): origin, method,
// path prefixes, expiry. They narrow what the secret's item allows (hosts, placement), which the
// forward engine checks as for any other forward; they never widen it.
// Codes: the grant is what its sites may do with the secret, so a method or path outside it is
// ORIGIN_NOT_ALLOWED (this site may not use the secret so), like an origin outside it;
// HOST_NOT_ALLOWED stays the secret's own allowed hosts — the code says which side refused.
import { KeyholeError } from '../../../shared/errors.js';
import { ruleMatches, type Destination } from '../../../shared/policy/index.js';
import type { GrantPolicy } from '../../../shared/protocol/grant.js';

export function grantInvalid(): KeyholeError {
  return new KeyholeError('GRANT_INVALID');
}

/** Exact match on the browser's `Origin` header; a request without one is refused too. */
export function originAllowed(policy: GrantPolicy, origin: string | undefined): boolean {
  return origin !== undefined && policy.origins.includes(origin);
}

export function checkExpiry(policy: GrantPolicy, now: number): void {
  if (policy.expiresAt !== null && now >= policy.expiresAt) {
    throw new KeyholeError(
      'GRANT_INVALID',
      'This grant has expired: its owner can make a new one.',
    );
  }
}

export function checkMethod(policy: GrantPolicy, method: string): void {
  if (policy.methods.length > 0 && !(policy.methods as string[]).includes(method)) {
    throw new KeyholeError(
      'ORIGIN_NOT_ALLOWED',
      `This grant lets its sites send only ${policy.methods.join(', ')}; another method needs a grant that allows it (keyhole grant create --method).`,
    );
  }
}

/**
 * Path prefixes on segment boundaries, with the allowed-hosts grammar's own matcher (shared/
 * policy): `/v1/chat` allows `/v1/chat` and `/v1/chat/x`, never `/v1/chatx`, nor a path with an
 * encoded `/` or a dot segment the upstream could decode its way out with.
 */
export function checkPath(policy: GrantPolicy, dest: Destination): void {
  if (policy.paths.length === 0) return;
  for (const prefix of policy.paths) {
    const rule = {
      scheme: dest.scheme,
      host: dest.hostname.replace(/\.$/, ''),
      wildcard: false,
      port: dest.port,
      pathPrefix: prefix.replace(/\/+$/, ''),
    };
    if (ruleMatches(rule, dest)) return;
  }
  throw new KeyholeError(
    'ORIGIN_NOT_ALLOWED',
    `This grant lets its sites reach only paths under ${policy.paths.join(', ')}; another path needs a grant that allows it (keyhole grant create --path).`,
  );
}
