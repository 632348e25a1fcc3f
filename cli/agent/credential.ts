// Where the local endpoint (`keyhole serve` / `run`) puts a secret in a caller's request, per the
// secret's type and placement (docs/cli.md, "Where the secret goes"). The caller's own credential
// headers (any dummy value) are dropped; the relay substitutes the placeholder written here.
import { KeyholeError } from '../../shared/errors.js';
import { CLIENT_SECRET } from '../../shared/policy/placeholders.js';
import { secretSigns } from '../../shared/policy/secret-fields.js';
import type { SecretPayload } from '../../shared/protocol/secret.js';

/** Where the placeholder goes: a header (with its full value) or a query parameter. */
export type CredentialSlot =
  | { kind: 'header'; name: string; value: string }
  | { kind: 'query'; name: string; value: string }
  /** signing types (sigv4, hmac): nothing to place, the relay signs the request as sent */
  | { kind: 'none' };

/** Headers that carry a caller's credential in the well-known SDKs: never forwarded as they are. */
export const CALLER_CREDENTIAL_HEADERS = [
  'authorization',
  'x-api-key', // Anthropic, many others
  'api-key', // Azure OpenAI
  'x-goog-api-key', // Google Gemini
] as const;

/** The scheme word each type's `Authorization` header uses. */
const AUTH_SCHEME: Partial<Record<string, string>> = {
  bearer: 'Bearer',
  oauth: 'Bearer',
  jwt: 'Bearer',
  basic: 'Basic',
  'github-app': 'token',
};

/** APIs whose key goes in another header than `Authorization` (used when no placement is set). */
const KEY_HEADER_BY_HOST: Record<string, string> = {
  'api.anthropic.com': 'x-api-key',
  'generativelanguage.googleapis.com': 'x-goog-api-key',
};

/** The secret's placements (`header:NAME`, `query:NAME`, `body:PATH`, `url`), when it lists any. */
export function placementsOf(payload: SecretPayload): string[] {
  const record = payload as Record<string, unknown>;
  const list = record.placement ?? record.place;
  return Array.isArray(list) ? list.filter((p): p is string => typeof p === 'string') : [];
}

/**
 * The slot for one secret. `callerAuthorization` is the caller's own Authorization header: for a
 * plain secret placed in Authorization its scheme word is kept (`Bearer x` → `Bearer <secret>`).
 */
export function credentialSlot(
  payload: SecretPayload,
  destinationHost: string,
  callerAuthorization?: string,
): CredentialSlot {
  if (secretSigns(payload.type)) return { kind: 'none' };
  const placements = placementsOf(payload);
  if (placements.length > 0) {
    for (const place of placements) {
      const at = place.indexOf(':');
      const kind = at === -1 ? place : place.slice(0, at).toLowerCase();
      const name = at === -1 ? '' : place.slice(at + 1);
      if (kind === 'header' && name !== '') return headerSlot(payload, name, callerAuthorization);
      if (kind === 'query' && name !== '') return { kind: 'query', name, value: CLIENT_SECRET };
    }
    throw new KeyholeError(
      'INVALID_REQUEST',
      `Secret ${payload.name} may be placed only in the body or the url, which the local endpoint ` +
        'cannot do for you: use `keyhole request` or the MCP `request` tool with $CLIENT_SECRET.',
    );
  }
  const keyHeader = KEY_HEADER_BY_HOST[destinationHost.toLowerCase()];
  if (keyHeader && (payload.type === 'plain' || payload.type === 'template')) {
    return { kind: 'header', name: keyHeader, value: CLIENT_SECRET };
  }
  return headerSlot(payload, 'authorization', callerAuthorization);
}

function headerSlot(
  payload: SecretPayload,
  name: string,
  callerAuthorization: string | undefined,
): CredentialSlot {
  if (name.toLowerCase() !== 'authorization') return { kind: 'header', name, value: CLIENT_SECRET };
  const scheme = AUTH_SCHEME[payload.type] ?? callerScheme(callerAuthorization) ?? 'Bearer';
  return { kind: 'header', name: 'authorization', value: `${scheme} ${CLIENT_SECRET}` };
}

/** `Bearer` from `Bearer dummy`; undefined when the caller sent no scheme word. */
function callerScheme(authorization: string | undefined): string | undefined {
  const m = authorization ? /^([A-Za-z][A-Za-z0-9._~+/-]*) +\S/.exec(authorization.trim()) : null;
  return m?.[1];
}
