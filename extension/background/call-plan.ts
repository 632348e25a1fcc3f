// The relay request of one page call, built FIRST (issue #11): every secret it names resolved
// once, for the calling origin, by vault and item id. page-calls.ts then decides consent on exactly
// `secrets`, and the forwarder sends exactly `forwardRequest()` — the object that was checked.
import { KeyholeError } from '../../shared/errors.js';
import {
  ambiguous,
  candidates,
  checkForwardPlan,
  forwardRequestOf,
  planForwardRequest,
  type ClientRequestParams,
  type ForwardPlan,
  type SecretResolver,
} from '../../shared/client/request.js';
import type { SecretEntry, VaultStore } from '../../shared/client/vault-store.js';
import { listPlaceholders, resolveRef } from '../../shared/policy/index.js';
import type { ForwardRequest } from '../../shared/protocol/forward.js';
import type { SecretPayload } from '../../shared/protocol/secret.js';
import type { FetchTemplate } from '../bridge/messages.js';
import { describeDestination, pageOptions, requestedName } from './policy.js';

/** One secret the call would use; `decoy` stands for a name the caller may not resolve. */
export interface PlannedSecret {
  vaultId: string;
  itemId: string;
  payload: SecretPayload;
  decoy: boolean;
  /** the vault's name for the approval window ('' for the personal vault) */
  vault: string;
}

export interface CallPlan {
  /** every secret the relay request names, the first being $CLIENT_SECRET */
  secrets: PlannedSecret[];
  /** the destination as the approval window shows it */
  display: { host: string; method: string };
  /** the policy on this very plan (fillable, hosts, placement); throws its error code */
  check(): void;
  /** the wire request (call after consent and check) */
  forwardRequest(): ForwardRequest;
}

const MAX_PARAMS_BYTES = 1024 * 1024;
const DECOY_KEY = new Uint8Array(32);

/**
 * A stand-in for a name that does not resolve for this caller (missing, or in several vaults none
 * of which it may use): the same checks then run on it as on a real secret, and it is refused
 * with ORIGIN_NOT_ALLOWED — so neither the answer nor the work tells whether the name exists.
 */
function decoy(name: string): SecretEntry {
  return {
    vaultId: 'decoy',
    itemId: 'decoy',
    revision: 0,
    version: 0,
    updatedAt: 0,
    itemKey: DECOY_KEY,
    payload: {
      name,
      type: 'plain',
      value: 'decoy',
      allowedHosts: ['decoy.invalid'],
      allowedOrigins: [],
      description: '',
      placement: ['header:Authorization'],
    },
  };
}

/**
 * The secret `name` means for `origin`: the one vault that has it; with several, the one this
 * origin is allowed to use. Two the origin may use: refused (INVALID_REQUEST), never guessed.
 */
export function originResolver(
  store: VaultStore,
  origin: string,
  decoys: Set<SecretEntry>,
): SecretResolver {
  return (name) => {
    const all = candidates(store, name);
    const allowed = all.filter((e) => e.payload.allowedOrigins.includes(origin));
    if (allowed.length > 1) throw ambiguous();
    if (allowed.length === 1) return allowed[0]!;
    if (all.length === 1) return all[0]!;
    const d = decoy(name);
    decoys.add(d);
    return d;
  };
}

function knownNames(store: VaultStore): string[] {
  const names = new Set<string>();
  for (const v of store.usableVaults())
    for (const n of store.index(v.id).byName.keys()) names.add(n);
  return [...names];
}

function stringifyHeaders(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value))
    out[k] = typeof v === 'number' || typeof v === 'boolean' ? String(v) : v;
  return out;
}

/** clientSecretRequest(params) → its ClientRequestParams (shape errors only; nothing secret-dependent). */
function requestParams(params: Record<string, unknown>, origin: string): ClientRequestParams {
  const name = requestedName(params);
  if (typeof params.url !== 'string') throw new KeyholeError('INVALID_REQUEST');
  let size: number;
  try {
    size = JSON.stringify(params).length;
  } catch {
    // A page can post what JSON cannot hold (BigInt, cycles) through structured clone.
    throw new KeyholeError('INVALID_REQUEST');
  }
  if (size > MAX_PARAMS_BYTES) throw new KeyholeError('PAYLOAD_TOO_LARGE');
  const out: ClientRequestParams = {
    clientSecretName: name,
    url: params.url,
    method: typeof params.method === 'string' ? params.method : 'GET',
    headers: stringifyHeaders(params.headers ?? {}) as Record<string, string>,
    origin,
    ...pageOptions(params),
  };
  if (params.data !== undefined) out.data = params.data;
  if (params.params !== undefined) out.params = params.params as ClientRequestParams['params'];
  return out;
}

/** keyhole.fetch(template) → its ClientRequestParams; the first `$(secret:NAME)` is the main one. */
function fetchParams(t: FetchTemplate, origin: string, store: VaultStore): ClientRequestParams {
  if (
    typeof t.url !== 'string' ||
    typeof t.headers !== 'object' ||
    t.headers === null ||
    (t.method !== undefined && typeof t.method !== 'string')
  ) {
    throw new KeyholeError('INVALID_REQUEST');
  }
  const out: ClientRequestParams = {
    clientSecretName: '',
    url: t.url,
    method: t.method ?? 'GET',
    headers: t.headers,
    origin,
  };
  // Whatever the body is (the page API sends text; a page posting the bridge message itself can
  // send an object): the shared traversal reads it as the relay will substitute it.
  if (t.body !== undefined) out.data = t.body;
  let size: number;
  try {
    size = JSON.stringify(out).length;
  } catch {
    throw new KeyholeError('INVALID_REQUEST');
  }
  if (size > MAX_PARAMS_BYTES) throw new KeyholeError('PAYLOAD_TOO_LARGE');
  const first = listPlaceholders({
    url: out.url,
    method: out.method?.toUpperCase(),
    headers: out.headers ?? {},
    data: out.data,
  }).find((u) => u.ref !== undefined)?.ref;
  if (first === undefined) throw new KeyholeError('PLACEHOLDER_MISSING');
  out.clientSecretName = resolveRef(first, knownNames(store))?.name ?? first;
  return out;
}

function planned(store: VaultStore, e: SecretEntry, decoys: Set<SecretEntry>): PlannedSecret {
  const view = decoys.has(e) ? undefined : store.vaults().find((v) => v.id === e.vaultId);
  return {
    vaultId: e.vaultId,
    itemId: e.itemId,
    payload: e.payload,
    decoy: decoys.has(e),
    vault: view && view.kind !== 'personal' ? (view.name ?? view.id) : '',
  };
}

/** The secret `name` means for `origin` (has()): a decoy when none; throws when ambiguous. */
export function lookUpForOrigin(store: VaultStore, origin: string, name: string): PlannedSecret {
  const decoys = new Set<SecretEntry>();
  return planned(store, originResolver(store, origin, decoys)(name), decoys);
}

/** Builds the relay request of a page op for `origin`: throws only what does not depend on secrets. */
export function planPageCall(
  store: VaultStore,
  origin: string,
  op: { op: 'request'; params: Record<string, unknown> } | { op: 'fetch'; request: FetchTemplate },
): CallPlan {
  const params =
    op.op === 'request' ? requestParams(op.params, origin) : fetchParams(op.request, origin, store);
  const decoys = new Set<SecretEntry>();
  const plan: ForwardPlan = planForwardRequest(
    store,
    params,
    originResolver(store, origin, decoys),
  );
  return {
    secrets: plan.entries.map((e) => planned(store, e, decoys)),
    display: describeDestination(params.url, params.method),
    check: () => checkForwardPlan(plan),
    forwardRequest: () => {
      if (decoys.size > 0) throw new KeyholeError('ORIGIN_NOT_ALLOWED');
      return forwardRequestOf(plan, params);
    },
  };
}
