// Shared start-up of `keyhole serve`, `run` and `mcp`: options, the vault, the secrets exposed.
import type { SecretEntry } from '../../shared/client/vault-store.js';
import { KeyholeError } from '../../shared/errors.js';
import { SecretName } from '../../shared/protocol/secret.js';
import { UsageError } from '../output.js';
import { openVault } from '../unlock.js';
import { AgentAccess, type AgentSurface } from './access.js';
import { maskValues, type MaskPattern } from './mask.js';

export interface AgentStart {
  access: AgentAccess;
  /** the secrets exposed now (enabled for agents, narrowed by --secret) */
  exposed: SecretEntry[];
}

export async function openForAgents(
  surface: AgentSurface,
  names: readonly string[] | undefined,
  vault: string | undefined,
): Promise<AgentStart> {
  for (const name of names ?? []) {
    if (!SecretName.safeParse(name).success) {
      throw new UsageError(`--secret ${JSON.stringify(name.slice(0, 64))} is not a secret name.`);
    }
  }
  const opened = await openVault({ sync: true });
  const vaultId = vault ? opened.store.resolveVault(vault).id : undefined;
  const only = names && names.length > 0 ? new Set(names) : null;
  const access = new AgentAccess(opened, surface, only, vaultId);
  const exposed = access.checkStartup();
  if (exposed.length === 0 && surface !== 'mcp') {
    throw new KeyholeError(
      'AGENT_NOT_ALLOWED',
      'No secret is enabled for agents yet. Enable one: keyhole secret update NAME --agent on',
    );
  }
  return { access, exposed };
}

/** Everything `keyhole run` masks: every form of every value of every secret this CLI holds. */
export function allMaskPatterns(access: AgentAccess): MaskPattern[] {
  const { store } = access.vault;
  const out: MaskPattern[] = [];
  for (const vault of store.usableVaults()) {
    for (const { payload } of store.listSecrets(vault.id)) {
      for (const value of maskValues(payload)) out.push({ name: payload.name, value });
    }
  }
  return out;
}

export function hostsLabel(entry: SecretEntry): string {
  return entry.payload.allowedHosts.join(',');
}
