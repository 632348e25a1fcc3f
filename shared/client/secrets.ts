// Adding, changing and removing secrets: validate, sync first, then push with merge (sync.ts).
import { KeyholeError } from '../errors.js';
import { SecretPayload } from '../protocol/secret.js';
import type { RelayClient } from './relay-client.js';
import { pullAll, pushWithMerge, type SyncReport } from './sync.js';
import type { SecretEntry, VaultStore } from './vault-store.js';

/** The fields that hold a secret's value, by type (all replaced together by an update). */
const VALUE_FIELDS = [
  'value',
  'username',
  'password',
  'fields',
  'oauth',
  'sigv4',
  'hmac',
  'jwt',
  'githubApp',
] as const;

/**
 * `base` with `patch` applied (undefined leaves a field as it is). A new value replaces every value
 * field: an old key (an hmac key, a private key, an oauth client secret) must not live on in the
 * item after a change of value or type.
 */
export function mergeSecretPatch(
  base: Partial<SecretPayload>,
  patch: Partial<SecretPayload>,
): Record<string, unknown> {
  const next: Record<string, unknown> = { ...base };
  if (VALUE_FIELDS.some((k) => patch[k] !== undefined))
    for (const k of VALUE_FIELDS) delete next[k];
  for (const [key, value] of Object.entries(patch)) if (value !== undefined) next[key] = value;
  return next;
}

/** The fields `secret update` may change; undefined leaves a field as it is. */
export type SecretPatch = Partial<Omit<SecretPayload, 'name'>> & { name?: string };

export interface WriteResult extends SyncReport {
  itemId: string;
}

export function validatePayload(input: unknown): SecretPayload {
  const parsed = SecretPayload.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
    throw new KeyholeError(
      'INVALID_REQUEST',
      `Invalid secret: ${where}${issue?.message ?? 'malformed'}`,
    );
  }
  const p = parsed.data;
  const missing =
    (p.type === 'plain' || p.type === 'bearer') && !p.value
      ? 'a value'
      : p.type === 'basic' && (p.username === undefined || p.password === undefined)
        ? 'a username and a password'
        : p.type === 'template' && (!p.fields || Object.keys(p.fields).length === 0)
          ? 'at least one field'
          : p.type === 'oauth' && !p.oauth
            ? 'an OAuth configuration'
            : null;
  if (missing) throw new KeyholeError('INVALID_REQUEST', `A ${p.type} secret needs ${missing}.`);
  return p;
}

export async function addSecret(
  relay: RelayClient,
  store: VaultStore,
  vaultId: string,
  input: SecretPayload,
): Promise<WriteResult> {
  const payload = validatePayload(input);
  await pullAll(relay, store);
  if (store.index(vaultId).byName.has(payload.name)) {
    throw new KeyholeError(
      'INVALID_REQUEST',
      `A secret named ${payload.name} already exists in this vault: use \`keyhole secret update\`.`,
    );
  }
  const itemId = store.newItemId();
  const report = await pushWithMerge(relay, store, vaultId, [
    { itemId, baseRevision: 0, base: null, ours: payload },
  ]);
  return { itemId, ...report };
}

/**
 * Edits are based on the version this client last synced (what its user saw), not on a fresh
 * pull: if another device changed the secret since, the push meets a CONFLICT and the merge keeps
 * both changes instead of silently overwriting theirs. Only an unknown name triggers a pull.
 */
async function lookUp(
  relay: RelayClient,
  store: VaultStore,
  vaultId: string,
  name: string,
): Promise<SecretEntry> {
  const cached = store.index(vaultId).byName.get(name);
  if (cached) return cached;
  await pullAll(relay, store);
  return store.getSecret(vaultId, name);
}

export async function updateSecret(
  relay: RelayClient,
  store: VaultStore,
  vaultId: string,
  name: string,
  patch: SecretPatch,
): Promise<WriteResult> {
  const entry = await lookUp(relay, store, vaultId, name);
  const payload = validatePayload(mergeSecretPatch(entry.payload, patch));
  if (payload.name !== name && store.index(vaultId).byName.has(payload.name)) {
    throw new KeyholeError(
      'INVALID_REQUEST',
      `A secret named ${payload.name} already exists in this vault.`,
    );
  }
  const report = await pushWithMerge(relay, store, vaultId, [
    { itemId: entry.itemId, baseRevision: entry.revision, base: entry.payload, ours: payload },
  ]);
  return { itemId: entry.itemId, ...report };
}

export async function removeSecret(
  relay: RelayClient,
  store: VaultStore,
  vaultId: string,
  name: string,
): Promise<WriteResult> {
  const entry = await lookUp(relay, store, vaultId, name);
  const report = await pushWithMerge(relay, store, vaultId, [
    { itemId: entry.itemId, baseRevision: entry.revision, base: entry.payload, ours: null },
  ]);
  return { itemId: entry.itemId, ...report };
}
