// e2e helpers: launch Debian's Chromium with the built extension (playwright-core, no downloads),
// find the extension id from its service worker, and drive the popup through its data-testids.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import type { BrowserContext, Page, Worker } from 'playwright-core';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const EXTENSION_DIR = join(ROOT, 'extension/.output/chrome-mv3');
export const CHROMIUM = process.env.KEYHOLE_CHROMIUM ?? '/usr/bin/chromium';

export interface ExtensionBrowser {
  context: BrowserContext;
  extensionId: string;
  worker: Worker;
  close(): Promise<void>;
}

export async function launchWithExtension(): Promise<ExtensionBrowser> {
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
  return {
    context,
    extensionId,
    worker,
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
