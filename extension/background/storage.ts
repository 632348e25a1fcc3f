// Where the background keeps things: storage.local holds ciphertext and settings only;
// storage.session (trusted contexts only) holds the unlocked keys until the browser closes.
import { browser } from 'wxt/browser';

export const KEYS = {
  /** relay URL, email, account id and the encrypted key bundle (to unlock offline) */
  account: 'keyhole:account',
  /** the SDK's VaultCache: ciphertext only */
  vaultCache: 'keyhole:vault-cache',
  settings: 'keyhole:settings',
  syncStatus: 'keyhole:sync-status',
  /** session: unlocked keys and relay token */
  unlocked: 'keyhole:unlocked',
  /** session: last real use (ms) */
  lastActivity: 'keyhole:last-activity',
  /** session: origin|secret pairs the user denied in this browser session */
  denied: 'keyhole:denied',
} as const;

export interface Settings {
  idleMinutes: number;
  syncMinutes: number;
}

export const DEFAULT_SETTINGS: Settings = { idleMinutes: 15, syncMinutes: 5 };
export const DEFAULT_RELAY_URL = 'http://localhost:8787';

export async function getLocal<T>(key: string): Promise<T | undefined> {
  const got = await browser.storage.local.get(key);
  return got[key] as T | undefined;
}

export async function setLocal(key: string, value: unknown): Promise<void> {
  await browser.storage.local.set({ [key]: value });
}

export async function removeLocal(key: string): Promise<void> {
  await browser.storage.local.remove(key);
}

export async function getSession<T>(key: string): Promise<T | undefined> {
  const got = await browser.storage.session.get(key);
  return got[key] as T | undefined;
}

export async function setSession(key: string, value: unknown): Promise<void> {
  await browser.storage.session.set({ [key]: value });
}

export async function removeSession(key: string): Promise<void> {
  await browser.storage.session.remove(key);
}

/** Content scripts must never read storage.session (Chrome's default, made explicit). */
export async function restrictSessionStorage(): Promise<void> {
  const session = browser.storage.session as {
    setAccessLevel?: (o: { accessLevel: string }) => Promise<void>;
  };
  try {
    await session.setAccessLevel?.({ accessLevel: 'TRUSTED_CONTEXTS' });
  } catch {
    // Firefox: storage.session is never exposed to content scripts.
  }
}

export async function getSettings(): Promise<Settings> {
  const s = await getLocal<Partial<Settings>>(KEYS.settings);
  return { ...DEFAULT_SETTINGS, ...(s ?? {}) };
}
