// Errors in words, with what to do about them: every failure the popup shows goes through here, so
// no raw code or schema message reaches the user. `field` points the form at the input to fix.
import { UiError } from './send.js';

export interface Problem {
  code: string;
  text: string;
  /** the form field the problem is about (its input is marked and focused) */
  field?: string;
}

export type Action =
  'signup' | 'login' | 'unlock' | 'save' | 'sync' | 'team' | 'invite' | 'grant' | 'other';

/** The grant form's fields (shared/policy/grant-input.ts GrantField): their messages are ours. */
const GRANT_FIELDS = new Set([
  'origins',
  'methods',
  'paths',
  'rate',
  'quota',
  'expires',
  'max-body',
  'locked',
  'jwks',
  'issuer',
  'audience',
]);

export function explain(err: unknown, action: Action = 'other', relayUrl = ''): Problem {
  const code = err instanceof UiError ? err.code : 'INTERNAL';
  const message = err instanceof Error ? err.message : String(err);
  const relay = relayUrl ? ` at ${relayUrl}` : '';
  switch (code) {
    case 'RELAY_UNAVAILABLE':
      return {
        code,
        text: `Can't reach the relay${relay}. Is it running? Start one with \`npm start\`, or check the relay URL.`,
        ...(action === 'signup' || action === 'login' ? { field: 'relay' } : {}),
      };
    case 'INVALID_CREDENTIALS':
      return action === 'unlock'
        ? { code, text: 'Wrong master password. Try again.', field: 'password' }
        : { code, text: 'Wrong email or master password.', field: 'password' };
    case 'ACCOUNT_EXISTS':
      return {
        code,
        text: 'An account with this email already exists on this relay. Log in instead.',
        field: 'email',
      };
    case 'UNAUTHENTICATED':
      return { code, text: 'Your relay session expired. Lock, then unlock to sign in again.' };
    case 'VAULT_LOCKED':
      return { code, text: 'The vault locked meanwhile. Unlock it and try again.' };
    case 'KDF_PARAMS_TOO_WEAK':
      return {
        code,
        text: 'The relay offered key-derivation settings below the safe minimum; Keyhole refused to log in.',
      };
    case 'FINGERPRINT_MISMATCH':
      return {
        code,
        text: 'That fingerprint does not match their key. Nothing was sent; check it with them directly.',
        field: 'fingerprint',
      };
    case 'FORBIDDEN':
      // The relay's and the background's grant refusals say who may (creator, owner, admin).
      if (action === 'grant' && /^[A-Z].*[.!?]$/.test(message)) return { code, text: message };
      return { code, text: 'Your role in this vault does not allow that.' };
    case 'CONFLICT':
      return { code, text: 'Someone changed this at the same time. Sync, then try again.' };
    case 'RATE_LIMITED':
      return { code, text: 'Too many attempts. Wait a minute and try again.' };
    case 'STORE_UNAVAILABLE':
      return { code, text: 'The relay cannot reach its database. Try again in a moment.' };
    case 'NOT_FOUND':
      if (action === 'invite')
        return {
          code,
          text: 'No Keyhole account with that email on this relay. They sign up first.',
          field: 'invite-email',
        };
      if (action === 'grant')
        return {
          code,
          text: 'That grant is no longer there (revoked elsewhere?). Refresh the list.',
        };
      return { code, text: 'It is no longer there (removed on another device?). Sync to refresh.' };
    case 'SECRET_NOT_FOUND':
      if (action === 'grant')
        return {
          code,
          text: 'The relay no longer has this secret (deleted on another device?). Sync, then try again.',
        };
      return { code, text: 'It is no longer there (removed on another device?). Sync to refresh.' };
    case 'INVALID_REQUEST': {
      const field = err instanceof UiError ? fieldOf(err) : undefined;
      // Our own messages are sentences; a schema message (field: detail) is not shown raw. The
      // grant form's checks (shared with the CLI) quote the entry and say how to write it.
      const ours = action === 'grant' && field !== undefined && GRANT_FIELDS.has(field);
      const text =
        ours || /^[A-Z][^:]*[.!?]$/.test(message) ? message : 'That input was not accepted.';
      return { code, text, ...(field ? { field } : {}) };
    }
    case 'INTERNAL':
      return {
        code,
        text:
          message && message !== 'Internal error.' ? message : 'Something went wrong. Try again.',
      };
    default:
      return { code, text: message || 'Something went wrong. Try again.' };
  }
}

function fieldOf(err: UiError): string | undefined {
  return err.reason?.startsWith('field:') ? err.reason.slice('field:'.length) : undefined;
}
