// Grants in real Chromium: a page loads the relay's web SDK (GET /v1/web.js) and uses the site
// owner's secret with NO extension installed; another origin is refused by CORS and by the relay;
// `byok: true` uses the visitor's own secret through the extension when it may, else the grant.
// The secret never reaches the page (invariant 1).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initCrypto } from '../../shared/crypto/index.js';
import type { SecretRef } from '../../shared/protocol/forward.js';
import { startForwardWorld, type ForwardWorld } from '../support/forward-fixtures.js';
import { makeGrant, type MadeGrant } from '../support/grant-fixtures.js';
import { call } from '../support/http.js';
import { CHROMIUM, launchWithExtension, openPopup, popup } from './browser.js';
import type { ExtensionBrowser } from './browser.js';

const OWNER_SECRET = 'sk-owner-' + 'Zq81LmVt40Rk';
const VISITOR_SECRET = 'sk-visitor-' + 'Pw27HdNc93Ja';

let w: ForwardWorld;
let ref: SecretRef;
let grant: MadeGrant;
let pageA: Server;
let pageB: Server;
let originA: string;
let originB: string;
let browser: Browser;
const seen: string[] = [];

const html = (relay: string): string => `<!doctype html><meta charset="utf-8"><title>shop</title>
<form id="f"><input name="clientSecretName" value="openai"><input name="url" id="u">
<input name="method" value="POST"><input name="headers[Authorization]" value="Bearer $CLIENT_SECRET">
<input name="data[prompt]" value="hello"><button>go</button></form>
<script type="module">
import { connect } from '${relay}/v1/web.js';
window.connect = connect;
window.__sdk = true;
</script>`;

function serve(host: string, body: string): Promise<{ server: Server; origin: string }> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(body);
  });
  return new Promise((r) =>
    server.listen(0, host, () =>
      r({ server, origin: `http://${host}:${(server.address() as AddressInfo).port}` }),
    ),
  );
}

async function open(b: { newPage(): Promise<Page> }, origin: string): Promise<Page> {
  const page = await b.newPage();
  page.on('console', (m) => seen.push(m.text()));
  page.on('pageerror', (e) => seen.push(String(e)));
  await page.goto(origin);
  await page.waitForFunction(() => (window as unknown as { __sdk?: boolean }).__sdk === true);
  return page;
}

type Outcome = { ok: boolean; value?: unknown; code?: string; status?: number };

/** connect(cfg) then clientSecretRequest(params), in the page. */
async function request(
  page: Page,
  cfg: Record<string, unknown>,
  params: Record<string, unknown>,
): Promise<Outcome> {
  const out = await page.evaluate(
    async ([c, p]) => {
      const k = (
        window as unknown as {
          connect(x: unknown): { clientSecretRequest(x: unknown): Promise<unknown> };
        }
      ).connect(c);
      try {
        return { ok: true, value: await k.clientSecretRequest(p) };
      } catch (e) {
        const err = e as { code?: string; status?: number };
        return { ok: false, code: err.code, status: err.status };
      }
    },
    [cfg, params] as const,
  );
  seen.push(JSON.stringify(out));
  return out as Outcome;
}

const reflect = () => ({
  clientSecretName: 'openai',
  url: `${w.api.url}/reflect`,
  method: 'POST',
  headers: { Authorization: 'Bearer $CLIENT_SECRET' },
  data: { prompt: 'hi' },
});

beforeAll(async () => {
  await initCrypto();
  w = await startForwardWorld();
  ref = await w.addSecret({
    name: 'openai',
    type: 'bearer',
    value: OWNER_SECRET,
    allowedHosts: [`http://${w.api.hostPort}`],
  });
  ({ server: pageA, origin: originA } = await serve('127.0.0.1', html(w.relay.url)));
  ({ server: pageB, origin: originB } = await serve('127.0.0.3', html(w.relay.url)));
  grant = await makeGrant(w.relay.url, w.token, ref, {
    origins: [originA],
    methods: ['POST', 'GET'],
  });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run'],
  });
});

afterAll(async () => {
  await browser?.close();
  await w?.stop();
  pageA?.closeAllConnections();
  pageB?.closeAllConnections();
  await new Promise((r) => pageA?.close(r));
  await new Promise((r) => pageB?.close(r));
});

describe('web SDK with no extension', { timeout: 60_000 }, () => {
  it('an allowed origin calls the API with the owner’s secret; the page never sees it', async () => {
    const page = await open(browser, originA);
    w.api.clear();
    const out = await request(
      page,
      { relay: w.relay.url, grants: { openai: grant.token } },
      reflect(),
    );
    expect(out.ok, JSON.stringify(out)).toBe(true);
    expect(w.api.requests[0]?.headers.authorization).toBe(`Bearer ${OWNER_SECRET}`);
    expect(JSON.stringify(out.value)).toContain('[REDACTED]');
    expect(await page.content()).not.toContain(OWNER_SECRET);
    await page.close();
  });

  it('keyhole.fetch streams, and a form (SubmitEvent) works like Skapi’s', async () => {
    const page = await open(browser, originA);
    const chunks = await page.evaluate(
      async ([relay, token, api]) => {
        const k = (
          window as unknown as {
            connect(x: unknown): { fetch(u: string, i?: unknown): Promise<Response> };
          }
        ).connect({ relay, grants: { openai: token } });
        const res = await k.fetch(`${api}/sse?n=20&delay=20`, {
          headers: { authorization: 'Bearer $(secret:openai)' },
        });
        const reader = res.body!.getReader();
        let n = 0;
        let text = '';
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          n++;
          text += new TextDecoder().decode(value);
        }
        return { n, status: res.status, events: text.split('\n\n').filter(Boolean).length };
      },
      [w.relay.url, grant.token, w.api.url] as const,
    );
    expect(chunks.status).toBe(200);
    expect(chunks.events).toBe(20);
    expect(chunks.n).toBeGreaterThan(1);

    w.api.clear();
    const formOut = await page.evaluate(
      ([relay, token, url]) =>
        new Promise<unknown>((resolve) => {
          const k = (
            window as unknown as {
              connect(x: unknown): { clientSecretRequest(x: unknown): Promise<unknown> };
            }
          ).connect({ relay, grants: { openai: token } });
          const form = document.getElementById('f') as HTMLFormElement;
          (document.getElementById('u') as HTMLInputElement).value = url;
          form.addEventListener('submit', (ev) => {
            k.clientSecretRequest(ev).then(
              (v) => resolve({ ok: true, v }),
              (e: { code?: string }) => resolve({ ok: false, code: e.code }),
            );
          });
          form.requestSubmit();
        }),
      [w.relay.url, grant.token, `${w.api.url}/reflect`] as const,
    );
    seen.push(JSON.stringify(formOut));
    expect(formOut).toMatchObject({ ok: true });
    expect(JSON.parse(w.api.requests[0]!.body)).toEqual({ prompt: 'hello' });
    await page.close();
  });

  it('the page gets the same error codes: UPSTREAM_ERROR with status, GRANT_INVALID, SECRET_NOT_FOUND, ORIGIN_NOT_ALLOWED for a method outside the grant, HOST_NOT_ALLOWED', async () => {
    const page = await open(browser, originA);
    const cfg = { relay: w.relay.url, grants: { openai: grant.token } };
    const up = await request(page, cfg, { ...reflect(), url: `${w.api.url}/reflect?status=418` });
    expect(up).toMatchObject({ ok: false, code: 'UPSTREAM_ERROR', status: 418 });
    expect(await request(page, cfg, { ...reflect(), clientSecretName: 'other' })).toMatchObject({
      code: 'SECRET_NOT_FOUND',
    });
    // A limit of the grant (its methods) vs the secret's own allowed hosts (docs/protocol.md).
    expect(await request(page, cfg, { ...reflect(), method: 'DELETE' })).toMatchObject({
      code: 'ORIGIN_NOT_ALLOWED',
    });
    expect(await request(page, cfg, { ...reflect(), url: `${w.other.url}/reflect` })).toMatchObject(
      {
        code: 'HOST_NOT_ALLOWED',
      },
    );
    const doomed = await makeGrant(w.relay.url, w.token, ref, { origins: [originA] });
    await call(w.relay.url, 'DELETE', `/v1/grants/${doomed.id}`, { token: w.token });
    expect(
      await request(page, { relay: w.relay.url, grants: { openai: doomed.token } }, reflect()),
    ).toMatchObject({ ok: false, code: 'GRANT_INVALID' });
    await page.close();
  });

  it('another origin is refused by CORS and by the relay: nothing reaches the API', async () => {
    const page = await open(browser, originB);
    w.api.clear();
    const out = await request(
      page,
      { relay: w.relay.url, grants: { openai: grant.token } },
      reflect(),
    );
    expect(out).toMatchObject({ ok: false, code: 'RELAY_UNAVAILABLE' });
    expect(w.api.requests).toHaveLength(0);
    await page.close();
  });

  it('byok: true with no extension uses the grant', async () => {
    const page = await open(browser, originA);
    w.api.clear();
    const out = await request(
      page,
      { relay: w.relay.url, grants: { openai: grant.token }, byok: true },
      reflect(),
    );
    expect(out.ok).toBe(true);
    expect(w.api.requests[0]?.headers.authorization).toBe(`Bearer ${OWNER_SECRET}`);
    await page.close();
  });
});

describe('web SDK with the extension (byok)', { timeout: 90_000 }, () => {
  let ext: ExtensionBrowser;

  beforeAll(async () => {
    ext = await launchWithExtension({ fastKdf: true });
    const pop = await openPopup(ext);
    await popup.signup(pop, w.relay.url, `byok-${Date.now()}@example.com`, 'visitor horse battery');
    await popup.addSecret(pop, {
      name: 'openai',
      value: VISITOR_SECRET,
      hosts: [`http://${w.api.hostPort}`],
      origins: [originA],
    });
  });

  afterAll(async () => {
    await ext?.close();
  });

  it('the visitor’s own secret is used where the extension allows this origin; else the grant', async () => {
    const page = await open(ext.context, originA);
    w.api.clear();
    const mine = await request(
      page,
      { relay: w.relay.url, grants: { openai: grant.token, second: grant.token }, byok: true },
      reflect(),
    );
    expect(mine.ok, JSON.stringify(mine)).toBe(true);
    expect(w.api.requests[0]?.headers.authorization).toBe(`Bearer ${VISITOR_SECRET}`);
    // Without byok the page gets the site's grant even though the extension is there.
    w.api.clear();
    const site = await request(
      page,
      { relay: w.relay.url, grants: { openai: grant.token } },
      reflect(),
    );
    expect(site.ok).toBe(true);
    expect(w.api.requests[0]?.headers.authorization).toBe(`Bearer ${OWNER_SECRET}`);
    // A name the visitor does not hold goes to the grant.
    w.api.clear();
    const other = await request(
      page,
      { relay: w.relay.url, grants: { second: grant.token }, byok: true },
      { ...reflect(), clientSecretName: 'second' },
    );
    expect(other.ok, JSON.stringify(other)).toBe(true);
    expect(w.api.requests[0]?.headers.authorization).toBe(`Bearer ${OWNER_SECRET}`);
    await page.close();
  });

  it('no secret in anything the pages saw', () => {
    const all = seen.join('\n');
    expect(all.length).toBeGreaterThan(100);
    expect(all).not.toContain(OWNER_SECRET);
    expect(all).not.toContain(VISITOR_SECRET);
  });
});
