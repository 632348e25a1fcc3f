// Team vaults on the client (docs/teams.md): create, look up and check a public key, invite, list
// members, remove a member with a full key rotation, read the audit log. Every key is made,
// sealed and re-wrapped here; the relay only ever sees sealed keys and wrapped item keys.
import {
  decryptItemData,
  fromBase64url,
  identityFingerprint,
  newId,
  randomBytes,
  sealEnvelope,
  sealVaultKeyTo,
  signStatement,
  toBase64url,
  unwrapItemKey,
  wipe,
  type SignedStatement,
  type StatementInput,
  type VerifiedChain,
} from '../crypto/index.js';
import { z } from 'zod';
import { KeyholeError } from '../errors.js';
import { statementHash as statementHashOf } from '../crypto/index.js';
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
import { pullAll, pullStatements } from './sync.js';
import { fail } from './verify.js';
import { labelOf, type VaultStore, type VaultView } from './vault-store.js';

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
const OkResponse = z.object({ ok: z.literal(true) });

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
    const statement = selfStatement(store, vaultId, 0, '', 'create', 'owner');
    const res = await relay.request('POST', '/v1/teams', CreateTeamResponse, {
      vaultId,
      name: parsed.data,
      wrappedKey,
      ...(statement ? { statement } : {}),
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

/**
 * GET /v1/keys/:email, with the fingerprint computed here (never trusted from the relay). It
 * covers the X25519 and the Ed25519 key (identityFingerprint), so the comparison out of band
 * vouches for both.
 */
export async function lookupPublicKey(relay: RelayClient, email: string): Promise<PublicKeyInfo> {
  const res = await relay.request(
    'GET',
    `/v1/keys/${enc(normaliseEmail(email))}`,
    PublicKeyResponse,
  );
  return { ...res, fingerprint: memberFingerprint(res.publicKey, res.signPublicKey) };
}

export function memberFingerprint(publicKey: string, signPublicKey?: string | null): string {
  return identityFingerprint(
    fromBase64url(publicKey),
    signPublicKey ? fromBase64url(signPublicKey) : null,
  );
}

/** This account's own identity fingerprint (what `keyhole team fingerprint` prints). */
export function ownFingerprint(store: VaultStore): string {
  const { keyPair, signKeys } = store.account;
  return identityFingerprint(keyPair.publicKey, signKeys?.publicKey ?? null);
}

/** A statement about this account itself (team creation, or an owner chaining an old team). */
function selfStatement(
  store: VaultStore,
  vaultId: string,
  seq: number,
  prev: string,
  action: 'create' | 'add',
  role: Role,
): SignedStatement | undefined {
  const keys = store.account.signKeys;
  if (!keys) return undefined;
  return signStatement(keys, {
    vaultId,
    seq,
    prev,
    action,
    subject: store.account.accountId,
    role,
    boxKey: toBase64url(store.account.keyPair.publicKey),
    signKey: toBase64url(keys.publicKey),
    by: store.account.accountId,
    at: Date.now(),
  });
}

/** Signs the next statement of a verified chain (this account must be an owner or admin in it). */
function nextStatement(
  store: VaultStore,
  chain: VerifiedChain,
  input: Omit<StatementInput, 'vaultId' | 'seq' | 'prev' | 'by' | 'at'>,
): SignedStatement {
  const keys = store.account.signKeys;
  if (!keys) throw new KeyholeError('INTERNAL', 'This account has no signing key yet.');
  return signStatement(keys, {
    ...input,
    vaultId: chain.vaultId,
    seq: chain.head.seq + 1,
    prev: chain.head.hash,
    by: store.account.accountId,
    at: Date.now(),
  });
}

/**
 * The team's verified chain, after chaining a team made before signed membership when this
 * account is its owner (its members as the relay lists them now are taken once: TOFU, documented
 * in docs/teams.md). null: an old team only an owner can chain; it keeps working unsigned.
 */
export async function ensureTeamChain(
  relay: RelayClient,
  store: VaultStore,
  team: VaultView,
): Promise<VerifiedChain | null> {
  const chain = store.teamChain(team.id);
  if (chain || team.role !== 'owner' || !store.account.signKeys) return chain;
  const res = await relay.request('GET', `/v1/teams/${enc(team.id)}/members`, ListMembersResponse);
  const keys = store.account.signKeys;
  const me = store.account.accountId;
  const genesis = selfStatement(store, team.id, 0, '', 'create', 'owner')!;
  const statements: SignedStatement[] = [genesis];
  let prev = genesis;
  for (const m of res.members) {
    if (m.accountId === me) continue;
    const s = signStatement(keys, {
      vaultId: team.id,
      seq: statements.length,
      prev: statementHashOf(prev),
      action: 'add',
      subject: m.accountId,
      role: m.role,
      boxKey: m.publicKey,
      signKey: m.signPublicKey ?? null,
      by: me,
      at: Date.now(),
    });
    statements.push(s);
    prev = s;
  }
  try {
    await relay.request('POST', `/v1/teams/${enc(team.id)}/statements`, OkResponse, {
      statements,
    });
  } catch (err) {
    if (!isConflict(err)) throw err; // another owner chained it first
  }
  await pullStatements(relay, store, team.id);
  return store.teamChain(team.id);
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
  // The chain is verified before any key is sealed to anyone.
  let chain = await ensureTeamChain(relay, store, team);
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
  const role = options.role ?? 'member';
  for (let attempt = 1; ; attempt++) {
    const vault = store.cachedVault(team.id).summary;
    const statement = chain
      ? nextStatement(store, chain, {
          action: 'add',
          subject: key.accountId,
          role,
          boxKey: key.publicKey,
          signKey: key.signPublicKey ?? null,
        })
      : undefined;
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
          role,
          wrappedKey,
          keyGeneration: vault.keyGeneration,
          ...(statement ? { statement } : {}),
        },
      );
      await pullStatements(relay, store, team.id);
      return { member, fingerprint: key.fingerprint };
    } catch (err) {
      const reason = conflictReason(err);
      if ((reason !== 'key-generation' && reason !== 'members') || attempt >= MAX_ATTEMPTS)
        throw err;
      await pullAll(relay, store); // someone rotated or changed members: seal and sign anew
      chain = store.teamChain(team.id);
    }
  }
}

export interface MemberInfo extends TeamMember {
  fingerprint: string;
}

export interface MemberList {
  team: VaultView;
  keyGeneration: number;
  /** members as the team's signed chain has them (keys from the chain, not from the relay) */
  members: MemberInfo[];
  /** rows the relay lists that no owner or admin signed: ignored, reported */
  unverified: TeamMember[];
  /** false for a team made before signed membership (the relay's list, taken on trust) */
  signed: boolean;
}

/**
 * The team's members, verified: with a chain, only members it holds are shown, with the keys it
 * holds; a row the relay inserted is listed in `unverified` and used for nothing.
 */
export async function listMembers(
  relay: RelayClient,
  store: VaultStore,
  teamRef: string,
): Promise<MemberList> {
  const team = await findTeam(relay, store, teamRef);
  await pullStatements(relay, store, team.id);
  const chain = store.teamChain(team.id);
  const res = await relay.request('GET', `/v1/teams/${enc(team.id)}/members`, ListMembersResponse);
  if (!chain) {
    return {
      team,
      keyGeneration: res.keyGeneration,
      members: res.members.map((m) => ({
        ...m,
        fingerprint: memberFingerprint(m.publicKey, m.signPublicKey),
      })),
      unverified: [],
      signed: false,
    };
  }
  const members: MemberInfo[] = [];
  const unverified: TeamMember[] = [];
  for (const m of res.members) {
    const signed = chain.members.get(m.accountId);
    if (!signed) {
      unverified.push(m);
      continue;
    }
    members.push({
      ...m,
      role: signed.role,
      publicKey: signed.boxKey,
      signPublicKey: signed.signKey,
      fingerprint: memberFingerprint(signed.boxKey, signed.signKey),
    });
  }
  return { team, keyGeneration: res.keyGeneration, members, unverified, signed: true };
}

/** The refusal for rows the relay lists that the chain does not hold. */
export function forgedMembers(team: VaultView, unverified: TeamMember[]): KeyholeError {
  return fail(
    labelOf(team),
    `the relay lists ${unverified.map((m) => m.email).join(', ')} as member(s), but no owner or admin signed that; nothing was sealed to them`,
  );
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
    await ensureTeamChain(relay, store, team);
    const { members, unverified } = await listMembers(relay, store, team.id);
    // Never seal a key to a member the chain does not hold (the relay requires every row it lists).
    if (unverified.length > 0) throw forgedMembers(team, unverified);
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
    const chain = store.teamChain(team.id);
    const manifest = store.nextManifest(team.id, []);
    if (manifest) plan.request.manifest = manifest;
    if (target && chain) {
      plan.request.statement = nextStatement(store, chain, {
        action: 'remove',
        subject: target.accountId,
        role: null,
        boxKey: null,
        signKey: null,
      });
    }
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
