// Idle lock with fakeBrowser: the alarm locks an unlocked vault after the configured idle time;
// an open popup (reading the state) is not activity.
import { fakeBrowser } from 'wxt/testing';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('wxt/browser', () => ({ browser: fakeBrowser }));

const { KEYS } = await import('../../extension/background/storage.js');
const { IDLE_ALARM, isIdle, touchActivity, resetActivityThrottle } =
  await import('../../extension/background/idle.js');
const { startBackground } = await import('../../extension/background/index.js');
const { handleUi } = await import('../../extension/background/ui-handlers.js');
const { VaultService } = await import('../../extension/background/vault-service.js');

const B64_32 = 'A'.repeat(43);
const unlockedRecord = {
  relayUrl: 'http://127.0.0.1:1',
  email: 'a@example.com',
  accountId: 'x'.repeat(22),
  token: 't',
  accountKey: B64_32,
  publicKey: B64_32,
  privateKey: B64_32,
};

describe('idle lock', () => {
  beforeEach(() => {
    fakeBrowser.reset();
    resetActivityThrottle();
    // fakeBrowser has no runtime.onConnect: a do-nothing event is enough for these tests.
    const noop = {
      addListener: () => undefined,
      removeListener: () => undefined,
      hasListener: () => false,
    };
    Object.assign(fakeBrowser.runtime, { onConnect: noop });
  });

  it('is idle only after the configured minutes', async () => {
    const now = 10 * 60 * 60_000;
    await touchActivity(now - 14 * 60_000);
    expect(await isIdle(now)).toBe(false);
    expect(await isIdle(now + 2 * 60_000)).toBe(true);
    await fakeBrowser.storage.local.set({ [KEYS.settings]: { idleMinutes: 60, syncMinutes: 5 } });
    expect(await isIdle(now + 2 * 60_000)).toBe(false);
  });

  it('locks on the alarm once idle, clearing the keys from storage.session', async () => {
    await fakeBrowser.storage.session.set({
      [KEYS.unlocked]: unlockedRecord,
      [KEYS.lastActivity]: Date.now() - 16 * 60_000,
    });
    startBackground();
    await fakeBrowser.alarms.onAlarm.trigger({ name: IDLE_ALARM, scheduledTime: Date.now() });
    await vi.waitFor(async () => {
      const got = await fakeBrowser.storage.session.get(KEYS.unlocked);
      expect(got[KEYS.unlocked]).toBeUndefined();
    });
  });

  it('keeps a recently used vault unlocked', async () => {
    await fakeBrowser.storage.session.set({
      [KEYS.unlocked]: unlockedRecord,
      [KEYS.lastActivity]: Date.now() - 60_000,
    });
    startBackground();
    await fakeBrowser.alarms.onAlarm.trigger({ name: IDLE_ALARM, scheduledTime: Date.now() });
    await new Promise((r) => setTimeout(r, 50));
    const got = await fakeBrowser.storage.session.get(KEYS.unlocked);
    expect(got[KEYS.unlocked]).toEqual(unlockedRecord);
  });

  it('does not count an open popup as activity, but counts its actions', async () => {
    const vault = new VaultService();
    const deps = { vault, pendingApprovals: () => 0, onSettingsChanged: async () => undefined };
    await handleUi(deps, { ui: 'state' });
    // What the popup loads when it opens (the vault menu, the grant tags) is not activity either.
    await handleUi(deps, { ui: 'team-list' });
    await handleUi(deps, { ui: 'grant-counts' });
    expect(
      (await fakeBrowser.storage.session.get(KEYS.lastActivity))[KEYS.lastActivity],
    ).toBeUndefined();
    await handleUi(deps, { ui: 'settings', settings: { idleMinutes: 5 } });
    expect((await fakeBrowser.storage.session.get(KEYS.lastActivity))[KEYS.lastActivity]).toEqual(
      expect.any(Number),
    );
    expect((await fakeBrowser.storage.local.get(KEYS.settings))[KEYS.settings]).toMatchObject({
      idleMinutes: 5,
    });
  });
});
