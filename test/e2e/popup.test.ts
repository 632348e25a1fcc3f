// End to end, the popup as a person uses it (issue #15): nothing typed is lost after a failure, the
// bad field is pointed at, errors say what to do, progress shows on slow actions, the lock screen
// says why, and a new team shows up at once. Real Chromium, real relay; screenshots of the main
// states (light and dark) go to test/e2e/screenshots/. The first test signs up through the form;
// every later one asks signedUp() for an account (the first test's, or one made on the spot) and
// makes the secrets and teams it edits itself, so any one test runs alone.
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { spawnRelay } from '../support/relay-process.js';
import type { RelayProcess } from '../support/relay-process.js';
import { EXTENSION_DIR, launchWithExtension, openPopup, popup } from './browser.js';
import type { ExtensionBrowser } from './browser.js';
import { PageWitness } from './page-calls.js';
import { startMockApi, startPages } from './servers.js';
import type { MockApi, PageServer } from './servers.js';

const SHOTS = join(dirname(fileURLToPath(import.meta.url)), 'screenshots');
const PASSWORD = 'correct horse battery staple';
const VALUE = 'sk-popup-' + 'Zx81QmW4';

let relay: RelayProcess;
let relayPort = 0;
let dbDir: string;
let hang: Server;
let hangUrl: string;
let mock: MockApi;
let pages: PageServer;
let b: ExtensionBrowser;
let pop: Page;
const witness = new PageWitness();

/** A "relay" that accepts, waits ~1.2 s, then drops the connection: slow, then unreachable. */
function startHangingServer(): Promise<Server> {
  const server = createServer((socket) => {
    setTimeout(() => socket.destroy(), 1200);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

async function startRelay(): Promise<void> {
  // No KEYHOLE_ALLOW_PRIVATE: as a plain `npm start` would run it.
  relay = await spawnRelay({ db: join(dbDir, 'keyhole.db'), port: relayPort });
  relayPort = relay.port;
}

async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.screenshot({ path: join(SHOTS, `${name}-${scheme}.png`), fullPage: true });
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

const byId = (id: string) => pop.getByTestId(id);
const value = (id: string) => byId(id).inputValue();
const fieldError = (field: string) =>
  pop.locator(`[data-testid="field-error"][data-field="${field}"]`);

async function openForm(): Promise<void> {
  await byId('add-secret').click();
  await byId('secret-name').waitFor();
}

async function save(): Promise<void> {
  await byId('save-secret').click();
}

const secretRow = (name: string) => pop.locator(`[data-testid="secret-row"][data-name="${name}"]`);

/** A signed-up, unlocked popup: the sign-up test's account when it ran first, else made now. */
async function signedUp(): Promise<void> {
  if ((await byId('lock').count()) > 0) return;
  if ((await byId('unlock').count()) > 0) return popup.unlock(pop, PASSWORD);
  await popup.signup(pop, relay.url, `popup-${Date.now()}@example.com`, PASSWORD);
}

/** The `twilio` template secret the failed-save test ends with, made here if it did not run. */
async function ensureTwilio(): Promise<void> {
  if ((await secretRow('twilio').count()) > 0) return;
  await openForm();
  await byId('secret-type').selectOption('template');
  await byId('secret-name').fill('twilio');
  await byId('secret-fields').fill('account=AC123\ntoken=' + VALUE);
  await byId('secret-hosts').fill('api.twilio.com');
  await byId('secret-placement').fill('header:Authorization');
  await save();
  await secretRow('twilio').waitFor();
}

/** A team vault named `name` (I own it), created here if an earlier test did not. */
async function ensureTeam(name: string): Promise<void> {
  const options = await byId('vault-switcher').locator('option').allTextContents();
  if (options.includes(`${name} (owner)`)) return;
  await byId('team-create-name').fill(name);
  await byId('team-create').click();
  await byId('team-notice')
    .filter({ hasText: `Created team ${name}` })
    .waitFor();
  await byId('vault-switcher').selectOption('');
}

beforeAll(async () => {
  dbDir = mkdtempSync(join(tmpdir(), 'keyhole-popup-e2e-'));
  await startRelay();
  hang = await startHangingServer();
  hangUrl = `http://127.0.0.1:${(hang.address() as { port: number }).port}`;
  mock = await startMockApi();
  pages = await startPages();
  b = await launchWithExtension({ fastKdf: true });
  pop = await openPopup(b);
  await pop.setViewportSize({ width: 380, height: 600 });
});

// A failed step leaves a picture of the popup behind, to see what a person would have seen.
afterEach(async (ctx) => {
  if (ctx.task.result?.state !== 'fail' || !pop || pop.isClosed()) return;
  mkdirSync(SHOTS, { recursive: true });
  const name = ctx.task.name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60);
  await pop.screenshot({ path: join(SHOTS, `failed-${name}.png`), fullPage: true });
});

afterAll(async () => {
  await b?.close();
  await relay?.stop();
  await mock?.close();
  await pages?.close();
  hang?.close();
  if (dbDir) rmSync(dbDir, { recursive: true, force: true });
});

describe('popup (issue #15)', { timeout: 60_000 }, () => {
  it('sign-up: password twice, says it cannot be recovered, keeps input, shows progress and the fingerprint', async () => {
    await shot(pop, 'setup');
    await expect(byId('no-recovery').textContent()).resolves.toMatch(
      /cannot be recovered|No one can recover/,
    );
    const email = `popup-${Date.now()}@example.com`;
    await byId('relay-url').fill(hangUrl);
    await byId('email').fill(email);
    await byId('master-password').fill(PASSWORD);
    await byId('master-password-confirm').fill(PASSWORD + ' typo');
    await byId('signup').click();
    await fieldError('confirm').waitFor();
    // Nothing typed was lost.
    expect(await value('relay-url')).toBe(hangUrl);
    expect(await value('email')).toBe(email);
    expect(await value('master-password')).toBe(PASSWORD);

    // A slow relay: progress text while waiting, then the error in words, input kept.
    await byId('master-password-confirm').fill(PASSWORD);
    await byId('signup').click();
    await byId('progress').waitFor({ timeout: 2000 });
    expect(await byId('error').count()).toBe(0); // the old error is gone while retrying
    await fieldError('relay').waitFor({ timeout: 10_000 });
    expect(await fieldError('relay').textContent()).toContain("Can't reach the relay");
    expect(await value('relay-url')).toBe(hangUrl);
    expect(await value('email')).toBe(email);
    expect(await value('master-password-confirm')).toBe(PASSWORD);

    // Fix the relay URL; the retry clears the old error at once and succeeds.
    await byId('relay-url').fill(relay.url);
    await byId('signup').click();
    expect(await pop.getByTestId('field-error').count()).toBe(0);
    await byId('lock').waitFor({ timeout: 20_000 });
    await byId('welcome').waitFor();
    const fp = await byId('account-fingerprint').textContent();
    expect(fp).toMatch(/^[0-9A-F]{4}(-[0-9A-F]{4})+$/);
    expect(await byId('welcome').textContent()).toContain(fp);
    expect(await byId('welcome').textContent()).toContain('cannot be recovered');
    await shot(pop, 'welcome');
  });

  it('a failed save keeps every field and points at the bad one (name, host, site, template, duplicate)', async () => {
    await signedUp();
    await openForm();
    // The form names the vault it writes to.
    expect(await byId('secret-vault-name').textContent()).toContain('Personal');
    await byId('secret-type').selectOption('basic');
    await byId('secret-name').fill('bad name!');
    await byId('secret-username').fill('ops');
    await byId('secret-password').fill(VALUE);
    await byId('secret-hosts').fill('htp://127.0.0.1:5174');
    await byId('secret-origins').fill('localhost:5173');
    await save();
    await fieldError('name').waitFor();
    const kept = async () => {
      expect(await value('secret-type')).toBe('basic');
      expect(await value('secret-username')).toBe('ops');
      expect(await value('secret-password')).toBe(VALUE);
    };
    await kept();
    expect(await value('secret-hosts')).toBe('htp://127.0.0.1:5174');

    await byId('secret-name').fill('demo-basic');
    await save();
    await fieldError('hosts').waitFor();
    expect(await fieldError('hosts').textContent()).toContain('https://');
    expect(await byId('secret-hosts').getAttribute('aria-invalid')).toBe('true');
    await kept();
    await shot(pop, 'form-error');

    await byId('secret-hosts').fill('http://127.0.0.1:5174');
    await save();
    await fieldError('origins').waitFor();
    expect(await fieldError('origins').textContent()).toContain('http://localhost:5173');
    await kept();
    expect(await value('secret-origins')).toBe('localhost:5173');

    await byId('secret-origins').fill('http://localhost:5173');
    await save();
    await pop.locator('[data-testid="secret-row"][data-name="demo-basic"]').waitFor();
    expect(await pop.locator('#app').innerText()).not.toContain(VALUE);

    // A duplicate name: refused by the vault, pointed at the name, the value kept.
    await openForm();
    await byId('secret-name').fill('demo-basic');
    await byId('secret-value').fill(VALUE);
    await byId('secret-hosts').fill('api.example.com');
    await save();
    await fieldError('name').waitFor();
    expect(await fieldError('name').textContent()).toContain('already exists');
    expect(await value('secret-value')).toBe(VALUE);
    expect(await value('secret-hosts')).toBe('api.example.com');

    // No host: said in words, never the schema's "allowedHosts: Too small…".
    await byId('secret-name').fill('no-host');
    await byId('secret-hosts').fill('');
    await save();
    await fieldError('hosts').waitFor();
    const text = await pop.locator('#app').innerText();
    expect(text).not.toMatch(/allowedHosts|Too small|expected array/);
    expect(await value('secret-value')).toBe(VALUE);

    // A template is rows of fields in a multi-line area; a bad row is pointed at, the rows kept.
    await byId('secret-type').selectOption('template');
    const fields = byId('secret-fields');
    expect(await fields.evaluate((el) => el.tagName)).toBe('TEXTAREA');
    await fields.fill('account=AC123\nnonsense');
    await byId('secret-hosts').fill('api.twilio.com');
    await save();
    await fieldError('fields').waitFor();
    expect(await fieldError('fields').textContent()).toContain('Line 2');
    expect(await fields.inputValue()).toBe('account=AC123\nnonsense');
    await fields.fill('account=AC123\ntoken=' + VALUE);
    await byId('secret-name').fill('twilio');
    // A template says where its fields may be placed (docs/forward.md "Placement").
    await byId('secret-placement').fill('header:Authorization');
    await save();
    await pop.locator('[data-testid="secret-row"][data-name="twilio"]').waitFor();
  });

  it('editing: a refused change keeps the edits instead of reverting them', async () => {
    await signedUp();
    await ensureTwilio();
    const row = secretRow('twilio');
    await row.getByTestId('edit-secret').click();
    await byId('secret-hosts').fill('api.twilio.com\nhttps://x/../y');
    await byId('secret-description').fill('prod account');
    await save();
    await fieldError('hosts').waitFor();
    expect(await value('secret-hosts')).toBe('api.twilio.com\nhttps://x/../y');
    expect(await value('secret-description')).toBe('prod account');
    await byId('secret-hosts').fill('api.twilio.com');
    await save();
    await row.getByText('prod account').waitFor();
  });

  it('has an oauth form', async () => {
    await signedUp();
    await openForm();
    await byId('secret-type').selectOption('oauth');
    await byId('secret-name').fill('crm');
    await byId('oauth-token-url').fill('not a url');
    await byId('oauth-client-id').fill('client-1');
    await byId('oauth-client-secret').fill(VALUE);
    await byId('secret-hosts').fill('api.crm.example');
    await save();
    await fieldError('oauth-token-url').waitFor();
    expect(await value('oauth-client-secret')).toBe(VALUE);
    await byId('oauth-token-url').fill('https://auth.crm.example/token');
    await save();
    const row = pop.locator('[data-testid="secret-row"][data-name="crm"]');
    await row.waitFor();
    expect(await row.textContent()).toContain('oauth');
  });

  it('the page, the form and the CLI say the relay refuses private addresses, with the fix', async () => {
    await signedUp();
    await openForm();
    await byId('secret-name').fill('local');
    await byId('secret-value').fill(VALUE);
    await byId('secret-hosts').fill(mock.origin);
    await byId('private-host-hint').waitFor();
    expect(await byId('private-host-hint').textContent()).toContain(
      `KEYHOLE_ALLOW_PRIVATE=127.0.0.2:${mock.port}`,
    );
    await byId('secret-origins').fill(pages.originA);
    await save();
    await pop.locator('[data-testid="secret-row"][data-name="local"]').waitFor();

    const page = witness.watch(await b.context.newPage());
    await page.goto(`${pages.originA}/`);
    const out = await witness.request(page, {
      clientSecretName: 'local',
      url: `${mock.origin}/echo`,
      method: 'POST',
      headers: { Authorization: 'Bearer $CLIENT_SECRET' },
      data: { a: 1 },
    });
    expect(out).toMatchObject({ ok: false, code: 'HOST_NOT_ALLOWED' });
    const message = (out as { message: string }).message;
    expect(message).toContain('refuses private addresses');
    expect(message).toContain(`KEYHOLE_ALLOW_PRIVATE=127.0.0.2:${mock.port}`);
    expect(
      await page.evaluate(async (url) => {
        try {
          await (
            window as unknown as { clientSecretRequest(p: unknown): Promise<unknown> }
          ).clientSecretRequest({
            clientSecretName: 'local',
            url,
            headers: { Authorization: 'Bearer $CLIENT_SECRET' },
          });
          return null;
        } catch (e) {
          return (e as { reason?: string }).reason ?? null;
        }
      }, `${mock.origin}/echo`),
    ).toBe('PRIVATE_ADDRESS');
    expect(JSON.stringify(witness.seen)).not.toContain(VALUE);
    expect(mock.received).toHaveLength(0);
    await page.close();
  });

  it('creating a team shows the team and every secret at once, in a stable vault order', async () => {
    await signedUp();
    await byId('vault-switcher').selectOption('');
    // "Every secret": at least three, whichever tests made them.
    for (let n = await byId('secret-row').count(); n < 3; n++) {
      await popup.addSecret(pop, {
        name: `team-test-${n}`,
        value: VALUE,
        hosts: ['api.example.com'],
      });
    }
    const before = await byId('secret-row').count();
    expect(before).toBeGreaterThan(2);
    for (const name of ['zeta', 'backend']) {
      await byId('team-create-name').fill(name);
      await byId('team-create').click();
      await byId('team-notice')
        .filter({ hasText: `Created team ${name}` })
        .waitFor();
      // The new team is in the menu and selected, its view shows me as owner — no reopening.
      const selected = await byId('vault-switcher').evaluate(
        (el) => (el as HTMLSelectElement).selectedOptions[0]?.textContent ?? '',
      );
      expect(selected).toContain(name);
      await byId('team-view').getByTestId('team-member-row').first().waitFor();
      expect(await byId('no-secrets').textContent()).toContain(`No secrets in ${name} yet`);
    }
    const options = await byId('vault-switcher').locator('option').allTextContents();
    expect(options).toEqual(['All vaults', 'Personal', 'backend (owner)', 'zeta (owner)']);
    // The add form names the team it writes to.
    await openForm();
    expect(
      await byId('secret-vault').evaluate(
        (el) => (el as HTMLSelectElement).selectedOptions[0]?.textContent,
      ),
    ).toContain('backend');
    expect(await byId('save-secret').textContent()).toContain('backend');
    await byId('cancel').click();
    await byId('vault-switcher').selectOption('');
    expect(await byId('secret-row').count()).toBe(before);
    // After Sync, the order is the same.
    await byId('sync').click();
    await byId('sync-status').filter({ hasText: 'Synced' }).waitFor();
    expect(await byId('vault-switcher').locator('option').allTextContents()).toEqual(options);
    await shot(pop, 'main');
  });

  it('a failed invite keeps the email typed', async () => {
    await signedUp();
    await ensureTeam('backend');
    await byId('vault-switcher').selectOption({ label: 'backend (owner)' });
    await byId('team-invite-email').fill('nobody-here@example.com');
    await byId('team-lookup').click();
    await fieldError('invite-email').waitFor();
    expect(await fieldError('invite-email').textContent()).toContain('No Keyhole account');
    expect(await value('team-invite-email')).toBe('nobody-here@example.com');
    await byId('vault-switcher').selectOption('');
  });

  it('relay down: sync says unreachable (not "session expired"), a save keeps the form, the retry works', async () => {
    await signedUp();
    await relay.stop();
    await byId('sync').click();
    await pop.locator('[data-testid="sync-status"][data-state="unreachable"]').waitFor();
    expect(await byId('sync-status').textContent()).toContain('Relay unreachable');
    expect(await byId('sync-status').textContent()).not.toMatch(/UNAUTHENTICATED|expired/);

    await openForm();
    await byId('secret-name').fill('while-down');
    await byId('secret-value').fill(VALUE);
    await byId('secret-hosts').fill('api.example.com');
    await save();
    await byId('error').waitFor({ timeout: 15_000 });
    expect(await byId('error').textContent()).toContain("Can't reach the relay");
    expect(await value('secret-name')).toBe('while-down');
    expect(await value('secret-value')).toBe(VALUE);
    expect(await value('secret-hosts')).toBe('api.example.com');

    await startRelay();
    await save();
    expect(await byId('error').count()).toBe(0);
    await pop.locator('[data-testid="secret-row"][data-name="while-down"]').waitFor();
    await byId('sync').click();
    await pop.locator('[data-testid="sync-status"][data-state="ok"]').waitFor();
  });

  it('sync says "session expired" (not "unreachable") when the relay no longer accepts the session', async () => {
    await signedUp();
    // Stop the worker, then leave it a revoked token and no way to log in again.
    const cdp = await b.context.newCDPSession(pop);
    await cdp.send('ServiceWorker.enable');
    await cdp.send('ServiceWorker.stopAllWorkers');
    await cdp.detach();
    await pop.evaluate(async () => {
      const key = 'keyhole:unlocked';
      const rec = (await chrome.storage.session.get(key))[key] as Record<string, unknown>;
      delete rec.authKey;
      await chrome.storage.session.set({ [key]: { ...rec, token: 'revoked-session-token' } });
    });
    await byId('sync').click();
    await pop.locator('[data-testid="sync-status"][data-state="expired"]').waitFor();
    expect(await byId('sync-status').textContent()).toContain('session expired');
    expect(await byId('sync-status').textContent()).not.toContain('unreachable');
  });

  it('the lock screen says why it locked; a wrong password is pointed at', async () => {
    await signedUp();
    await byId('lock').click();
    await byId('unlock').waitFor();
    expect(await byId('lock-reason').textContent()).toContain('You locked it');
    await byId('master-password').fill('wrong password');
    await byId('unlock').click();
    await fieldError('password').waitFor({ timeout: 15_000 });
    expect(await fieldError('password').textContent()).toContain('Wrong master password');
    await shot(pop, 'locked');
    // After a browser restart there is no reason kept: it says so.
    await pop.evaluate(() => chrome.storage.session.remove('keyhole:lock-reason'));
    await pop.reload();
    await pop.locator('#app[data-ready="1"]').waitFor();
    expect(await byId('lock-reason').textContent()).toContain('restarted');
    await byId('master-password').fill(PASSWORD);
    await byId('unlock').click();
    await byId('lock').waitFor({ timeout: 20_000 });
  });

  it('ships extension icons at 16, 32, 48 and 128 px', () => {
    const manifest = JSON.parse(readFileSync(join(EXTENSION_DIR, 'manifest.json'), 'utf8')) as {
      icons?: Record<string, string>;
      action?: { default_icon?: Record<string, string> };
    };
    for (const size of ['16', '32', '48', '128']) {
      const file = manifest.icons?.[size];
      expect(file).toBeDefined();
      const png = readFileSync(join(EXTENSION_DIR, file!));
      expect(png.subarray(1, 4).toString()).toBe('PNG');
      expect(png.readUInt32BE(16)).toBe(Number(size)); // IHDR width
      expect(manifest.action?.default_icon?.[size]).toBe(file);
    }
  });
});
