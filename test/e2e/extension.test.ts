// End to end: Chromium with the built extension, a real relay process, a mock API on 127.0.0.2 and
// test pages on two origins. The tests share one browser and one signed-up vault (made in
// beforeAll); each sets up whatever decision it relies on, so any one of them runs alone.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnRelay } from '../support/relay-process.js';
import type { RelayProcess } from '../support/relay-process.js';
import { NOT_NOW_QUIET_MS } from '../../extension/background/approvals.js';
import {
  approvalWindow,
  assertBrowserOpen,
  clickIn,
  currentWorker,
  launchWithExtension,
  noApprovalWindowWithin,
  openPopup,
  popup,
} from './browser.js';
import type { ExtensionBrowser } from './browser.js';
import { PageWitness } from './page-calls.js';
import { startMockApi, startPages, startTrap } from './servers.js';
import type { MockApi, PageServer, Trap } from './servers.js';

const SECRET = 'sk-e2e-' + 'Q7xVb2NpL0aZ9rT4';
const SECOND = 'sk-second-' + 'M3kP8wYc1';
const PASSWORD = 'correct horse battery staple';

let relay: RelayProcess;
let mock: MockApi;
let pages: PageServer;
let trap: Trap;
let b: ExtensionBrowser;
let pop: Page;
const witness = new PageWitness();
const openPages: Page[] = [];

async function visit(url: string): Promise<Page> {
  const page = witness.watch(await b.context.newPage());
  openPages.push(page);
  await page.goto(url);
  return page;
}

async function textOf(page: Page, testid: string): Promise<string | null> {
  const loc = page.getByTestId(testid);
  await loc.waitFor({ timeout: 10_000 });
  return loc.textContent();
}

/** clientSecretRequest({ stream, onStream }) for `openai` as a bearer header: the chunks and the body. */
async function streamOpenai(page: Page, url: string): Promise<{ got: string[]; body: unknown }> {
  const out = await page.evaluate(async (url) => {
    const got: string[] = [];
    const body = await (
      window as unknown as { clientSecretRequest(p: unknown): Promise<unknown> }
    ).clientSecretRequest({
      clientSecretName: 'openai',
      url,
      headers: { Authorization: 'Bearer $CLIENT_SECRET' },
      stream: true,
      onStream: (c: string) => got.push(c),
    });
    return { got, body };
  }, url);
  witness.seen.push(JSON.stringify(out));
  return out;
}

const echo = (name: string, extra: Record<string, unknown> = {}) => ({
  clientSecretName: name,
  url: `${mock.origin}/echo`,
  method: 'POST',
  headers: { Authorization: 'Bearer $CLIENT_SECRET', 'Content-Type': 'application/json' },
  data: { prompt: 'hello' },
  ...extra,
});

/** The popup's "denied this session" rows, as text (reloaded: the popup shows a snapshot). */
async function deniedRows(): Promise<string[]> {
  await pop.reload();
  await pop.locator('#app[data-ready="1"]').waitFor();
  return pop.getByTestId('denied-row').allInnerTexts();
}

/**
 * Make `origin`'s Deny for secret `name` if no earlier test has: a test that relies on a
 * remembered denial sets it up itself, so it runs alone too (`-t`).
 */
async function ensureDenied(origin: string, name: string): Promise<void> {
  const denied = await deniedRows();
  if (denied.some((row) => row.startsWith(`${origin} ✕ ${name}`))) return;
  const page = await visit(`${origin}/`);
  const win = approvalWindow(b);
  const call = witness.request(page, echo(name));
  await clickIn(b, await win, 'deny');
  expect(await call).toMatchObject({ ok: false, code: 'USER_DENIED' });
  await page.close();
}

beforeAll(async () => {
  mock = await startMockApi();
  pages = await startPages();
  trap = await startTrap();
  relay = await spawnRelay({ env: { KEYHOLE_ALLOW_PRIVATE: `127.0.0.2:${mock.port}` } });
  b = await launchWithExtension({ fastKdf: true });
  if (process.env.KEYHOLE_E2E_DEBUG) {
    b.context.on('page', (p) => console.log('page event', p.url()));
    currentWorker(b).on('console', (m) => console.log('SW:', m.text()));
  }
  // The vault every test uses: signed up in the popup, two secrets (openai allowed for A).
  pop = await openPopup(b);
  await popup.signup(pop, relay.url, `e2e-${Date.now()}@example.com`, PASSWORD);
  await popup.addSecret(pop, {
    name: 'openai',
    value: SECRET,
    hosts: [mock.origin],
    origins: [pages.originA],
  });
  await popup.addSecret(pop, { name: 'second', value: SECOND, hosts: [mock.origin] });
}, 90_000);

afterAll(async () => {
  await b?.close();
  await relay?.stop();
  await mock?.close();
  await pages?.close();
  await trap?.close();
});

describe('Keyhole extension', { timeout: 30_000 }, () => {
  it('signs up and adds secrets in the popup', async () => {
    // Signed up and filled in beforeAll (the popup flows themselves: popup.test.ts).
    expect(await pop.getByTestId('secret-row').count()).toBe(2);
    // Masked until an explicit click.
    expect(await pop.locator('#app').innerText()).not.toContain(SECRET);
  });

  it('lets an allowed origin use a secret (the mock receives it, the page gets the body)', async () => {
    const page = await visit(`${pages.originA}/`);
    const out = await witness.request(page, echo('openai'));
    expect(out).toMatchObject({ ok: true, value: { ok: true, method: 'POST', path: '/echo' } });
    const last = mock.received.at(-1);
    expect(last?.headers.authorization).toBe(`Bearer ${SECRET}`);
    expect(JSON.parse(last?.body ?? '{}')).toEqual({ prompt: 'hello' });
    expect(await witness.has(page, 'openai')).toBe(true);
    expect(await witness.has(page, 'second')).toBe(false);
  });

  it('answers not-found and not-allowed alike, without a window', async () => {
    const page = await visit(`${pages.originA}/`);
    const noWindow = noApprovalWindowWithin(b, 800);
    const missing = await witness.request(page, echo('does-not-exist'));
    expect(missing).toMatchObject({ ok: false, code: 'ORIGIN_NOT_ALLOWED' });
    expect(await noWindow).toBe(true);
  });

  it('asks in the approval window: allow once, then deny, then remembers the denial', async () => {
    const page = await visit(`${pages.originB}/`);
    let win = approvalWindow(b);
    let call = witness.request(page, echo('openai'));
    let w = await win;
    expect(await textOf(w, 'approval-origin')).toBe(pages.originB);
    expect(await textOf(w, 'approval-secret')).toBe('openai');
    expect(await textOf(w, 'approval-host')).toBe(`POST ${mock.origin}`);
    await clickIn(b, w, 'approve');
    expect(await call).toMatchObject({ ok: true, value: { ok: true } });

    win = approvalWindow(b);
    call = witness.request(page, echo('openai'));
    w = await win;
    await clickIn(b, w, 'deny');
    expect(await call).toMatchObject({ ok: false, code: 'USER_DENIED' });

    const noWindow = noApprovalWindowWithin(b, 800);
    expect(await witness.request(page, echo('openai'))).toMatchObject({
      ok: false,
      code: 'ORIGIN_NOT_ALLOWED',
    });
    expect(await noWindow).toBe(true);
  });

  it('closing the approval window means "not now": refused once, nothing remembered; "always allow" is', async () => {
    const page = await visit(`${pages.originB}/`);
    // A Deny just before (the test above) quiets B's site for a while (issue #11: re-prompts
    // limited per site).
    await new Promise((r) => setTimeout(r, NOT_NOW_QUIET_MS + 300));
    const deniedBefore = await deniedRows();
    let win = approvalWindow(b);
    let call = witness.request(page, echo('second'));
    await (await win).close();
    expect(await call).toMatchObject({ ok: false, code: 'USER_DENIED' });

    // Not a denial: nothing to forget in the popup, and after a short quiet time it asks again.
    expect(await deniedRows()).toEqual(deniedBefore);
    expect(deniedBefore.some((row) => row.includes('second'))).toBe(false);
    // A second close or deny within minutes: the site's quiet time doubles.
    await new Promise((r) => setTimeout(r, 2 * NOT_NOW_QUIET_MS + 300));
    win = approvalWindow(b);
    call = witness.request(page, echo('second'));
    await clickIn(b, await win, 'approve-always');
    expect(await call).toMatchObject({ ok: true });
    expect(await witness.has(page, 'second')).toBe(true);
    const noWindow = noApprovalWindowWithin(b, 500);
    expect(await witness.request(page, echo('second'))).toMatchObject({ ok: true });
    expect(await noWindow).toBe(true);
    expect(mock.received.at(-1)?.headers.authorization).toBe(`Bearer ${SECOND}`);
  });

  it('judges a cross-origin iframe by its own origin', async () => {
    await ensureDenied(pages.originB, 'openai');
    // B (denied for openai this session) framed inside A (allowed): the frame gets nothing.
    const parent = await visit(
      `${pages.originA}/frame?src=${encodeURIComponent(`${pages.originB}/`)}`,
    );
    const frameB = parent.frames().find((f) => f.url().startsWith(pages.originB));
    expect(frameB).toBeDefined();
    expect(await witness.request(frameB!, echo('openai'))).toMatchObject({
      ok: false,
      code: 'ORIGIN_NOT_ALLOWED',
    });
    // A framed inside B: the frame is allowed although its parent is not.
    const parentB = await visit(
      `${pages.originB}/frame?src=${encodeURIComponent(`${pages.originA}/`)}`,
    );
    const frameA = parentB.frames().find((f) => f.url().startsWith(pages.originA));
    expect(await witness.request(frameA!, echo('openai'))).toMatchObject({ ok: true });
  });

  it('ignores spoofed call messages from another frame or with a foreign shape', async () => {
    await ensureDenied(pages.originB, 'openai');
    const parent = await visit(
      `${pages.originA}/frame?src=${encodeURIComponent(`${pages.originB}/`)}`,
    );
    const frameB = parent.frames().find((f) => f.url().startsWith(pages.originB))!;
    const before = mock.received.length;
    // The framed page posts a well-formed call to its (allowed) parent: the parent's content
    // script must refuse it (event.source is not the parent window), so no answer ever comes.
    const fromFrame = await frameB.evaluate(
      (target) =>
        new Promise<string>((resolve) => {
          const ch = new MessageChannel();
          ch.port1.onmessage = (e) => resolve(JSON.stringify(e.data));
          window.parent.postMessage({ type: 'keyhole:call', id: 'spoof1' }, target, [ch.port2]);
          ch.port1.postMessage({
            op: 'request',
            params: {
              clientSecretName: 'openai',
              url: location.origin.replace('127.0.0.3', '127.0.0.2'),
              headers: { Authorization: '$CLIENT_SECRET' },
            },
          });
          setTimeout(() => resolve('no answer'), 1500);
        }),
      pages.originA,
    );
    expect(fromFrame).toBe('no answer');
    // Extra fields (claiming another origin) make the announcement unacceptable.
    const page = await visit(`${pages.originB}/`);
    const extra = await page.evaluate(
      (mockOrigin) =>
        new Promise<string>((resolve) => {
          const ch = new MessageChannel();
          ch.port1.onmessage = (e) => resolve(JSON.stringify(e.data));
          window.postMessage(
            { type: 'keyhole:call', id: 'spoof2', origin: 'http://127.0.0.1' },
            location.origin,
            [ch.port2],
          );
          ch.port1.postMessage({
            op: 'request',
            params: {
              clientSecretName: 'openai',
              url: `${mockOrigin}/echo`,
              headers: { Authorization: '$CLIENT_SECRET' },
            },
          });
          setTimeout(() => resolve('no answer'), 1500);
        }),
      mock.origin,
    );
    expect(extra).toBe('no answer');
    // A raw call whose params claim to come from A is still judged as B.
    const raw = await page.evaluate(
      ({ mockOrigin, claimed }) =>
        new Promise<string>((resolve) => {
          const ch = new MessageChannel();
          ch.port1.onmessage = (e) => resolve(JSON.stringify(e.data));
          window.postMessage({ type: 'keyhole:call', id: 'spoof3' }, location.origin, [ch.port2]);
          ch.port1.postMessage({
            op: 'request',
            params: {
              clientSecretName: 'openai',
              origin: claimed,
              url: `${mockOrigin}/echo`,
              headers: { Authorization: '$CLIENT_SECRET' },
            },
          });
          setTimeout(() => resolve('no answer'), 3000);
        }),
      { mockOrigin: mock.origin, claimed: pages.originA },
    );
    witness.seen.push(fromFrame, extra, raw);
    expect(JSON.parse(raw)).toMatchObject({ t: 'error', error: { code: 'ORIGIN_NOT_ALLOWED' } });
    expect(mock.received.length).toBe(before);
  });

  it('streams keyhole.fetch() responses chunk by chunk', async () => {
    const page = await visit(`${pages.originA}/`);
    const out = await witness.fetch(page, `${mock.origin}/stream`, {
      headers: { Authorization: 'Bearer $(secret:openai)' },
    });
    expect(out).toMatchObject({
      ok: true,
      status: 200,
      text: 'chunk-0\nchunk-1\nchunk-2\nchunk-3\nchunk-4\n',
    });
    expect((out as { chunks: number }).chunks).toBeGreaterThan(1);
    expect(mock.received.at(-1)?.headers.authorization).toBe(`Bearer ${SECRET}`);
    // Request mode with stream + onStream.
    const pieces = await streamOpenai(page, `${mock.origin}/stream`);
    expect(pieces.got.join('')).toBe(pieces.body);
    expect(pieces.got.length).toBeGreaterThan(1);
  });

  it('supports Skapi form mode (SubmitEvent, number fields)', async () => {
    const page = await visit(`${pages.originA}/`);
    const before = page.url();
    await page.evaluate(
      ({ url }) => {
        const f = document.getElementById('f') as HTMLFormElement;
        (f.elements.namedItem('clientSecretName') as HTMLInputElement).value = 'openai';
        (f.elements.namedItem('url') as HTMLInputElement).value = url;
        const w = window as unknown as {
          clientSecretRequest(e: Event): Promise<unknown>;
          __form?: unknown;
        };
        f.addEventListener('submit', (e) => {
          w.clientSecretRequest(e).then(
            (r) => (w.__form = { ok: true, r }),
            (err: { code: string }) => (w.__form = { ok: false, code: err.code }),
          );
        });
      },
      { url: `${mock.origin}/echo` },
    );
    await page.locator('input[type=submit]').click();
    await page.waitForFunction(
      () => (window as unknown as { __form?: unknown }).__form !== undefined,
    );
    const result = await page.evaluate(() => (window as unknown as { __form?: unknown }).__form);
    witness.seen.push(JSON.stringify(result));
    expect(result).toMatchObject({ ok: true, r: { ok: true, method: 'POST' } });
    expect(page.url()).toBe(before);
    expect(JSON.parse(mock.received.at(-1)?.body ?? '{}')).toEqual({ n: 3, prompt: 'an otter' });
  });

  it('reports request errors with their codes', async () => {
    const page = await visit(`${pages.originA}/`);
    const upstream = await witness.request(page, echo('openai', { url: `${mock.origin}/fail` }));
    expect(upstream).toMatchObject({
      ok: false,
      code: 'UPSTREAM_ERROR',
      status: 401,
      body: { error: 'bad key' },
    });
    expect(
      await witness.request(page, echo('openai', { url: 'https://example.com/x' })),
    ).toMatchObject({
      ok: false,
      code: 'HOST_NOT_ALLOWED',
    });
    expect(
      await witness.request(page, echo('openai', { headers: { Authorization: 'none' } })),
    ).toMatchObject({
      ok: false,
      code: 'PLACEHOLDER_MISSING',
    });
    expect(await witness.request(page, echo('openai', { method: 'BREW' }))).toMatchObject({
      ok: false,
      code: 'INVALID_REQUEST',
    });
    // A hostile upstream that reflects the credential: the page gets it scrubbed, not the secret.
    const before = mock.received.length;
    const reflected = await witness.request(
      page,
      echo('openai', { url: `${mock.origin}/reflect` }),
    );
    expect(mock.received.slice(before).map((r) => r.headers.authorization)).toEqual([
      `Bearer ${SECRET}`,
    ]);
    expect(reflected).toEqual({ ok: true, value: 'you sent Bearer [REDACTED]' });
  });

  it('scrubs an echoing upstream error, and onStream chunks split inside the secret', async () => {
    const page = await visit(`${pages.originA}/`);
    const before = mock.received.length;
    const failed = await witness.request(page, echo('openai', { url: `${mock.origin}/fail-echo` }));
    expect(failed).toEqual({
      ok: false,
      code: 'UPSTREAM_ERROR',
      name: 'KeyholeError',
      message: expect.any(String),
      status: 401,
      body: { error: 'bad key', got: 'Bearer [REDACTED]' },
    });
    const streamed = await streamOpenai(page, `${mock.origin}/reflect-stream`);
    expect(streamed.body).toBe('you sent Bearer [REDACTED]\n');
    expect(streamed.got.join('')).toBe(streamed.body);
    expect(mock.received.slice(before).map((r) => r.headers.authorization)).toEqual([
      `Bearer ${SECRET}`,
      `Bearer ${SECRET}`,
    ]);
  });

  it('never follows an upstream redirect: the page gets UPSTREAM_ERROR, the other host nothing', async () => {
    const page = await visit(`${pages.originA}/`);
    const before = mock.received.length;
    const url = `${mock.origin}/redirect?to=${encodeURIComponent(trap.origin)}`;
    // The relay passes the 302 back; the service worker's fetch (redirect: 'manual') sees an
    // opaque redirect, which the SDK reports as UPSTREAM_ERROR.
    expect(await witness.request(page, echo('openai', { url }))).toMatchObject({
      ok: false,
      code: 'UPSTREAM_ERROR',
    });
    expect(
      await witness.fetch(page, url, {
        method: 'POST',
        headers: { Authorization: 'Bearer $(secret:openai)' },
        body: '{}',
      }),
    ).toMatchObject({ ok: false, code: 'UPSTREAM_ERROR' });
    // Both calls reached the upstream with the secret, and went no further.
    expect(mock.received.slice(before).map((r) => r.headers.authorization)).toEqual([
      `Bearer ${SECRET}`,
      `Bearer ${SECRET}`,
    ]);
    await new Promise((r) => setTimeout(r, 300));
    expect({ connections: trap.connections, requests: trap.requests }).toEqual({
      connections: 0,
      requests: [],
    });
  });

  it('rejects a polled request that outlives its expiry with REQUEST_EXPIRED', async () => {
    const page = await visit(`${pages.originA}/`);
    const out = await witness.request(
      page,
      echo('openai', { url: `${mock.origin}/slow?ms=2500`, poll: 200, expires: 1 }),
    );
    expect(out).toMatchObject({ ok: false, code: 'REQUEST_EXPIRED' });
    expect(mock.received.at(-1)?.path).toBe('/slow?ms=2500');
  });

  it('announces itself without anything secret: keyhole:ready detail and window messages', async () => {
    const page = await visit(`${pages.originA}/`);
    // Everything reachable from the event's detail (keys, primitive values, function sources),
    // plus every window `message` seen while a reflecting call runs.
    const seen = await page.evaluate(async (url) => {
      const messages: string[] = [];
      window.addEventListener('message', (e) => {
        try {
          messages.push(JSON.stringify(e.data));
        } catch {
          messages.push(String(e.data));
        }
      });
      const detail = await new Promise<unknown>((resolve) => {
        window.addEventListener('keyhole:ready', (e) => resolve((e as CustomEvent).detail), {
          once: true,
        });
        window.dispatchEvent(new Event('keyhole:request-ready'));
      });
      const out: string[] = [];
      const visited = new Set<unknown>();
      const walk = (v: unknown, depth: number): void => {
        if (v === null || (typeof v !== 'object' && typeof v !== 'function')) {
          out.push(String(v));
          return;
        }
        if (visited.has(v) || depth > 8) return;
        visited.add(v);
        if (typeof v === 'function') out.push(Function.prototype.toString.call(v));
        for (const key of Reflect.ownKeys(v)) {
          out.push(String(key));
          let child: unknown;
          try {
            child = (v as Record<PropertyKey, unknown>)[key];
          } catch {
            continue;
          }
          walk(child, depth + 1);
        }
      };
      walk(detail, 0);
      const value = await (
        window as unknown as { clientSecretRequest(p: unknown): Promise<unknown> }
      ).clientSecretRequest({
        clientSecretName: 'openai',
        url,
        headers: { Authorization: 'Bearer $CLIENT_SECRET' },
      });
      return { detail: out, messages, value };
    }, `${mock.origin}/reflect`);
    witness.seen.push(JSON.stringify(seen));
    // Controls: the walk reached the provider, the call announcement was seen, the call worked.
    expect(seen.detail).toEqual(expect.arrayContaining(['provider', 'clientSecretRequest']));
    expect(seen.messages.some((m) => m.includes('keyhole:call'))).toBe(true);
    expect(seen.value).toBe('you sent Bearer [REDACTED]');
    expect(mock.received.at(-1)?.headers.authorization).toBe(`Bearer ${SECRET}`);
    const text = JSON.stringify(seen);
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(SECOND);
  });

  it('polls queued requests (Skapi poll/queue) until done', async () => {
    const page = await visit(`${pages.originA}/`);
    const out = await witness.request(
      page,
      echo('openai', { poll: 100, queue: 'e2e', expires: 60 }),
    );
    expect(out).toMatchObject({ ok: true, value: { ok: true, method: 'POST' } });
    expect(mock.received.at(-1)?.headers.authorization).toBe(`Bearer ${SECRET}`);
  });

  it('caps a flooding origin with RATE_LIMITED; closing the window refuses the rest', async () => {
    const flooder = pages.originA.replace('127.0.0.1', 'localhost');
    const page = await visit(`${flooder}/`);
    const win = approvalWindow(b);
    const calls = [1, 2, 3, 4, 5].map(() => witness.request(page, echo('openai')));
    const w = await win;
    const codes = (await Promise.race([
      Promise.all(calls.slice(3)),
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error('flood not capped')), 5000),
      ),
    ])) as { code?: string }[];
    expect(codes.map((c) => c.code)).toEqual(['RATE_LIMITED', 'RATE_LIMITED']);
    expect(await w.getByTestId('approval-queue').textContent()).toContain('2 more');
    await w.close();
    expect(
      (await Promise.all(calls.slice(0, 3))).map((c) => (c as { code?: string }).code),
    ).toEqual(['USER_DENIED', 'USER_DENIED', 'USER_DENIED']);
  });

  it('stays unlocked when the service worker is stopped', async () => {
    await currentWorker(b).evaluate(
      () => ((globalThis as unknown as { __marker: number }).__marker = 1),
    );
    const cdp = await b.context.newCDPSession(pop);
    const stopped = new Promise<void>((resolve) => {
      cdp.on(
        'ServiceWorker.workerVersionUpdated',
        (e: { versions: { runningStatus: string }[] }) => {
          if (e.versions.some((v) => v.runningStatus === 'stopped')) resolve();
        },
      );
    });
    await cdp.send('ServiceWorker.enable');
    await cdp.send('ServiceWorker.stopAllWorkers');
    await stopped;
    await cdp.detach();
    const page = await visit(`${pages.originA}/`);
    expect(await witness.request(page, echo('openai'))).toMatchObject({ ok: true });
    // A fresh worker (no marker) answered, from the keys kept in storage.session.
    expect(
      await currentWorker(b).evaluate(
        () => (globalThis as unknown as { __marker?: number }).__marker,
      ),
    ).toBeUndefined();
  });

  it('answers VAULT_LOCKED when locked, and works again after unlock', async () => {
    await pop.reload();
    await popup.lock(pop);
    const page = await visit(`${pages.originA}/`);
    expect(await witness.request(page, echo('openai'))).toMatchObject({
      ok: false,
      code: 'VAULT_LOCKED',
    });
    expect(await witness.has(page, 'openai')).toBe(false);
    await popup.unlock(pop, PASSWORD);
    expect(await witness.request(page, echo('openai'))).toMatchObject({ ok: true });
  });

  it('never shows the secret to a page: values, errors, console, DOM', async () => {
    // Closed pages are skipped below; a closed browser would skip them all.
    await assertBrowserOpen(b, 'scanning the pages for the secret');
    for (const text of witness.seen) {
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain(SECOND);
    }
    for (const line of witness.console) expect(line).not.toContain(SECRET);
    for (const page of openPages) {
      if (page.isClosed()) continue;
      for (const frame of page.frames()) {
        const html = await frame.content();
        expect(html).not.toContain(SECRET);
        expect(html).not.toContain(SECOND);
        // Form control values changed by script are not in the serialised DOM.
        const values = await frame.evaluate(() =>
          [...document.querySelectorAll('input, textarea, select')].map(
            (el) => (el as HTMLInputElement).value,
          ),
        );
        expect(values.join('\n')).not.toContain(SECRET);
      }
    }
  });
});
