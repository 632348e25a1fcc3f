// Popup ⇄ background messages for grants (docs/extension.md "Grants"). Served by
// background/grant-handlers.ts; the policy is read from the owner copy sealed under the vault key.
import type { GrantInput } from '../../shared/policy/grant-input.js';

export const GRANT_UI_KINDS = [
  'grant-list',
  'grant-create',
  'grant-revoke',
  'grant-counts',
] as const;
export type GrantUiKind = (typeof GRANT_UI_KINDS)[number];

export interface GrantView {
  id: string;
  vaultId: string;
  itemId: string;
  /** false: this account cannot open the policy (sealed under another key generation) */
  readable: boolean;
  origins: string[];
  /** empty: any method */
  methods: string[];
  /** empty: any path inside the secret's allowed hosts */
  paths: string[];
  ratePerMinute: number | null;
  quotaPerDay: number | null;
  /** ms since the epoch; null: until revoked */
  expiresAt: number | null;
  maxBodyBytes: number | null;
  /** a locked grant: only visitors with a valid ID token from this identity provider */
  locked: { jwksUrl: string; issuer: string; audience: string } | null;
  /** live | expired | revoked | secret-deleted | member-removed */
  state: string;
  uses: number;
  createdAt: number;
  revokedAt: number | null;
  /** this account may revoke it (its creator, or an owner/admin of the vault) */
  mayRevoke: boolean;
}

export interface GrantUiProtocol {
  'grant-list': { args: { vaultId: string; itemId: string }; result: GrantView[] };
  'grant-create': {
    args: { vaultId: string; itemId: string; input: GrantInput };
    /** `token` is shown once and kept nowhere: not in the background, not in storage */
    result: { grant: GrantView; token: string };
  };
  'grant-revoke': { args: { id: string }; result: { id: string } };
  /** live grants per secret (`vaultId/itemId` → count), for the secret list: which are published */
  'grant-counts': { args: object; result: Record<string, number> };
}

export type GrantUiRequest = {
  [K in GrantUiKind]: { ui: K } & GrantUiProtocol[K]['args'];
}[GrantUiKind];
