// Vault storage and sync: list vaults, pull changes, push a batch (docs/protocol.md, "Vaults").
import { z } from 'zod';
import { B64url, Id, Revision } from './common.js';

export const VaultKind = z.enum(['personal', 'team']);
export const Role = z.enum(['owner', 'admin', 'member', 'user']);

export const VaultSummary = z.object({
  id: Id,
  kind: VaultKind,
  /** team name (plaintext: it is not a secret); null for a personal vault */
  name: z.string().nullable(),
  role: Role,
  /** personal: vault key wrapped by the account key; team: vault key sealed to this member */
  wrappedKey: B64url,
  /** bumped on every key rotation (member removal) */
  keyGeneration: z.number().int().min(0),
  revision: Revision,
});
export const ListVaultsResponse = z.object({ vaults: z.array(VaultSummary) });

/** One item as the relay stores it: opaque to the relay. */
export const ItemRecord = z.object({
  id: Id,
  revision: Revision,
  deleted: z.boolean(),
  /** item key wrapped by the vault key (purpose item-key); empty when deleted */
  wrappedKey: B64url,
  /** the secret, encrypted with the item key (purpose item); empty when deleted */
  data: B64url,
  keyGeneration: z.number().int().min(0),
  updatedAt: z.number().int(),
});

/**
 * A signed object as stored and served: the exact JSON text that was signed and its Ed25519
 * signature (docs/vault-format.md §11). The relay reads `seq` from the body; clients verify.
 */
export const SignedObject = z.object({
  body: z.string().min(1).max(4_000_000),
  signature: B64url.min(1).max(100),
});

export const PullQuery = z.object({
  since: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(1000).default(500),
});
export const PullResponse = z.object({
  items: z.array(ItemRecord),
  /** the vault's revision when this page was read */
  revision: Revision,
  /** more changes after the last item of this page: pull again with since = its revision */
  hasMore: z.boolean(),
  /** the vault's signed manifest as of `revision` (null: never signed; absent: older relay) */
  manifest: SignedObject.nullable().optional(),
});

export const ItemWrite = z.object({
  id: Id,
  /** the revision this write was based on; 0 for a new item */
  baseRevision: Revision,
  deleted: z.boolean().default(false),
  wrappedKey: B64url,
  data: B64url,
  keyGeneration: z.number().int().min(0),
});
export const PushRequest = z
  .object({
    writes: z.array(ItemWrite).max(500),
    /** the vault's new signed state; its seq must be the stored one + 1 (else 409) */
    manifest: SignedObject.optional(),
  })
  .refine((r) => r.writes.length > 0 || r.manifest !== undefined, {
    message: 'a push needs at least one write or a manifest',
    path: ['writes'],
  });
export const PushResponse = z.object({
  revision: Revision,
  items: z.array(z.object({ id: Id, revision: Revision })),
});
/** 409 CONFLICT details: the current version of every item whose base was stale. */
export const ConflictDetails = z.object({ current: z.array(ItemRecord) });

export type VaultSummary = z.infer<typeof VaultSummary>;
export type ItemRecord = z.infer<typeof ItemRecord>;
export type PullResponse = z.infer<typeof PullResponse>;
export type ItemWrite = z.infer<typeof ItemWrite>;
export type PushRequest = z.infer<typeof PushRequest>;
export type PushResponse = z.infer<typeof PushResponse>;
export type Role = z.infer<typeof Role>;
export type SignedObject = z.infer<typeof SignedObject>;
