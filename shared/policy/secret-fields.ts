// What a secret can stand for in a placeholder, per type (docs/forward.md, "Secret types"):
// `$CLIENT_SECRET` / `$(secret:NAME)` need a value, `$(secret:NAME.field)` a field of that type.
// The client's pre-flight runs it; the relay's substitution (server/forward/values.ts) follows it.
import { KeyholeError } from '../errors.js';
import type { SecretPayload } from '../protocol/secret.js';

export type PlaceholderSource = Pick<SecretPayload, 'type' | 'value' | 'password' | 'fields'> &
  Partial<Pick<SecretPayload, 'hmac'>>;

/**
 * Types whose secret signs the request instead of being substituted (sigv4, hmac): they need no
 * placeholder, and `$(secret:NAME)` / `$CLIENT_SECRET` for them only marks the header the relay
 * fills with the signature (the whole value of that header).
 */
export function secretSigns(type: string): boolean {
  return type === 'sigv4' || type === 'hmac';
}

/** The `.field` names `$(secret:NAME.field)` may use: template fields, basic's pair, oauth's token. */
export function secretFieldNames(p: PlaceholderSource): string[] {
  switch (p.type) {
    case 'basic':
      return ['username', 'password'];
    case 'oauth':
    case 'jwt':
    case 'github-app':
      return ['access_token'];
    case 'template':
      return p.fields ? Object.keys(p.fields) : [];
    case 'hmac':
      return p.hmac?.fields ? Object.keys(p.hmac.fields) : [];
    default:
      return [];
  }
}

/** Whether `$CLIENT_SECRET` / `$(secret:NAME)` can stand for this secret (a template needs a value). */
export function secretHasValue(p: PlaceholderSource): boolean {
  return p.type !== 'template' || Boolean(p.value);
}

/**
 * Throws what the relay answers when a placeholder for this secret cannot be filled: `field`
 * undefined is `$CLIENT_SECRET` / `$(secret:NAME)`. INVALID_REQUEST when the secret lacks what its
 * type always needs (plain/bearer value, basic password) or has no value; SECRET_NOT_FOUND for a
 * field it does not have.
 */
export function assertPlaceholderFillable(p: PlaceholderSource, field: string | undefined): void {
  if ((p.type === 'plain' || p.type === 'bearer') && !p.value)
    throw new KeyholeError('INVALID_REQUEST', 'The secret has no value.');
  if (p.type === 'basic' && !p.password)
    throw new KeyholeError('INVALID_REQUEST', 'The secret has no password.');
  if (field === undefined) {
    if (!secretHasValue(p)) {
      throw new KeyholeError(
        'INVALID_REQUEST',
        'This secret has only fields: use $(secret:NAME.field).',
      );
    }
    return;
  }
  if (!secretFieldNames(p).includes(field)) {
    throw new KeyholeError(
      'SECRET_NOT_FOUND',
      'A placeholder names a field the secret does not have.',
    );
  }
}
