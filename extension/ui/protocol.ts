// Messages between the popup / approval window and the background (extension pages only).
import type { SecretPayload } from '../../shared/protocol/secret.js';
import type { ApprovalView, Decision } from '../background/approvals.js';
import type { Settings } from '../background/storage.js';
import type { SecretSummary, SyncStatus } from '../background/vault-service.js';
import type { TeamUiRequest } from './team-protocol.js';

export type UiRequest =
  | { ui: 'state' }
  | { ui: 'signup' | 'login'; relayUrl: string; email: string; password: string }
  | { ui: 'unlock'; password: string }
  | { ui: 'lock' }
  | { ui: 'logout' }
  | { ui: 'sync' }
  | { ui: 'save'; vaultId?: string; itemId?: string; secret: Partial<SecretPayload> }
  | { ui: 'delete'; vaultId: string; itemId: string }
  | { ui: 'reveal'; vaultId: string; itemId: string }
  | { ui: 'set-origin'; vaultId: string; itemId: string; origin: string; allowed: boolean }
  | { ui: 'forget-denial'; origin: string; name: string }
  | { ui: 'settings'; settings: Partial<Settings> }
  | TeamUiRequest;

export interface UiState {
  hasAccount: boolean;
  unlocked: boolean;
  relayUrl: string;
  email: string;
  secrets: SecretSummary[];
  sync: SyncStatus;
  settings: Settings;
  denied: { origin: string; name: string }[];
  pendingApprovals: number;
  /** ms the last unlock took in the service worker (key derivation + opening the bundle) */
  unlockMs?: number;
}

export type UiResult<T = unknown> =
  { ok: true; data: T } | { ok: false; error: { code: string; message: string } };

/** Approval window ⇄ background, on the approval port. */
export type ApprovalToBackground = { decide: string; decision: Decision };
export type BackgroundToApproval = { view: ApprovalView };
