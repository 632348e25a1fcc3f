// The popup's requests, served by the background. Every action counts as real use for the idle
// lock except what the popup reads by itself when it opens (an open popup alone does not).
import { KeyholeError } from '../../shared/errors.js';
import type { UiRequest, UiResult, UiState } from '../ui/protocol.js';
import { forgetDenied, listDenied } from './denied.js';
import { handleGrantUi, isGrantUiRequest } from './grant-handlers.js';
import { resetActivityThrottle, touchActivity } from './idle.js';
import { clearLockReason, lockReason, recordLock } from './lock-reason.js';
import { DEFAULT_RELAY_URL, DEFAULT_SETTINGS, getSettings, KEYS, setLocal } from './storage.js';
import type { Settings } from './storage.js';
import { handleTeamUi, isTeamUiRequest } from './team-handlers.js';
import type { VaultService } from './vault-service.js';

/**
 * What the popup reads by itself when it opens (the state, the vault menu, which secrets have
 * grants): not the user's activity, or merely opening the popup would keep the vault unlocked.
 */
const PASSIVE: ReadonlySet<string> = new Set(['state', 'team-list', 'grant-counts']);

export interface UiDeps {
  vault: VaultService;
  pendingApprovals(): number;
  onSettingsChanged(settings: Settings): Promise<void>;
}

async function state(deps: UiDeps): Promise<UiState> {
  const [acct, live, settings, denied] = await Promise.all([
    deps.vault.account(),
    deps.vault.current(),
    getSettings(),
    listDenied(),
  ]);
  return {
    hasAccount: acct !== undefined,
    unlocked: live !== undefined,
    relayUrl: acct?.relayUrl ?? DEFAULT_RELAY_URL,
    email: acct?.email ?? '',
    ...(live ? { fingerprint: deps.vault.identityFingerprint(live) } : {}),
    ...(acct && !live ? { lock: await lockReason() } : {}),
    secrets: live ? await deps.vault.list() : [],
    vaults: live ? await deps.vault.vaultStates() : [],
    sync: deps.vault.syncStatus(),
    settings,
    denied,
    pendingApprovals: deps.pendingApprovals(),
    ...(deps.vault.lastUnlockMs !== undefined
      ? { unlockMs: Math.round(deps.vault.lastUnlockMs) }
      : {}),
  };
}

function clampSettings(s: Partial<Settings>, current: Settings): Settings {
  const idle = Number(s.idleMinutes ?? current.idleMinutes);
  const sync = Number(s.syncMinutes ?? current.syncMinutes);
  return {
    idleMinutes: Number.isFinite(idle)
      ? Math.min(Math.max(Math.round(idle), 1), 24 * 60)
      : DEFAULT_SETTINGS.idleMinutes,
    syncMinutes: Number.isFinite(sync)
      ? Math.min(Math.max(Math.round(sync), 1), 24 * 60)
      : DEFAULT_SETTINGS.syncMinutes,
  };
}

async function run(deps: UiDeps, req: UiRequest): Promise<unknown> {
  const { vault } = deps;
  if (!PASSIVE.has(req.ui)) {
    resetActivityThrottle();
    await touchActivity();
  }
  if (isTeamUiRequest(req)) return handleTeamUi(vault, req);
  if (isGrantUiRequest(req)) return handleGrantUi(vault, req);
  switch (req.ui) {
    case 'state':
      return state(deps);
    case 'signup':
      await vault.signup(req.relayUrl, req.email, req.password);
      return state(deps);
    case 'login':
      await vault.login(req.relayUrl, req.email, req.password);
      return state(deps);
    case 'unlock':
      await vault.unlock(req.password);
      await clearLockReason();
      return state(deps);
    case 'lock':
      await recordLock({ reason: 'user', at: Date.now() });
      await vault.lock();
      return state(deps);
    case 'logout':
      await vault.logout();
      return state(deps);
    case 'sync':
      await vault.syncNow();
      return state(deps);
    case 'save':
      await vault.save(req.vaultId, req.itemId, req.secret);
      return state(deps);
    case 'delete':
      await vault.remove(req.vaultId, req.itemId);
      return state(deps);
    case 'reveal':
      return vault.reveal(req.vaultId, req.itemId);
    case 'set-origin':
      await vault.setOrigin(req.vaultId, req.itemId, req.origin, req.allowed);
      return state(deps);
    case 'forget-denial':
      await forgetDenied(req.origin, req.name);
      return state(deps);
    case 'settings': {
      const next = clampSettings(req.settings, await getSettings());
      await setLocal(KEYS.settings, next);
      await deps.onSettingsChanged(next);
      return state(deps);
    }
    default:
      throw new KeyholeError('INVALID_REQUEST');
  }
}

export async function handleUi(deps: UiDeps, req: unknown): Promise<UiResult> {
  try {
    if (
      typeof req !== 'object' ||
      req === null ||
      typeof (req as { ui?: unknown }).ui !== 'string'
    ) {
      throw new KeyholeError('INVALID_REQUEST');
    }
    return { ok: true, data: await run(deps, req as UiRequest) };
  } catch (err) {
    if (err instanceof KeyholeError) {
      // details.field / details.reason let the popup point at the field or explain the cause.
      const d = err.details as { field?: unknown; reason?: unknown } | undefined;
      const reason =
        typeof d?.field === 'string'
          ? `field:${d.field}`
          : typeof d?.reason === 'string'
            ? d.reason
            : undefined;
      return {
        ok: false,
        error: { code: err.code, message: err.message, ...(reason ? { reason } : {}) },
      };
    }
    return { ok: false, error: { code: 'INTERNAL', message: 'Something went wrong.' } };
  }
}
