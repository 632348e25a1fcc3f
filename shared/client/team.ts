// Team vaults on the client (docs/teams.md): create, look up and check a public key, invite, list
// members, remove a member with a full key rotation, read the audit log. Every key is made,
// sealed and re-wrapped here; the relay only ever sees sealed keys and wrapped item keys.
import {
  decryptItemData,
  fingerprint,
  fromBase64url,
  newId,
  randomBytes,
  sealEnvelope,
  sealVaultKeyTo,
  unwrapItemKey,
  wipe,
} from '../crypto/index.js';
import { KeyholeError } from '../errors.js';
import {
  AddMemberResponse,
  AuditResponse,
  CreateTeamResponse,
  ListMembersResponse,
  PublicKeyResponse,
  RotateResponse,
  TeamName,
  type RotateRequest,
  type TeamMember,
} from '../protocol/team.js';
import type { Role } from '../protocol/vault.js';
import { normaliseEmail } from './account.js';
import type { RelayClient } from './relay-client.js';
import { pullAll } from './sync.js';
import type { VaultStore, VaultView } from './vault-store.js';

/** Said wherever a `user` meets a secret: the limit is the client's, not the cryptography's. */
export const USER_ROLE_NOTICE =
  'Role "user" may use secrets but not see or change them. The relay refuses their writes; hiding ' +
  'values is a policy of the Keyhole clients, not cryptography (a user holds the team key).';

/** Whether a client shows secret values to this role (client policy; see USER_ROLE_NOTICE). */
export function mayReveal(role: Role): boolean {
  return role !== 'user';
}
/** Whether the relay accepts this role's writes. */
export function mayWrite(role: Role): boolean {
  return role !== 'user';
}
export function mayManage(role: Role): boolean {
  return role === 'owner' || role === 'admin';
}

const MAX_ATTEMPTS = 5;

const enc = encodeURIComponent;

function isConflict(err: unknown): boolean {
  return err instanceof KeyholeError && err.code === 'CONFLICT';
}

/** The `reason` of a team 409 (RotateConflictDetails), if it is one. */
function conflictReason(err: unknown): string | undefined {
  if (!isConflict(err)) return undefined;
  const details = (err as KeyholeError).details;
  return typeof details === 'object' && details !== null
    ? (details as { reason?: string }).reason
    : undefined;
}

/** resolveTeam, pulling the vault list first when the team is not known here yet. */
async function findTeam(relay: RelayClient, store: VaultStore, ref: string): Promise<VaultView> {
  try {
    return resolveTeam(store, ref);
  } catch (err) {
    if (!(err instanceof KeyholeError) || err.code !== 'NOT_FOUND') throw err;
    await pullAll(relay, store);
    return resolveTeam(store, ref);
  }
}

/** A team among the caller's vaults, by name or id (NOT_FOUND otherwise; a personal vault is not a team). */
export function resolveTeam(store: VaultStore, ref: string): VaultView {
  const wanted = ref.trim();
  const teams = store.vaults().filter((v) => v.kind === 'team');
  const byId = teams.find((v) => v.id === wanted);
  if (byId) return byId;
  const named = teams.filter(
    (v) => v.name !== null && v.name.toLowerCase() === wanted.toLowerCase(),
  );
  if (named.length > 1) {
    throw new KeyholeError(
      'INVALID_REQUEST',
      `You are in several teams named ${JSON.stringify(wanted)}: use the vault id.`,
    );
  }
  const found = named[0];
  if (!found)
    throw new KeyholeError('NOT_FOUND', `You are not in a team named ${JSON.stringify(wanted)}.`);
  return found;
}

/** Creates a team vault: a fresh vault id and key, sealed to our own public key at generation 0. */
export async function createTeam(
  relay: RelayClient,
  store: VaultStore,
  name: string,
): Promise<CreateTeamResponse> {
  const parsed = TeamName.safeParse(name);
  if (!parsed.success)
    throw new KeyholeError(
      'INVALID_REQUEST',
      `Team name: ${parsed.error.issues[0]?.message ?? 'invalid'}.`,
    );
  await pullAll(relay, store);
  if (
    store
      .vaults()
      .some((v) => v.kind === 'team' && v.name?.toLowerCase() === parsed.data.toLowerCase())
  ) {
    throw new KeyholeError(
      'INVALID_REQUEST',
      `You are already in a team named ${JSON.stringify(parsed.data)}.`,
    );
  }
  const vaultId = newId();
  const vaultKey = randomBytes(32);
  try {
    const wrappedKey = sealVaultKeyTo(store.account.keyPair.publicKey, vaultKey, vaultId, 0);
    const res = await relay.request('POST', '/v1/teams', CreateTeamResponse, {
      vaultId,
      name: parsed.data,
      wrappedKey,
    });
    await pullAll(relay, store);
    return res;
  } finally {
    wipe(vaultKey);
  }
}

export interface PublicKeyInfo extends PublicKeyResponse {
  /** fingerprint(publicKey), to compare out of band */
  fingerprint: string;
}

/** GET /v1/keys/:email, with the fingerprint computed here (never trusted from the relay). */
export async function lookupPublicKey(relay: RelayClient, email: string): Promise<PublicKeyInfo> {
  const res = await relay.request(
    'GET',
    `/v1/keys/${enc(normaliseEmail(email))}`,
    PublicKeyResponse,
  );
  return { ...res, fingerprint: fingerprint(fromBase64url(res.publicKey)) };
}

/** "3f9a 77c1-0b2e…" → "3F9A-77C1-0B2E-…": people type fingerprints in many ways. */
export function normaliseFingerprint(text: string): string {
  const hex = text.replace(/[^0-9a-f]/gi, '').toUpperCase();
  return (hex.match(/.{1,4}/g) ?? []).join('-');
}

export interface InviteOptions {
  role?: Role;
  /** when given, a different fingerprint stops the invitation before anything is sent */
  expectFingerprint?: string;
  /** called with the looked-up key before anything is sent (show the fingerprint; throw to stop) */
  onKey?: (key: PublicKeyInfo) => void | Promise<void>;
}

export interface InviteResult {
  member: TeamMember;
  fingerprint: string;
}

/**
 * Invites an account: look its public key up, check the fingerprint if one was given
 * (FINGERPRINT_MISMATCH: nothing sent), seal the current vault key to it and add the member.
 */
export async function inviteMember(
  relay: RelayClient,
  store: VaultStore,
  teamRef: string,
  email: string,
  options: InviteOptions = {},
): Promise<InviteResult> {
  await pullAll(relay, store);
  const team = resolveTeam(store, teamRef);
  if (!mayManage(team.role)) {
    throw new KeyholeError(
      'FORBIDDEN',
      `Only an owner or an admin of ${team.name ?? team.id} may invite (you are ${team.role}).`,
    );
  }
  const key = await lookupPublicKey(relay, email);
  await options.onKey?.(key);
  if (
    options.expectFingerprint !== undefined &&
    normaliseFingerprint(options.expectFingerprint) !== key.fingerprint
  ) {
    throw new KeyholeError(
      'FINGERPRINT_MISMATCH',
      `The relay's key for ${key.email} has fingerprint ${key.fingerprint}, not the one you expected. Nothing was sent.`,
    );
  }
  const publicKey = fromBase64url(key.publicKey);
  for (let attempt = 1; ; attempt++) {
    const vault = store.cachedVault(team.id).summary;
    const wrappedKey = sealVaultKeyTo(
      publicKey,
      store.vaultKey(team.id),
      team.id,
      vault.keyGeneration,
    );
    try {
      const { member } = await relay.request(
        'POST',
        `/v1/teams/${enc(team.id)}/members`,
        AddMemberResponse,
        {
          accountId: key.accountId,
          role: options.role ?? 'member',
          wrappedKey,
          keyGeneration: vault.keyGeneration,
        },
      );
      return { member, fingerprint: key.fingerprint };
    } catch (err) {
      if (conflictReason(err) !== 'key-generation' || attempt >= MAX_ATTEMPTS) throw err;
      await pullAll(relay, store); // someone rotated: seal the new key instead
    }
  }
}

export interface MemberInfo extends TeamMember {
  fingerprint: string;
}

export async function listMembers(
  relay: RelayClient,
  store: VaultStore,
  teamRef: string,
): Promise<{ team: VaultView; keyGeneration: number; members: MemberInfo[] }> {
  const team = await findTeam(relay, store, teamRef);
  const res = await relay.request('GET', `/v1/teams/${enc(team.id)}/members`, ListMembersResponse);
  return {
    team,
    keyGeneration: res.keyGeneration,
    members: res.members.map((m) => ({
      ...m,
      fingerprint: fingerprint(fromBase64url(m.publicKey)),
    })),
  };
}

export interface RotationPlan {
  request: RotateRequest;
  /** item id → secret name, for every live item (to name what a removed member could have seen) */
  names: Map<string, string>;
  sealedTo: MemberInfo[];
}

/**
 * Builds a rotation from the store's (freshly pulled) copy of the vault: a new vault key, every
 * live item's unchanged item key re-wrapped under it (vault-format.md: purpose item-key), and the
 * new key sealed to each remaining member at generation + 1.
 */
export function planRotation(
  store: VaultStore,
  vaultId: string,
  members: MemberInfo[],
  removeAccountId?: string,
): RotationPlan {
  const { summary, items } = store.cachedVault(vaultId);
  const oldKey = store.vaultKey(vaultId);
  const keyGeneration = summary.keyGeneration + 1;
  const newKey = randomBytes(32);
  try {
    const names = new Map<string, string>();
    const rewrapped: RotateRequest['items'] = [];
    for (const record of Object.values(items)) {
      if (record.deleted) continue;
      let itemKey: Uint8Array;
      try {
        itemKey = unwrapItemKey(oldKey, vaultId, record.id, record.wrappedKey);
      } catch {
        throw new KeyholeError(
          'DECRYPTION_FAILED',
          `Item ${record.id} cannot be opened with the current team key; rotation stopped.`,
        );
      }
      try {
        names.set(record.id, decryptItemData(itemKey, vaultId, record.id, record.data).name);
      } catch {
        names.set(record.id, `(unreadable item ${record.id})`);
      }
      const wrappedKey = sealEnvelope(newKey, itemKey, {
        purpose: 'item-key',
        ownerId: vaultId,
        itemId: record.id,
      });
      wipe(itemKey);
      rewrapped.push({ id: record.id, baseRevision: record.revision, wrappedKey });
    }
    const sealedTo = members.filter((m) => m.accountId !== removeAccountId);
    const memberKeys = sealedTo.map((m) => ({
      accountId: m.accountId,
      wrappedKey: sealVaultKeyTo(fromBase64url(m.publicKey), newKey, vaultId, keyGeneration),
    }));
    return { request: { keyGeneration, memberKeys, items: rewrapped }, names, sealedTo };
  } finally {
    wipe(newKey);
  }
}

export interface RotationResult {
  team: VaultView;
  removed?: { accountId: string; email: string };
  fromGeneration: number;
  toGeneration: number;
  /** names of the secrets the removed member could have seen: rotate these at the provider */
  exposedSecrets: string[];
  /** the members the new key was sealed to (with fingerprints, to check against another device) */
  sealedTo: MemberInfo[];
  attempts: number;
}

export interface RotateOptions {
  /** test hook: runs after the plan is made, before it is sent */
  beforeSend?: (plan: RotationPlan) => Promise<void>;
}

/**
 * Removes a member (or, without `email`, just rotates): pull, plan, send in one request; on 409
 * (someone wrote, rotated or joined meanwhile) pull again and retry.
 */
export async function rotateTeam(
  relay: RelayClient,
  store: VaultStore,
  teamRef: string,
  email?: string,
  options: RotateOptions = {},
): Promise<RotationResult> {
  for (let attempt = 1; ; attempt++) {
    await pullAll(relay, store);
    const team = resolveTeam(store, teamRef);
    if (!mayManage(team.role)) {
      throw new KeyholeError(
        'FORBIDDEN',
        `Only an owner or an admin of ${team.name ?? team.id} may do that (you are ${team.role}).`,
      );
    }
    const { members } = await listMembers(relay, store, team.id);
    let target: MemberInfo | undefined;
    if (email !== undefined) {
      const wanted = normaliseEmail(email);
      target = members.find((m) => m.email === wanted);
      if (!target)
        throw new KeyholeError(
          'NOT_FOUND',
          `${wanted} is not a member of ${team.name ?? team.id}.`,
        );
    }
    const fromGeneration = store.cachedVault(team.id).summary.keyGeneration;
    const plan = planRotation(store, team.id, members, target?.accountId);
    if (options.beforeSend) await options.beforeSend(plan);
    const path = target
      ? `/v1/teams/${enc(team.id)}/members/${enc(target.accountId)}`
      : `/v1/teams/${enc(team.id)}/rotate`;
    let res;
    try {
      res = await relay.request(target ? 'DELETE' : 'POST', path, RotateResponse, plan.request);
    } catch (err) {
      if (!isConflict(err) || attempt >= MAX_ATTEMPTS) throw err;
      continue;
    }
    await pullAll(relay, store);
    const exposedSecrets = res.exposedItemIds
      .map((id) => plan.names.get(id) ?? `(item ${id})`)
      .sort();
    return {
      team,
      ...(target ? { removed: { accountId: target.accountId, email: target.email } } : {}),
      fromGeneration,
      toGeneration: res.keyGeneration,
      exposedSecrets,
      sealedTo: plan.sealedTo,
      attempts: attempt,
    };
  }
}

export function removeMember(
  relay: RelayClient,
  store: VaultStore,
  teamRef: string,
  email: string,
  options: RotateOptions = {},
): Promise<RotationResult> {
  return rotateTeam(relay, store, teamRef, email, options);
}

export async function readAudit(
  relay: RelayClient,
  store: VaultStore,
  teamRef: string,
  query: { limit?: number; before?: number } = {},
): Promise<AuditResponse & { team: VaultView }> {
  const team = await findTeam(relay, store, teamRef);
  const params = new URLSearchParams();
  if (query.limit !== undefined) params.set('limit', String(query.limit));
  if (query.before !== undefined) params.set('before', String(query.before));
  const qs = params.size > 0 ? `?${params.toString()}` : '';
  const res = await relay.request('GET', `/v1/teams/${enc(team.id)}/audit${qs}`, AuditResponse);
  return { ...res, team };
}
