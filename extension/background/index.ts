// Wires the background together: page ports, the approval window, popup messages, alarms.
import { browser } from 'wxt/browser';
import { APPROVAL_PORT_NAME, PAGE_PORT_NAME } from '../bridge/messages.js';
import type { ApprovalToBackground, BackgroundToApproval } from '../ui/protocol.js';
import { KeyholeError } from '../../shared/errors.js';
import { ApprovalQueue } from './approvals.js';
import { lookUpForOrigin, planPageCall } from './call-plan.js';
import type { ApprovalView } from './approvals.js';
import { addDenied, isDenied } from './denied.js';
import { extensionUrl } from './ext-url.js';
import { forwardCall } from './forwarder.js';
import { IDLE_ALARM, isIdle, scheduleIdleCheck, touchActivity } from './idle.js';
import { servePagePort } from './page-calls.js';
import type { PageCallDeps, PortLike } from './page-calls.js';
import { recordLock } from './lock-reason.js';
import { isExtensionPage } from './policy.js';
import { getSettings, restrictSessionStorage } from './storage.js';
import type { Settings } from './storage.js';
import { handleUi } from './ui-handlers.js';
import { VaultService } from './vault-service.js';

const SYNC_ALARM = 'keyhole-sync';

export function startBackground(): void {
  const base = new URL(extensionUrl('/'));
  const self = { id: browser.runtime.id, origin: `${base.protocol}//${base.host}` };
  const vault = new VaultService();
  const approvalPorts = new Set<PortLike>();

  const approvals = new ApprovalQueue({
    now: () => Date.now(),
    openWindow: async () => {
      const win = await browser.windows.create({
        url: extensionUrl('/approval.html'),
        type: 'popup',
        width: 440,
        height: 420,
        focused: true,
      });
      if (win?.id === undefined) throw new Error('no window');
      return win.id;
    },
    focusWindow: async (id) => {
      await browser.windows.update(id, { focused: true });
    },
    closeWindow: async (id) => {
      await browser.windows.remove(id);
    },
    onChange: (view: ApprovalView) => {
      for (const p of approvalPorts) p.postMessage({ view } satisfies BackgroundToApproval);
    },
  });

  const liveStore = async () => {
    const live = await vault.current();
    if (!live) throw new KeyholeError('VAULT_LOCKED');
    return live.store;
  };
  const pageDeps: PageCallDeps = {
    extensionId: self.id,
    isUnlocked: async () => (await vault.current()) !== undefined,
    plan: async (origin, op) => planPageCall(await liveStore(), origin, op),
    lookup: async (origin, name) => lookUpForOrigin(await liveStore(), origin, name),
    ask: (prompt, signal) => approvals.ask(prompt, signal),
    allowOrigin: (found, origin) => vault.setOrigin(found.vaultId, found.itemId, origin, true),
    isDenied,
    addDenied,
    forward: (call, sink, signal) => forwardCall(vault, call, sink, signal),
  };

  browser.runtime.onConnect.addListener((port) => {
    if (port.name === PAGE_PORT_NAME) {
      servePagePort(port as unknown as PortLike, pageDeps);
      return;
    }
    if (port.name === APPROVAL_PORT_NAME && isExtensionPage(port.sender, self, '/approval.html')) {
      const p = port as unknown as PortLike;
      approvalPorts.add(p);
      p.onDisconnect.addListener(() => approvalPorts.delete(p));
      p.onMessage.addListener((msg) => {
        const m = msg as Partial<ApprovalToBackground>;
        if (
          typeof m.decide !== 'string' ||
          !['once', 'always', 'deny'].includes(m.decision as string)
        )
          return;
        // The user's click in the approval window is activity (a page's calls are not: an approved
        // page calling regularly must not keep the vault unlocked).
        if (approvals.decide(m.decide, m.decision as ApprovalToBackground['decision']))
          void touchActivity().catch(() => undefined);
      });
      p.postMessage({ view: approvals.view() } satisfies BackgroundToApproval);
      return;
    }
    port.disconnect();
  });

  browser.windows.onRemoved.addListener((windowId) => approvals.windowRemoved(windowId));

  browser.runtime.onMessage.addListener((msg, sender, sendResponse) => {
    // Only our popup may drive the vault; pages and content scripts never reach this handler's actions.
    if (!isExtensionPage(sender, self, '/popup.html')) return false;
    void handleUi(
      { vault, pendingApprovals: () => approvals.pendingCount(), onSettingsChanged: scheduleSync },
      msg,
    ).then(sendResponse);
    return true;
  });

  async function scheduleSync(settings: Settings): Promise<void> {
    await browser.alarms.create(SYNC_ALARM, { periodInMinutes: settings.syncMinutes });
  }

  async function checkIdle(): Promise<void> {
    if ((await vault.current()) && (await isIdle())) {
      const { idleMinutes } = await getSettings();
      await recordLock({ reason: 'idle', at: Date.now(), idleMinutes });
      await vault.lock();
    }
  }

  browser.alarms.onAlarm.addListener((alarm) => {
    if (alarm.name === IDLE_ALARM) void checkIdle();
    if (alarm.name === SYNC_ALARM) {
      void vault
        .current()
        .then((live) => (live ? vault.syncNow().catch(() => undefined) : undefined));
    }
  });

  void (async () => {
    await restrictSessionStorage();
    await scheduleIdleCheck();
    await scheduleSync(await getSettings());
    await checkIdle();
  })();
}
