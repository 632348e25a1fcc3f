// Builds the ForwardRequest for one call (Skapi's clientSecretRequest params) and runs the
// pre-flight checks before anything leaves: SECRET_NOT_FOUND, PLACEHOLDER_MISSING,
// HOST_NOT_ALLOWED, INVALID_REQUEST (shared/policy is the same code the relay runs again).
import { toBase64url } from '../crypto/index.js';
import { KeyholeError } from '../errors.js';
import {
  assertPlaceholderFillable,
  checkDestination,
  listPlaceholders,
  resolveRef,
  secretSigns,
} from '../policy/index.js';
import { RequestTemplate, type ForwardRequest, type SecretRef } from '../protocol/forward.js';
import type { SecretEntry, VaultStore } from './vault-store.js';

export interface ClientRequestParams {
  clientSecretName: string;
  url: string;
  method?: string;
  headers?: Record<string, string>;
  data?: unknown;
  params?: Record<string, string | number | boolean>;
  queue?: string;
  expires?: number;
  poll?: number;
  /** the calling page's origin (from the browser, never from the page) — for the audit log */
  origin?: string;
  /** only this vault; default: the personal vault, then the team vaults */
  vaultId?: string;
}

export const MAX_SECRETS_PER_REQUEST = 8;

export function buildForwardRequest(
  store: VaultStore,
  params: ClientRequestParams,
): ForwardRequest {
  const parsed = RequestTemplate.safeParse({
    url: params.url,
    method: (params.method ?? 'GET').toUpperCase(),
    headers: params.headers ?? {},
    data: params.data,
    params: params.params,
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new KeyholeError(
      'INVALID_REQUEST',
      `Invalid request: ${issue?.path.join('.') || 'request'}: ${issue?.message}`,
    );
  }
  const request = parsed.data;
  if (request.data === undefined) delete request.data;
  if (request.params === undefined) delete request.params;

  const main = store.findSecret(params.clientSecretName, params.vaultId);
  const uses = listPlaceholders(request);
  // A signing secret (sigv4, hmac) is applied by the relay: it needs no placeholder.
  if (uses.length === 0 && !secretSigns(main.payload.type))
    throw new KeyholeError('PLACEHOLDER_MISSING');

  const entries: SecretEntry[] = [main];
  const vaultNames = [...store.index(main.vaultId).byName.keys()];
  for (const use of uses) {
    if (use.ref === undefined) {
      // $CLIENT_SECRET: the first secret's value, as the relay substitutes it.
      assertPlaceholderFillable(main.payload, undefined);
      continue;
    }
    const resolved = resolveRef(use.ref, vaultNames);
    if (!resolved) {
      throw new KeyholeError(
        'SECRET_NOT_FOUND',
        `No secret named ${JSON.stringify(use.ref)} in this vault.`,
      );
    }
    const entry = store.getSecret(main.vaultId, resolved.name);
    // The same rules as the relay's (shared/policy): basic username/password, oauth access_token,
    // template fields; SECRET_NOT_FOUND for a field the secret does not have.
    assertPlaceholderFillable(entry.payload, resolved.field);
    if (!entries.some((e) => e.itemId === entry.itemId)) entries.push(entry);
  }
  if (entries.length > MAX_SECRETS_PER_REQUEST) {
    throw new KeyholeError(
      'INVALID_REQUEST',
      `A request may use at most ${MAX_SECRETS_PER_REQUEST} secrets.`,
    );
  }
  // Every secret sent must allow the destination (the relay checks again inside the item).
  for (const entry of entries) checkDestination(request.url, entry.payload.allowedHosts);

  const secrets: SecretRef[] = entries.map((e) => ({
    name: e.payload.name,
    vaultId: e.vaultId,
    itemId: e.itemId,
    itemKey: toBase64url(e.itemKey),
  }));
  const out: ForwardRequest = { request, secrets };
  if (params.origin !== undefined) out.origin = params.origin;
  if (params.queue !== undefined) out.queue = params.queue;
  if (params.expires !== undefined) out.expires = params.expires;
  if (params.poll !== undefined) out.poll = params.poll;
  return out;
}
