// Team vaults: create, look up a public key, add/list/remove members (with key rotation), audit
// (docs/teams.md). Role and VaultSummary come from vault.ts.
import { z } from 'zod';
import { B64url, Email, Id, Key32, Revision } from './common.js';
import { Role, SignedObject } from './vault.js';

/** Team names are plaintext labels (not secrets); the CLI's `--vault V` resolves them client-side. */
export const TeamName = z
  .string()
  .trim()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9 _.-]{0,63}$/,
    'letters, digits, space, _ . - (at most 64), starting with a letter or digit',
  );

/** POST /v1/teams: the client made the vault id and key, and sealed the key to itself (generation 0). */
export const CreateTeamRequest = z.object({
  vaultId: Id,
  name: TeamName,
  /** the vault key sealed to the creator's public key, bound to (vaultId, keyGeneration 0) */
  wrappedKey: B64url.min(1),
  /** the team's first membership statement (action create, seq 0), signed by the creator */
  statement: SignedObject.optional(),
});
export const CreateTeamResponse = z.object({
  vaultId: Id,
  name: z.string(),
  role: Role,
  keyGeneration: z.number().int().min(0),
});

/** GET /v1/keys/:email (signed-in accounts only; see docs/teams.md on enumeration). */
export const PublicKeyResponse = z.object({
  accountId: Id,
  email: Email,
  publicKey: Key32,
  /** Ed25519 key (null: an account not migrated yet); part of the identity fingerprint */
  signPublicKey: Key32.nullable().optional(),
});

/** One active member as GET /v1/teams/:vaultId/members lists it. */
export const TeamMember = z.object({
  accountId: Id,
  email: z.string(),
  role: Role,
  /** X25519 public key: clients show fingerprint(publicKey) and seal rotated keys to it */
  publicKey: Key32,
  /** the key generation this member's wrapped key was sealed for */
  keyGeneration: z.number().int().min(0),
  addedAt: z.number().int(),
  signPublicKey: Key32.nullable().optional(),
});
export const ListMembersResponse = z.object({
  vaultId: Id,
  name: z.string(),
  keyGeneration: z.number().int().min(0),
  members: z.array(TeamMember),
});

/** POST /v1/teams/:vaultId/members. Only owner/admin invite; only an owner grants admin/owner. */
export const AddMemberRequest = z.object({
  accountId: Id,
  role: Role,
  /** the current vault key sealed to the invitee, bound to (vaultId, keyGeneration) */
  wrappedKey: B64url.min(1),
  /** must equal the vault's current key generation, else 409 CONFLICT */
  keyGeneration: z.number().int().min(0),
  /** the signed `add` statement (required once the team has a statement chain) */
  statement: SignedObject.optional(),
});
export const AddMemberResponse = z.object({ member: TeamMember });

/** The new vault key sealed to one remaining member. */
export const MemberKey = z.object({ accountId: Id, wrappedKey: B64url.min(1) });
/** One live item's (unchanged) item key, re-wrapped by the new vault key. */
export const RewrappedItem = z.object({
  id: Id,
  /** the item's current revision; any other value makes the whole rotation 409 */
  baseRevision: Revision,
  wrappedKey: B64url.min(1),
});

/**
 * DELETE /v1/teams/:vaultId/members/:accountId (remove + rotate) and POST /v1/teams/:vaultId/rotate
 * (rotate only). Applied atomically: memberKeys must cover exactly the remaining members and items
 * exactly every live item at its current revision, or nothing changes (409 CONFLICT).
 */
export const RotateRequest = z.object({
  /** the vault's current key generation + 1 */
  keyGeneration: z.number().int().min(1),
  memberKeys: z.array(MemberKey).min(1).max(1000),
  items: z.array(RewrappedItem).max(100_000),
  /** removal: the signed `remove` statement (required once the team has a statement chain) */
  statement: SignedObject.optional(),
  /** the vault's next signed manifest, by the rotating owner/admin (required once it has one) */
  manifest: SignedObject.optional(),
});

/** GET /v1/teams/:vaultId/statements: the team's membership chain, oldest first. */
export const StatementsResponse = z.object({ vaultId: Id, statements: z.array(SignedObject) });
/** POST /v1/teams/:vaultId/statements: an owner signs an unchained team, or restates a member. */
export const AppendStatementsRequest = z.object({
  statements: z.array(SignedObject).min(1).max(1000),
});
export const RotateResponse = z.object({
  vaultId: Id,
  keyGeneration: z.number().int().min(1),
  revision: Revision,
  /** the removed account (absent for a plain rotation) */
  removedAccountId: Id.optional(),
  /**
   * Items the removed member could have opened: every item live at removal (the client decrypts
   * their names). Empty for a plain rotation.
   */
  exposedItemIds: z.array(Id),
  items: z.array(z.object({ id: Id, revision: Revision })),
});

/** What a rotation 409 says went stale; the client pulls again and retries. */
export const RotateConflictDetails = z.object({
  reason: z.enum(['key-generation', 'members', 'items']),
  keyGeneration: z.number().int().min(0),
  revision: Revision,
});

/** GET /v1/teams/:vaultId/audit?limit=&before= : admins/owners see all rows, others their own. */
export const AuditQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(200),
  /** page backwards: rows strictly older than this timestamp (ms) */
  before: z.coerce.number().int().min(0).optional(),
});
export const AuditRow = z.object({
  accountEmail: z.string().nullable(),
  secretName: z.string().nullable(),
  origin: z.string().nullable(),
  host: z.string().nullable(),
  method: z.string().nullable(),
  status: z.number().int().nullable(),
  errorCode: z.string().nullable(),
  at: z.number().int(),
});
export const AuditResponse = z.object({
  vaultId: Id,
  /** 'all' for owners/admins, 'own' for members/users */
  scope: z.enum(['all', 'own']),
  rows: z.array(AuditRow),
});

export type TeamName = z.infer<typeof TeamName>;
export type CreateTeamRequest = z.infer<typeof CreateTeamRequest>;
export type CreateTeamResponse = z.infer<typeof CreateTeamResponse>;
export type PublicKeyResponse = z.infer<typeof PublicKeyResponse>;
export type TeamMember = z.infer<typeof TeamMember>;
export type ListMembersResponse = z.infer<typeof ListMembersResponse>;
export type AddMemberRequest = z.infer<typeof AddMemberRequest>;
export type AddMemberResponse = z.infer<typeof AddMemberResponse>;
export type MemberKey = z.infer<typeof MemberKey>;
export type RewrappedItem = z.infer<typeof RewrappedItem>;
export type RotateRequest = z.infer<typeof RotateRequest>;
export type RotateResponse = z.infer<typeof RotateResponse>;
export type RotateConflictDetails = z.infer<typeof RotateConflictDetails>;
export type AuditQuery = z.infer<typeof AuditQuery>;
export type AuditRow = z.infer<typeof AuditRow>;
export type AuditResponse = z.infer<typeof AuditResponse>;
export type StatementsResponse = z.infer<typeof StatementsResponse>;
export type AppendStatementsRequest = z.infer<typeof AppendStatementsRequest>;
