// End to end, issue #11 (scrubbing and hardening half): Chromium with the built extension, a real
// relay, a hostile upstream. The value a page receives never holds the secret, even when the
// upstream writes it as an escape mix that only JSON parsing turns back into the raw value.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnRelay } from '../helpers/relay-process.js';
import type { RelayProcess } from '../helpers/relay-process.js';
import { currentWorker, launchWithExtension, openPopup, popup } from './browser.js';
import type { ExtensionBrowser } from './browser.js';
import { PageWitness } from './page-calls.js';
import { startMockApi, startPages } from './servers.js';
import type { MockApi, PageServer } from './servers.js';

const SECRET = 'sk-hard-' + 'V9qLm2XcR7tB4wZp';
const PASSWORD = 'correct horse battery staple';

let relay: RelayProcess;
let mock: MockApi;
let pages: PageServer;
let b: ExtensionBrowser;
let pop: Page;
const witness = new PageWitness();

async function visit(url: string): Promise<Page> {
  const page = witness.watch(await b.context.newPage());
  await page.goto(url);
  return page;
}

/** What the mock sends for SECRET: every other character escaped (decodes to SECRET). */
function mixedEscape(value: string): string {
  return [...value]
    .map((c, i) => (i % 2 === 0 ? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}` : c))
    .join('');
}

beforeAll(async () => {
  mock = await startMockApi();
  pages = await startPages();
  relay = await spawnRelay({ env: { KEYHOLE_ALLOW_PRIVATE: `127.0.0.2:${mock.port}` } });
  b = await launchWithExtension();
  await currentWorker(b).evaluate(() =>
    chrome.storage.local.set({
      'keyhole:dev-kdf': { memLimitBytes: 19 * 1024 * 1024, opsLimit: 2 },
    }),
  );
  pop = await openPopup(b);
  await popup.signup(pop, relay.url, `hard-${Date.now()}@example.com`, PASSWORD);
  await popup.addSecret(pop, {
    name: 'openai',
    value: SECRET,
    hosts: [mock.origin],
    origins: [pages.originA],
  });
}, 90_000);

afterAll(async () => {
  await b?.close();
  await relay?.stop();
  await mock?.close();
  await pages?.close();
});

describe(
  'issue #11: the extension scrubs what its own parsing decodes',
  { timeout: 30_000 },
  () => {
    it('the upstream really sends an escape mix that JSON.parse turns into the secret', () => {
      const wire = `{"ok":true,"echo":"${mixedEscape(SECRET)}"}`;
      expect(wire).not.toContain(SECRET);
      expect((JSON.parse(wire) as { echo: string }).echo).toBe(SECRET);
    });

    it('clientSecretRequest resolves with the parsed body, the echo redacted', async () => {
      const page = await visit(`${pages.originA}/`);
      const out = await witness.request(page, {
        clientSecretName: 'openai',
        url: `${mock.origin}/uecho`,
        headers: { Authorization: 'Bearer $CLIENT_SECRET' },
      });
      expect(mock.received.at(-1)?.headers.authorization).toBe(`Bearer ${SECRET}`);
      expect(out).toEqual({ ok: true, value: { ok: true, echo: '[REDACTED]' } });
      await page.close();
    });

    it('an UPSTREAM_ERROR body is scrubbed the same way', async () => {
      const page = await visit(`${pages.originA}/`);
      const out = await witness.request(page, {
        clientSecretName: 'openai',
        url: `${mock.origin}/uecho?status=401`,
        headers: { Authorization: 'Bearer $CLIENT_SECRET' },
      });
      expect(out).toMatchObject({
        ok: false,
        code: 'UPSTREAM_ERROR',
        status: 401,
        body: { ok: true, echo: '[REDACTED]' },
      });
      await page.close();
    });

    it('keyhole.fetch: what the page decodes with response.json() holds no secret', async () => {
      const page = await visit(`${pages.originA}/`);
      const out = await page.evaluate(async (url) => {
        const w = window as unknown as {
          keyhole: { fetch(u: string, i: unknown): Promise<Response> };
          __ready?: Promise<unknown>;
        };
        await w.__ready;
        const res = await w.keyhole.fetch(url, {
          headers: { Authorization: 'Bearer $(secret:openai)' },
        });
        return (await res.json()) as unknown;
      }, `${mock.origin}/uecho`);
      witness.seen.push(JSON.stringify(out));
      expect(out).toEqual({ ok: true, echo: '[REDACTED]' });
      await page.close();
    });

    it('nothing the pages saw holds the secret', () => {
      expect(witness.seen.length).toBeGreaterThanOrEqual(3);
      for (const v of [...witness.seen, ...witness.console]) expect(v).not.toContain(SECRET);
    });
  },
);
