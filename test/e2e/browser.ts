// e2e helpers: launch Debian's Chromium with the built extension (playwright-core, no downloads),
// find the extension id from its service worker, and drive the popup through its data-testids.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, errors } from 'playwright-core';
import type { BrowserContext, Page, Worker } from 'playwright-core';
import { FAST_KDF } from '../support/fast-kdf.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const EXTENSION_DIR = join(ROOT, 'extension/.output/chrome-mv3');
export const CHROMIUM = process.env.KEYHOLE_CHROMIUM ?? '/usr/bin/chromium';

export interface ExtensionBrowser {
  context: BrowserContext;
  extensionId: string;
  worker: Worker;
  /** true once the context has closed: closed by the test, or the browser crashed or exited */
  isClosed(): boolean;
  close(): Promise<void>;
}

/**
 * `fastKdf`: accounts made in this browser derive their keys with argon2id at the crypto core's
 * floor (19 MiB, 2 passes) — the same code path as a real sign-up, a faster suite. The bench leaves
 * it off to measure the real cost.
 */
export async function launchWithExtension(
  opts: { fastKdf?: boolean } = {},
): Promise<ExtensionBrowser> {
  if (!existsSync(join(EXTENSION_DIR, 'manifest.json'))) {
    throw new Error(`No built extension in ${EXTENSION_DIR}: run \`npm run build\` first.`);
  }
  const userDataDir = mkdtempSync(join(tmpdir(), 'keyhole-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      `--disable-extensions-except=${EXTENSION_DIR}`,
      `--load-extension=${EXTENSION_DIR}`,
    ],
  });
  const worker =
    context.serviceWorkers()[0] ??
    (await context.waitForEvent('serviceworker', { timeout: 15_000 }));
  const extensionId = new URL(worker.url()).host;
  if (opts.fastKdf) {
    await worker.evaluate((kdf) => chrome.storage.local.set({ 'keyhole:dev-kdf': kdf }), FAST_KDF);
  }
  let closed = false;
  context.once('close', () => (closed = true));
  return {
    context,
    extensionId,
    worker,
    isClosed: () => closed,
    close: async () => {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** The current service worker (it may have been restarted). */
export function currentWorker(b: ExtensionBrowser): Worker {
  return b.context.serviceWorkers().find((w) => w.url().includes(b.extensionId)) ?? b.worker;
}

export async function openPopup(b: ExtensionBrowser): Promise<Page> {
  const page = await b.context.newPage();
  await page.goto(`chrome-extension://${b.extensionId}/popup.html`);
  await page.locator('#app[data-ready="1"]').waitFor({ timeout: 10_000 });
  return page;
}

/** Popup page object: the flows the e2e tests drive through data-testids. */
export const popup = {
  async signup(page: Page, relayUrl: string, email: string, password: string): Promise<void> {
    await page.getByTestId('relay-url').fill(relayUrl);
    await page.getByTestId('email').fill(email);
    await page.getByTestId('master-password').fill(password);
    await page.getByTestId('master-password-confirm').fill(password);
    await page.getByTestId('signup').click();
    await page.getByTestId('lock').waitFor({ timeout: 20_000 });
  },
  async unlock(page: Page, password: string): Promise<void> {
    await page.getByTestId('master-password').fill(password);
    await page.getByTestId('unlock').click();
    await page.getByTestId('lock').waitFor({ timeout: 20_000 });
  },
  async lock(page: Page): Promise<void> {
    await page.getByTestId('lock').click();
    await page.getByTestId('unlock').waitFor({ timeout: 10_000 });
  },
  async addSecret(
    page: Page,
    s: { name: string; value: string; hosts: string[]; origins?: string[] },
  ): Promise<void> {
    await page.getByTestId('add-secret').click();
    await page.getByTestId('secret-name').fill(s.name);
    await page.getByTestId('secret-value').fill(s.value);
    await page.getByTestId('secret-hosts').fill(s.hosts.join('\n'));
    await page.getByTestId('secret-origins').fill((s.origins ?? []).join('\n'));
    await page.getByTestId('save-secret').click();
    await page
      .locator(`[data-testid="secret-row"][data-name="${s.name}"]`)
      .waitFor({ timeout: 15_000 });
  },
};

const isApproval = (p: Page): boolean => p.url().includes('/approval.html');

/**
 * The error for a browser that closed under a check. A closed browser opens no window, so a
 * helper that read "closed" as "no window appeared" would pass a consent test that should fail:
 * every helper below throws this instead.
 */
export function browserClosedError(what: string, cause?: unknown): Error {
  return new Error(
    `${what}: the browser closed (crashed, or closed by the test) — a failure, not "no window"`,
    { cause },
  );
}

/**
 * Whether the browser still answers: the close flag, then a round trip (a crash can reject a
 * pending call before the context's close event has fired).
 */
export async function browserAlive(b: ExtensionBrowser): Promise<boolean> {
  if (b.isClosed()) return false;
  try {
    await b.context.cookies();
    return !b.isClosed();
  } catch {
    return false;
  }
}

/** Throw unless the browser is still open (call before trusting an absence). */
export async function assertBrowserOpen(b: ExtensionBrowser, what: string): Promise<void> {
  if (!(await browserAlive(b))) throw browserClosedError(what);
}

/** The next approval window; rejects on timeout or when the browser closes first. */
export async function approvalWindow(b: ExtensionBrowser, timeout = 10_000): Promise<Page> {
  try {
    return await b.context.waitForEvent('page', { predicate: isApproval, timeout });
  } catch (err) {
    if (err instanceof errors.TimeoutError && (await browserAlive(b))) {
      throw new Error(`no approval window opened within ${timeout} ms`, { cause: err });
    }
    throw browserClosedError('waiting for an approval window', err);
  }
}

/**
 * true when no approval window opened within `ms`; false when one did. Only a timeout with the
 * browser still open counts as "no window": anything else (the context closed, the browser
 * crashed) throws.
 */
export async function noApprovalWindowWithin(b: ExtensionBrowser, ms: number): Promise<boolean> {
  try {
    await b.context.waitForEvent('page', { predicate: isApproval, timeout: ms });
    return false;
  } catch (err) {
    if (err instanceof errors.TimeoutError && (await browserAlive(b))) return true;
    throw browserClosedError(`checking that no approval window opens within ${ms} ms`, err);
  }
}

/**
 * Click in the approval window; the window may close as a result (that is the click working) —
 * but a window that closed because the whole browser did is a failure.
 */
export async function clickIn(b: ExtensionBrowser, w: Page, testid: string): Promise<void> {
  try {
    await w.getByTestId(testid).click();
  } catch (err) {
    if (!w.isClosed()) throw err;
    if (!(await browserAlive(b))) {
      throw browserClosedError(`clicking ${testid} in the approval window`, err);
    }
  }
}
