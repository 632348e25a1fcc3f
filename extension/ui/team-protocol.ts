// Popup ⇄ background messages for team vaults (docs/teams.md). Served by background/team-handlers.ts.
import type { Role } from '../../shared/protocol/vault.js';

export type TeamUiRequest =
  | { ui: 'team-list' }
  | { ui: 'team-create'; name: string }
  | { ui: 'team-members'; vaultId: string }
  | { ui: 'team-lookup'; email: string }
  | { ui: 'team-invite'; vaultId: string; email: string; role: Role; fingerprint?: string }
  | { ui: 'team-remove'; vaultId: string; email: string }
  | { ui: 'team-audit'; vaultId: string };

export const TEAM_UI_KINDS: readonly TeamUiRequest['ui'][] = [
  'team-list',
  'team-create',
  'team-members',
  'team-lookup',
  'team-invite',
  'team-remove',
  'team-audit',
];

export interface TeamVaultView {
  id: string;
  kind: 'personal' | 'team';
  name: string;
  role: Role;
}

export interface TeamMemberView {
  accountId: string;
  email: string;
  role: Role;
  fingerprint: string;
}

export interface TeamMembersView {
  vaultId: string;
  keyGeneration: number;
  /** the caller's own account id (no "remove" button on yourself) */
  you: string;
  members: TeamMemberView[];
}

export interface TeamRemovalView {
  email: string;
  fromGeneration: number;
  toGeneration: number;
  /** names of the secrets the removed member could have seen */
  exposedSecrets: string[];
}

export interface TeamAuditRowView {
  at: number;
  accountEmail: string | null;
  secretName: string | null;
  origin: string | null;
  method: string | null;
  host: string | null;
  status: number | null;
  errorCode: string | null;
}
