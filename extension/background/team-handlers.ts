// The popup's team requests, served through the SDK (shared/client/team.ts): list/create teams,
// members with fingerprints, look up + invite (fingerprint checked before anything is sent),
// remove with key rotation, audit. The cache is persisted by a sync after every change.
import { pullAll } from '../../shared/client/index.js';
import {
  createTeam,
  inviteMember,
  listMembers,
  lookupPublicKey,
  readAudit,
  removeMember,
} from '../../shared/client/team.js';
import { KeyholeError } from '../../shared/errors.js';
import type {
  TeamAuditRowView,
  TeamMembersView,
  TeamRemovalView,
  TeamUiRequest,
  TeamVaultView,
} from '../ui/team-protocol.js';
import { TEAM_UI_KINDS } from '../ui/team-protocol.js';
import type { VaultService } from './vault-service.js';

export function isTeamUiRequest(req: { ui: string }): req is TeamUiRequest {
  return (TEAM_UI_KINDS as readonly string[]).includes(req.ui);
}

async function open(vault: VaultService) {
  const live = await vault.current();
  if (!live) throw new KeyholeError('VAULT_LOCKED');
  const relay = await vault.relayFor(live);
  return { live, relay, store: live.store };
}

/** After a change: pull, persist the cache, refresh the popup's secret list. */
async function settle(vault: VaultService): Promise<void> {
  await vault.syncNow().catch(() => undefined);
}

export async function handleTeamUi(vault: VaultService, req: TeamUiRequest): Promise<unknown> {
  const { live, relay, store } = await open(vault);
  switch (req.ui) {
    case 'team-list': {
      if (store.vaults().length === 0) await pullAll(relay, store);
      // A stable order: Personal first, then teams by name (then id).
      return store
        .vaults()
        .map((v): TeamVaultView => ({
          id: v.id,
          kind: v.kind,
          name: v.kind === 'personal' ? 'Personal' : (v.name ?? v.id),
          role: v.role,
        }))
        .sort(
          (a, b) =>
            (a.kind === 'personal' ? 0 : 1) - (b.kind === 'personal' ? 0 : 1) ||
            a.name.localeCompare(b.name) ||
            (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
        );
    }
    case 'team-create': {
      const res = await createTeam(relay, store, req.name);
      await settle(vault);
      return res;
    }
    case 'team-members': {
      const res = await listMembers(relay, store, req.vaultId);
      return {
        vaultId: req.vaultId,
        keyGeneration: res.keyGeneration,
        you: live.record.accountId,
        members: res.members.map((m) => ({
          accountId: m.accountId,
          email: m.email,
          role: m.role,
          fingerprint: m.fingerprint,
        })),
      } satisfies TeamMembersView;
    }
    case 'team-lookup': {
      const key = await lookupPublicKey(relay, req.email);
      return { email: key.email, fingerprint: key.fingerprint };
    }
    case 'team-invite': {
      const res = await inviteMember(relay, store, req.vaultId, req.email, {
        role: req.role,
        ...(req.fingerprint ? { expectFingerprint: req.fingerprint } : {}),
      });
      await settle(vault);
      return { email: res.member.email, role: res.member.role, fingerprint: res.fingerprint };
    }
    case 'team-remove': {
      const res = await removeMember(relay, store, req.vaultId, req.email);
      await settle(vault);
      return {
        email: res.removed?.email ?? req.email,
        fromGeneration: res.fromGeneration,
        toGeneration: res.toGeneration,
        exposedSecrets: res.exposedSecrets,
      } satisfies TeamRemovalView;
    }
    case 'team-audit': {
      const res = await readAudit(relay, store, req.vaultId, { limit: 100 });
      return res.rows.map((r): TeamAuditRowView => ({
        at: r.at,
        accountEmail: r.accountEmail,
        secretName: r.secretName,
        origin: r.origin,
        method: r.method,
        host: r.host,
        status: r.status,
        errorCode: r.errorCode,
      }));
    }
  }
}
