// Auto-lock after idle: the user's own activity (a popup action, a decision in the approval window)
// resets the clock; a page's calls do not (an approved page calling every minute must not keep the
// vault unlocked), nor does an open popup. chrome.alarms wakes the service worker to check.
import { browser } from 'wxt/browser';
import { getSession, getSettings, KEYS, setSession } from './storage.js';

export const IDLE_ALARM = 'keyhole-idle-check';
const TOUCH_THROTTLE_MS = 5_000;

let lastWritten = 0;

/** Record real use now (written at most every few seconds). */
export async function touchActivity(now = Date.now()): Promise<void> {
  if (now - lastWritten < TOUCH_THROTTLE_MS) return;
  lastWritten = now;
  await setSession(KEYS.lastActivity, now);
}

export function resetActivityThrottle(): void {
  lastWritten = 0;
}

/** True when the vault has been idle longer than the configured limit. */
export async function isIdle(now = Date.now()): Promise<boolean> {
  const [last, settings] = await Promise.all([
    getSession<number>(KEYS.lastActivity),
    getSettings(),
  ]);
  if (last === undefined) return false;
  return now - last > settings.idleMinutes * 60_000;
}

export async function scheduleIdleCheck(): Promise<void> {
  await browser.alarms.create(IDLE_ALARM, { periodInMinutes: 0.5 });
}
