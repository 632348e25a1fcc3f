// Messages between the popup / approval window and the background (extension pages only): one
// typed protocol map, so every request kind has its own argument and response type. The wire
// shape stays `{ ui: KIND, ...args }` (tests and the bench send it raw).
import type { SecretPayload } from '../../shared/protocol/secret.js';
import type { Role } from '../../shared/protocol/vault.js';
import type { ApprovalView, Decision } from '../background/approvals.js';
import type { Settings } from '../background/storage.js';
import type { SecretSummary, SyncStatus, VaultState } from '../background/vault-service.js';
import type { GrantUiProtocol } from './grant-protocol.js';
import type {
  TeamAuditRowView,
  TeamMembersView,
  TeamRemovalView,
  TeamVaultView,
} from './team-protocol.js';

/** Why the vault is locked, as the lock screen says it. */
export interface LockReason {
  /** idle: the idle timer; user: the Lock button; restart: the browser (or the extension) restarted */
  reason: 'idle' | 'user' | 'restart';
  at?: number;
  idleMinutes?: number;
}

export interface UiState {
  hasAccount: boolean;
  unlocked: boolean;
  relayUrl: string;
  email: string;
  /** the account's key fingerprint (what teammates compare before inviting) */
  fingerprint?: string;
  secrets: SecretSummary[];
  /** per vault: signed-state fingerprint, or why it failed verification (skipped, named) */
  vaults?: VaultState[];
  sync: SyncStatus;
  settings: Settings;
  denied: { origin: string; name: string }[];
  pendingApprovals: number;
  lock?: LockReason;
  /** ms the last unlock took in the service worker (key derivation + opening the bundle) */
  unlockMs?: number;
}

/** Request kind → its arguments and what the background answers. */
export interface UiProtocol extends GrantUiProtocol {
  state: { args: object; result: UiState };
  signup: { args: { relayUrl: string; email: string; password: string }; result: UiState };
  login: { args: { relayUrl: string; email: string; password: string }; result: UiState };
  unlock: { args: { password: string }; result: UiState };
  lock: { args: object; result: UiState };
  logout: { args: object; result: UiState };
  sync: { args: object; result: UiState };
  save: {
    args: { vaultId?: string; itemId?: string; secret: Partial<SecretPayload> };
    result: UiState;
  };
  delete: { args: { vaultId: string; itemId: string }; result: UiState };
  reveal: { args: { vaultId: string; itemId: string }; result: Partial<SecretPayload> };
  'set-origin': {
    args: { vaultId: string; itemId: string; origin: string; allowed: boolean };
    result: UiState;
  };
  'forget-denial': { args: { origin: string; name: string }; result: UiState };
  settings: { args: { settings: Partial<Settings> }; result: UiState };
  'team-list': { args: object; result: TeamVaultView[] };
  'team-create': { args: { name: string }; result: { vaultId: string; name: string } };
  'team-members': { args: { vaultId: string }; result: TeamMembersView };
  'team-lookup': { args: { email: string }; result: { email: string; fingerprint: string } };
  'team-invite': {
    args: { vaultId: string; email: string; role: Role; fingerprint?: string };
    result: { email: string; role: Role; fingerprint: string };
  };
  'team-remove': { args: { vaultId: string; email: string }; result: TeamRemovalView };
  'team-audit': { args: { vaultId: string }; result: TeamAuditRowView[] };
}

export type UiKind = keyof UiProtocol;
export type UiArgs<K extends UiKind> = UiProtocol[K]['args'];
export type UiResponse<K extends UiKind> = UiProtocol[K]['result'];
export type UiRequestOf<K extends UiKind> = { ui: K } & UiArgs<K>;
export type UiRequest = { [K in UiKind]: UiRequestOf<K> }[UiKind];

export type UiResult<T = unknown> =
  { ok: true; data: T } | { ok: false; error: { code: string; message: string; reason?: string } };

/** Approval window ⇄ background, on the approval port. */
export type ApprovalToBackground = { decide: string; decision: Decision };
export type BackgroundToApproval = { view: ApprovalView };
