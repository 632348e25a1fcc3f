// Builds the ForwardRequest for one call (Skapi's clientSecretRequest params) and runs the
// pre-flight checks before anything leaves: SECRET_NOT_FOUND, PLACEHOLDER_MISSING,
// HOST_NOT_ALLOWED, INVALID_REQUEST (shared/policy is the same code the relay runs again).
import { toBase64url } from '../crypto/index.js';
import { KeyholeError } from '../errors.js';
import {
  assertPlaceholderFillable,
  assertPlacements,
  checkDestination,
  listPlaceholders,
  resolveRef,
  secretSigns,
} from '../policy/index.js';
import { RequestTemplate, type ForwardRequest, type SecretRef } from '../protocol/forward.js';
import type { PlaceholderUse } from '../policy/index.js';
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

/** Finds the one secret a name means (throws SECRET_NOT_FOUND, or INVALID_REQUEST when ambiguous). */
export type SecretResolver = (name: string) => SecretEntry;

/** Every secret named `name` in the vaults a caller could mean (one vault, or all of them). */
export function candidates(store: VaultStore, name: string, vaultId?: string): SecretEntry[] {
  // A vault that fails verification is skipped (reported elsewhere): no lock-out, no guess.
  const vaults = vaultId ? [vaultId] : store.usableVaults().map((v) => v.id);
  const out: SecretEntry[] = [];
  for (const id of vaults) {
    const entry = store.index(id).byName.get(name);
    if (entry) out.push(entry);
  }
  return out;
}

export function ambiguous(): KeyholeError {
  return new KeyholeError(
    'INVALID_REQUEST',
    'That secret name exists in more than one vault: say which vault (--vault), or rename one.',
  );
}

/** The default: the name in `vaultId`, else in whichever single vault has it — never a guess. */
export function uniqueResolver(store: VaultStore, vaultId?: string): SecretResolver {
  return (name) => {
    const found = candidates(store, name, vaultId);
    if (found.length > 1) throw ambiguous();
    if (found.length === 0)
      throw new KeyholeError('SECRET_NOT_FOUND', `No secret named ${JSON.stringify(name)}.`);
    return found[0]!;
  };
}

/** Names `$(secret:…)` references are read against (dotted names: exact first, then name.field). */
function knownNames(store: VaultStore, vaultId?: string): string[] {
  // A vault that fails verification is skipped (reported elsewhere): no lock-out, no guess.
  const vaults = vaultId ? [vaultId] : store.usableVaults().map((v) => v.id);
  const names = new Set<string>();
  for (const id of vaults) for (const name of store.index(id).byName.keys()) names.add(name);
  return [...names];
}

/** A relay request before its checks: what will be sent, and every secret it names, resolved. */
export interface ForwardPlan {
  request: RequestTemplate;
  uses: PlaceholderUse[];
  /** every secret the request names, once each; the first is $CLIENT_SECRET */
  entries: SecretEntry[];
  /** per use (same order): the `.field` it asks for */
  fields: (string | undefined)[];
}

/**
 * Builds the relay request FIRST (issue #11): the template as it will be sent and every secret
 * it names, each resolved once by `resolve` (by vault and item id from then on). The extension
 * decides consent on exactly `entries`; checkForwardPlan then runs the policy on the same object.
 * The errors here do not depend on which secrets exist (no oracle), except what `resolve` throws.
 */
export function planForwardRequest(
  store: VaultStore,
  params: ClientRequestParams,
  resolve: SecretResolver = uniqueResolver(store, params.vaultId),
): ForwardPlan {
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

  const uses = listPlaceholders(request);
  const names = [params.clientSecretName];
  const fields: (string | undefined)[] = [];
  const vaultNames = knownNames(store, params.vaultId);
  for (const use of uses) {
    if (use.ref === undefined) {
      fields.push(undefined);
      continue;
    }
    // An unknown name stays as written: `resolve` answers for it (SECRET_NOT_FOUND, or a decoy).
    const resolved = resolveRef(use.ref, vaultNames) ?? { name: use.ref };
    fields.push(resolved.field);
    if (!names.includes(resolved.name)) names.push(resolved.name);
  }
  if (names.length > MAX_SECRETS_PER_REQUEST) {
    throw new KeyholeError(
      'INVALID_REQUEST',
      `A request may use at most ${MAX_SECRETS_PER_REQUEST} secrets.`,
    );
  }
  // Once per name: every use of a name is the same secret.
  const entries = names.map((name) => resolve(name));
  return { request, uses, entries, fields };
}

/** The checks on a plan (the relay runs each again inside the items): fillable, hosts, placement. */
export function checkForwardPlan(plan: ForwardPlan): void {
  // A signing secret (sigv4, hmac) is applied by the relay: it needs no placeholder. Checked here,
  // not in the plan, so that the answer depends on the secret only after consent.
  if (plan.uses.length === 0 && !secretSigns(plan.entries[0]!.payload.type))
    throw new KeyholeError('PLACEHOLDER_MISSING');
  const names = plan.entries.map((e) => e.payload.name);
  const byName = new Map(plan.entries.map((e) => [e.payload.name, e.payload]));
  plan.uses.forEach((use, i) => {
    const name = use.ref === undefined ? names[0] : (resolveRef(use.ref, names)?.name ?? undefined);
    const payload = name === undefined ? undefined : byName.get(name);
    if (!payload) throw new KeyholeError('SECRET_NOT_FOUND');
    // The same rules as the relay's (shared/policy): basic username/password, oauth access_token,
    // template fields; SECRET_NOT_FOUND for a field the secret does not have.
    assertPlaceholderFillable(payload, use.ref === undefined ? undefined : plan.fields[i]);
  });
  // Every secret sent must allow the destination and each placeholder's place.
  for (const entry of plan.entries) checkDestination(plan.request.url, entry.payload.allowedHosts);
  assertPlacements(plan.uses, names, (name) => byName.get(name)?.placement);
}

/** The wire request of a checked plan. */
export function forwardRequestOf(plan: ForwardPlan, params: ClientRequestParams): ForwardRequest {
  const secrets: SecretRef[] = plan.entries.map((e) => ({
    name: e.payload.name,
    vaultId: e.vaultId,
    itemId: e.itemId,
    itemKey: toBase64url(e.itemKey),
  }));
  const out: ForwardRequest = { request: plan.request, secrets };
  if (params.origin !== undefined) out.origin = params.origin;
  if (params.queue !== undefined) out.queue = params.queue;
  if (params.expires !== undefined) out.expires = params.expires;
  if (params.poll !== undefined) out.poll = params.poll;
  return out;
}

export function buildForwardRequest(
  store: VaultStore,
  params: ClientRequestParams,
  resolve: SecretResolver = uniqueResolver(store, params.vaultId),
): ForwardRequest {
  const plan = planForwardRequest(store, params, resolve);
  checkForwardPlan(plan);
  return forwardRequestOf(plan, params);
}
