// End to end, issue #11 (consent and placement half): Chromium with the built extension, a real
// relay and a mock API. A hostile page posts the bridge message itself with an object fetch body
// naming a secret it was never allowed: the approval window lists that secret, and on Deny nothing
// arrives. A secret placed in a prompt or nested 33 deep is refused before anything is sent.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnRelay } from '../support/relay-process.js';
import type { RelayProcess } from '../support/relay-process.js';
import { approvalWindow, clickIn, launchWithExtension, openPopup, popup } from './browser.js';
import type { ExtensionBrowser } from './browser.js';
import { PageWitness } from './page-calls.js';
import { startMockApi, startPages } from './servers.js';
import type { MockApi, PageServer } from './servers.js';

const OPENAI = 'sk-consent-' + 'Op3nAiV4lue9x';
const ADMIN = 'sk-consent-' + 'ADMINv4lue7q';
const PASSWORD = 'correct horse battery staple';

let relay: RelayProcess;
let mock: MockApi;
let pages: PageServer;
let b: ExtensionBrowser;
const witness = new PageWitness();

async function visit(url: string): Promise<Page> {
  const page = witness.watch(await b.context.newPage());
  await page.goto(url);
  return page;
}

/** What a hostile page can do without the page API: post the bridge message itself. */
function rawFetch(page: Page, request: Record<string, unknown>): Promise<unknown> {
  return page.evaluate(async (req) => {
    await (window as unknown as { __ready?: Promise<unknown> }).__ready;
    return new Promise((resolve) => {
      const channel = new MessageChannel();
      channel.port1.onmessage = (ev: MessageEvent) => {
        const m = ev.data as { t: string; error?: { code: string }; status?: number };
        if (m.t === 'error') resolve({ code: m.error?.code });
        if (m.t === 'head') resolve({ status: m.status });
      };
      window.postMessage({ type: 'keyhole:call', id: `raw${Date.now()}` }, location.origin, [
        channel.port2,
      ]);
      channel.port1.postMessage({ op: 'fetch', request: req });
    });
  }, request);
}

beforeAll(async () => {
  mock = await startMockApi();
  pages = await startPages();
  relay = await spawnRelay({ env: { KEYHOLE_ALLOW_PRIVATE: `127.0.0.2:${mock.port}` } });
  b = await launchWithExtension({ fastKdf: true });
  const pop = await openPopup(b);
  await popup.signup(pop, relay.url, `consent-${Date.now()}@example.com`, PASSWORD);
  // Bearer secrets: placement defaults to header:Authorization.
  await popup.addSecret(pop, {
    name: 'openai',
    value: OPENAI,
    hosts: [mock.origin],
    origins: [pages.originA],
  });
  await popup.addSecret(pop, { name: 'admin', value: ADMIN, hosts: [mock.origin] });
  // admin2 may be placed in the body field `k` (the popup's "May be placed in").
  await pop.getByTestId('add-secret').click();
  await pop.getByTestId('secret-name').fill('admin2');
  await pop.getByTestId('secret-value').fill(ADMIN);
  await pop.getByTestId('secret-hosts').fill(mock.origin);
  await pop.getByTestId('secret-placement').fill('body:k');
  await pop.getByTestId('save-secret').click();
  await pop.locator('[data-testid="secret-row"][data-name="admin2"]').waitFor({ timeout: 15_000 });
}, 90_000);

afterAll(async () => {
  await b?.close();
  await relay?.stop();
  await mock?.close();
  await pages?.close();
});

describe('issue #11: consent on exactly what is substituted', { timeout: 30_000 }, () => {
  it('an object fetch body naming `admin` (placed in Authorization only): refused, no window, nothing sent', async () => {
    const page = await visit(`${pages.originA}/`);
    const out = await rawFetch(page, {
      url: `${mock.origin}/echo`,
      method: 'POST',
      headers: { authorization: 'Bearer $(secret:openai)' },
      body: { k: '$(secret:admin)' },
    });
    expect(out).toEqual({ code: 'ORIGIN_NOT_ALLOWED' });
    expect(mock.received).toHaveLength(0);
  });

  it('an object fetch body naming `admin2`: the window lists admin2; on Deny nothing arrives', async () => {
    const page = await visit(`${pages.originA}/`);
    const windowOpened = approvalWindow(b);
    const result = rawFetch(page, {
      url: `${mock.origin}/echo`,
      method: 'POST',
      headers: { authorization: 'Bearer $(secret:openai)' },
      body: { k: '$(secret:admin2)' },
    });
    const first = await Promise.race([result.then((r) => ({ r })), windowOpened]);
    if ('r' in (first as object))
      throw new Error(`answered without a window: ${JSON.stringify(first)}`);
    const approval = await windowOpened;
    const names = approval.getByTestId('approval-secret-name');
    await names.first().waitFor();
    expect(await names.allTextContents()).toEqual(['openai', 'admin2']);
    const deny = approval.getByTestId('deny');
    await expect.poll(() => deny.isEnabled(), { timeout: 5_000 }).toBe(true);
    // The click closes the window (sometimes before the click call returns): clickIn allows that,
    // but not a browser that closed.
    await clickIn(b, approval, 'deny');
    expect(await result).toEqual({ code: 'USER_DENIED' });
    expect(JSON.stringify(mock.received)).not.toContain(ADMIN);
    expect(mock.received).toHaveLength(0);
  });

  it('a bearer secret in a prompt: PLACEMENT_NOT_ALLOWED, nothing sent', async () => {
    const page = await visit(`${pages.originA}/`);
    const out = await witness.request(page, {
      clientSecretName: 'openai',
      url: `${mock.origin}/echo`,
      method: 'POST',
      headers: { Authorization: 'Bearer $CLIENT_SECRET' },
      data: { messages: [{ role: 'user', content: 'repeat $CLIENT_SECRET' }] },
    });
    expect(out).toMatchObject({ ok: false, code: 'PLACEMENT_NOT_ALLOWED' });
    expect(mock.received).toHaveLength(0);
  });

  it('a placeholder 33 deep: INVALID_REQUEST, nothing sent', async () => {
    const page = await visit(`${pages.originA}/`);
    let data: unknown = '$(secret:admin)';
    for (let i = 0; i < 33; i++) data = { a: data };
    const out = await witness.request(page, {
      clientSecretName: 'openai',
      url: `${mock.origin}/echo`,
      method: 'POST',
      headers: { Authorization: 'Bearer $CLIENT_SECRET' },
      data,
    });
    expect(out).toMatchObject({ ok: false, code: 'INVALID_REQUEST' });
    expect(mock.received).toHaveLength(0);
  });

  it('control: the same page, placed where allowed, goes through', async () => {
    const page = await visit(`${pages.originA}/`);
    const out = await witness.request(page, {
      clientSecretName: 'openai',
      url: `${mock.origin}/echo`,
      headers: { Authorization: 'Bearer $CLIENT_SECRET' },
    });
    expect(out).toMatchObject({ ok: true });
    expect(mock.received).toHaveLength(1);
    expect(mock.received[0]!.headers.authorization).toBe(`Bearer ${OPENAI}`);
    expect(witness.seen.join('\n')).not.toContain(OPENAI);
  });
});
