// Grants from the owner's side (CLI, popup): make one (the token is returned once and never
// stored), list them (policies read from the vault-key copy), revoke. docs/protocol.md "Grants".
import { z } from 'zod';
import { newGrantToken, openGrantInfo, sealGrant, wipe } from '../crypto/index.js';
import { KeyholeError } from '../errors.js';
import { durationMs, type GrantOptions } from '../policy/grant-input.js';
import {
  GRANT_DEFAULT_MAX_BODY,
  GrantPolicy,
  ListGrantsResponse,
  type GrantSummary,
} from '../protocol/grant.js';
import type { RelayClient } from './relay-client.js';
import type { SecretEntry, VaultStore } from './vault-store.js';

export type { GrantOptions } from '../policy/grant-input.js';

export interface CreatedGrant {
  id: string;
  /** `khg_…`: shown once; whoever holds it can use the grant within its policy */
  token: string;
  policy: GrantPolicy;
}

export async function createGrant(
  relay: RelayClient,
  store: VaultStore,
  vaultId: string,
  secretName: string,
  options: GrantOptions,
  now: number = Date.now(),
): Promise<CreatedGrant> {
  return createGrantFor(relay, store, store.getSecret(vaultId, secretName), options, now);
}

/**
 * The same, for a secret already resolved by vault and item id (the popup's row). The grant key
 * is made here, on the owner's device; the relay receives only its lookup hash and ciphertexts.
 */
export async function createGrantFor(
  relay: RelayClient,
  store: VaultStore,
  entry: SecretEntry,
  options: GrantOptions,
  now: number = Date.now(),
): Promise<CreatedGrant> {
  const vaultId = entry.vaultId;
  let expiresAt: number | null = null;
  if (options.expiresAt !== undefined) expiresAt = options.expiresAt;
  else if (options.expiresInMs !== undefined) expiresAt = now + options.expiresInMs;
  if (expiresAt !== null && expiresAt <= now) {
    throw new KeyholeError(
      'INVALID_REQUEST',
      'The end is in the past: pick a time in the future.',
      {
        details: { field: 'expires' },
      },
    );
  }
  const t = newGrantToken();
  const candidate = {
    v: 1,
    grantId: t.grantId,
    vaultId,
    itemId: entry.itemId,
    secretName: entry.payload.name,
    origins: [...new Set(options.origins)],
    methods: [...new Set(options.methods ?? [])],
    paths: [...new Set(options.paths ?? [])],
    ratePerMinute: options.ratePerMinute ?? null,
    quotaPerDay: options.quotaPerDay ?? null,
    expiresAt,
    maxBodyBytes: options.maxBodyBytes ?? GRANT_DEFAULT_MAX_BODY,
    locked: options.locked ?? null,
    createdAt: now,
  };
  const parsed = GrantPolicy.safeParse(candidate);
  if (!parsed.success) {
    wipe(t.grantKey);
    const issue = parsed.error.issues[0];
    throw new KeyholeError(
      'INVALID_REQUEST',
      `Invalid grant: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`.trim(),
    );
  }
  const policy = parsed.data;
  try {
    const sealed = sealGrant(t, store.vaultKey(vaultId), entry.itemKey, policy);
    await relay.request('POST', '/v1/grants', z.object({ id: z.string() }), {
      id: t.grantId,
      vaultId,
      itemId: entry.itemId,
      lookup: t.lookup,
      ...sealed,
      corsOrigins: policy.origins,
    });
  } finally {
    wipe(t.grantKey);
  }
  return { id: t.grantId, token: t.token, policy };
}

export interface GrantListing extends GrantSummary {
  /** null when this account cannot open the owner copy (another key generation) */
  policy: GrantPolicy | null;
}

export async function listGrants(relay: RelayClient, store: VaultStore): Promise<GrantListing[]> {
  const { grants } = await relay.request('GET', '/v1/grants', ListGrantsResponse);
  return grants.map((g) => {
    let policy: GrantPolicy | null = null;
    try {
      policy = openGrantInfo(store.vaultKey(g.vaultId), g.vaultId, g.id, g.info);
    } catch {
      policy = null;
    }
    return { ...g, policy };
  });
}

export async function revokeGrant(relay: RelayClient, grantId: string): Promise<void> {
  if (!/^[A-Za-z0-9_-]{22}$/.test(grantId)) {
    throw new KeyholeError('INVALID_REQUEST', 'A grant id is 22 characters of base64url.');
  }
  await relay.request('DELETE', `/v1/grants/${grantId}`, z.object({ revoked: z.boolean() }));
}

/** `30s`, `15m`, `12h`, `7d` → milliseconds (docs/cli.md, `keyhole grant create`: `--expires D`). */
export function parseDuration(text: string): number {
  const ms = durationMs(text);
  if (ms === null)
    throw new KeyholeError('INVALID_REQUEST', 'A duration is N followed by s, m, h or d (not 0).');
  return ms;
}
