// Grants: a site's own secret usable by every visitor of its origins (docs/protocol.md,
// "Grants"; docs/threat-model.md, "Grants"; the sealed formats in docs/vault-format.md §11).
import { z } from 'zod';
import { B64url, Id } from './common.js';
import { HttpMethod, RequestTemplate } from './forward.js';
import {
  GRANT_DEFAULT_MAX_BODY,
  GRANT_MAX_BODY_LIMIT,
  GRANT_MAX_ORIGINS,
  GRANT_MAX_PATHS,
  GRANT_MAX_QUOTA,
  GRANT_MAX_RATE,
  GRANT_MAX_TEXT,
  isPathPrefix,
  isWebOrigin,
} from '../policy/grant-input.js';
import { SecretName } from './secret.js';

export const GRANT_TOKEN_PREFIX = 'khg_';
export { GRANT_DEFAULT_MAX_BODY, GRANT_MAX_ORIGINS };

/** An exact web origin: scheme://host[:port], as `URL.origin` writes it (no path, no slash). */
export const WebOrigin = z
  .string()
  .max(300)
  .refine(
    isWebOrigin,
    'must be an exact origin such as https://app.example (no path, no trailing slash)',
  );

/** A url path prefix: starts with '/', no dot segments, no query, fragment or backslash. */
export const PathPrefix = z
  .string()
  .min(1)
  .max(512)
  .regex(/^\/[^?#\\\s]*$/, 'must start with / and have no query, fragment, space or backslash')
  .refine(isPathPrefix, 'no dot segments');

export const LockedGrant = z.object({
  /** the site's identity provider's JWKS (https; http only for a KEYHOLE_ALLOW_PRIVATE host) */
  jwksUrl: z.url().max(2048),
  issuer: z.string().min(1).max(GRANT_MAX_TEXT),
  audience: z.string().min(1).max(GRANT_MAX_TEXT),
});

/**
 * What a grant allows. Sealed under the grant key (AD: grant id) for the relay, and under the
 * vault key for the owner's `grant list`: neither copy can be widened without the key.
 */
export const GrantPolicy = z.object({
  v: z.literal(1),
  grantId: Id,
  vaultId: Id,
  itemId: Id,
  /** the secret's name when the grant was made (for people; the item is what counts) */
  secretName: SecretName,
  origins: z.array(WebOrigin).min(1).max(GRANT_MAX_ORIGINS),
  /** empty: every method the forward endpoint accepts */
  methods: z.array(HttpMethod).max(6),
  /** empty: any path inside the secret's allowed hosts */
  paths: z.array(PathPrefix).max(GRANT_MAX_PATHS),
  /** requests per minute per visitor (client IP, or `sub` of a locked grant) */
  ratePerMinute: z.number().int().min(1).max(GRANT_MAX_RATE).nullable(),
  /** requests per UTC day for the whole grant, across every relay on the database */
  quotaPerDay: z.number().int().min(1).max(GRANT_MAX_QUOTA).nullable(),
  /** ms since the epoch; null: until revoked */
  expiresAt: z.number().int().nullable(),
  maxBodyBytes: z.number().int().min(1).max(GRANT_MAX_BODY_LIMIT),
  locked: LockedGrant.nullable(),
  createdAt: z.number().int(),
});
export type GrantPolicy = z.infer<typeof GrantPolicy>;
export type LockedGrant = z.infer<typeof LockedGrant>;

/** POST /v1/grants: everything sealed by the client; the relay cannot open any of it. */
export const CreateGrantRequest = z.object({
  id: Id,
  vaultId: Id,
  itemId: Id,
  /** hex of the lookup hash of the token (§11.2) */
  lookup: z.string().regex(/^[0-9a-f]{64}$/),
  /** envelope[grant-item-key, grantId, itemId](grant key, item key) */
  wrappedItemKey: B64url.max(200),
  /** envelope[grant-policy, grantId, ""](grant key, policy JSON) */
  policy: B64url.max(40_000),
  /** envelope[grant-info, vaultId, grantId](vault key, policy JSON): for the owner's list */
  info: B64url.max(40_000),
  /** the origins again, in the clear: only to answer CORS preflights (never authoritative) */
  corsOrigins: z.array(WebOrigin).min(1).max(GRANT_MAX_ORIGINS),
});
export type CreateGrantRequest = z.infer<typeof CreateGrantRequest>;

export const GrantState = z.enum(['live', 'revoked', 'secret-deleted', 'member-removed']);

export const GrantSummary = z.object({
  id: Id,
  vaultId: Id,
  itemId: Id,
  accountId: z.string(),
  info: B64url,
  state: GrantState,
  createdAt: z.number().int(),
  revokedAt: z.number().int().nullable(),
  /** grant forwards audited so far (every outcome) */
  uses: z.number().int().min(0),
});
export const ListGrantsResponse = z.object({ grants: z.array(GrantSummary) });
export type GrantSummary = z.infer<typeof GrantSummary>;

/** POST /v1/grants/:id/forward, Authorization: Bearer khg_… */
export const GrantForwardRequest = z.object({
  /** the name the page uses for the secret in `$(secret:NAME)` (default: the policy's) */
  name: SecretName.optional(),
  request: RequestTemplate,
  /** locked grants: the visitor's ID token (a JWT from the site's identity provider) */
  idToken: z.string().max(16_384).optional(),
});
export type GrantForwardRequest = z.infer<typeof GrantForwardRequest>;
