// Table types for Kysely (snake_case, as stored). Times are integer milliseconds since the epoch;
// booleans are 0/1 integers so one query layer serves SQLite and PostgreSQL.
// Other modules may add tables with module augmentation:
//   declare module '../db/schema.js' { interface Database { forward_requests: ForwardRequestsTable } }
import type { Role } from '../../shared/protocol/vault.js';

export interface AccountsTable {
  id: string;
  /** lower-cased, trimmed */
  email: string;
  /** argon2id PHC string of the client's auth key */
  auth_hash: string;
  /** JSON text of KdfParams */
  kdf: string;
  wrapped_account_key: string;
  public_key: string;
  wrapped_private_key: string;
  /** Ed25519 public key and its wrapped seed (null: made before signing keys, not yet migrated) */
  sign_public_key: string | null;
  wrapped_sign_key: string | null;
  created_at: number;
}

export interface SessionsTable {
  /** SHA-256 hex of the bearer token; the token itself is never stored */
  token_hash: string;
  account_id: string;
  created_at: number;
  expires_at: number;
  revoked_at: number | null;
}

export interface VaultsTable {
  id: string;
  kind: 'personal' | 'team';
  name: string | null;
  owner_id: string;
  /** last revision handed out in this vault */
  revision: number;
  key_generation: number;
  created_at: number;
  /** JSON { body, signature } of the latest signed manifest (null: never signed yet) */
  manifest: string | null;
  /** its sequence (0: none); a write must bring exactly manifest_seq + 1 */
  manifest_seq: number;
}

/** Signed team membership statements, one chain per team vault (seq 0 = creation). */
export interface TeamStatementsTable {
  vault_id: string;
  seq: number;
  body: string;
  signature: string;
  created_at: number;
}

export interface VaultMembersTable {
  vault_id: string;
  account_id: string;
  role: Role;
  wrapped_key: string;
  key_generation: number;
  added_at: number;
  removed_at: number | null;
}

export interface ItemsTable {
  vault_id: string;
  id: string;
  revision: number;
  deleted: number;
  wrapped_key: string;
  data: string;
  key_generation: number;
  updated_at: number;
}

export interface AuditLogTable {
  id: string;
  vault_id: string;
  account_id: string;
  secret_name: string;
  origin: string | null;
  host: string;
  method: string;
  status: number | null;
  error_code: string | null;
  duration_ms: number | null;
  created_at: number;
  /** set for a grant forward (docs/protocol.md "Grants") */
  grant_id?: string | null;
  /** grant forwards: keyed hash of the visitor (IP or ID-token subject), never the IP itself */
  visitor?: string | null;
}

export interface GrantsTable {
  id: string;
  lookup_hash: string;
  account_id: string;
  vault_id: string;
  item_id: string;
  wrapped_item_key: string;
  policy: string;
  info: string;
  cors_origins: string;
  created_at: number;
  revoked_at: number | null;
}

export interface GrantCountersTable {
  key: string;
  count: number;
  expires_at: number;
}

export interface RelayMetaTable {
  key: string;
  value: string;
}

/** rate-limiter-flexible's RateLimiterPostgres layout (created by our migration, not by it). */
export interface RateLimitsTable {
  key: string;
  points: number;
  expire: number | null;
}

export interface Database {
  accounts: AccountsTable;
  sessions: SessionsTable;
  vaults: VaultsTable;
  vault_members: VaultMembersTable;
  team_statements: TeamStatementsTable;
  items: ItemsTable;
  audit_log: AuditLogTable;
  relay_meta: RelayMetaTable;
  rate_limits: RateLimitsTable;
  grants: GrantsTable;
  grant_counters: GrantCountersTable;
}
