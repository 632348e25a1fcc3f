// End to end, issue #14: Chromium with the built extension, a real relay and mock APIs that verify
// what the relay signs and mints. Secrets are made with the popup's per-type forms (AWS Signature
// V4; a Google service-account key file pasted as is); a page calls clientSecretRequest with no
// placeholder for the sigv4 secret and keyhole.fetch for both. Nothing a page sees holds a key or
// a minted token.
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockSigningApis, type MockSigningApis } from '../support/mock-signing-apis.js';
import { spawnRelay, type RelayProcess } from '../support/relay-process.js';
import { launchWithExtension, openPopup, popup } from './browser.js';
import type { ExtensionBrowser } from './browser.js';
import { PageWitness } from './page-calls.js';
import { startPages, type PageServer } from './servers.js';

const PASSWORD = 'correct horse battery staple';

let relay: RelayProcess;
let m: MockSigningApis;
let pages: PageServer;
let b: ExtensionBrowser;
let pop: Page;
const witness = new PageWitness();
const rsa = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
});

async function addWithForm(
  name: string,
  type: string,
  fill: (p: Page) => Promise<void>,
): Promise<void> {
  await pop.getByTestId('add-secret').click();
  await pop.getByTestId('secret-name').fill(name);
  await pop.getByTestId('secret-type').selectOption(type);
  await fill(pop);
  await pop.getByTestId('secret-hosts').fill(`http://${m.hostPort}`);
  await pop.getByTestId('secret-origins').fill(pages.originA);
  await pop.getByTestId('save-secret').click();
  await pop.locator(`[data-testid="secret-row"][data-name="${name}"]`).waitFor({ timeout: 15_000 });
}

async function visit(url: string): Promise<Page> {
  const page = witness.watch(await b.context.newPage());
  await page.goto(url);
  return page;
}

beforeAll(async () => {
  m = await startMockSigningApis();
  m.google.issuers.set('e2e@proj.iam.gserviceaccount.com', {
    publicKey: createPublicKey(rsa.publicKey),
    algorithms: ['RS256'],
    scope: 'https://www.googleapis.com/auth/cloud-platform',
  });
  pages = await startPages();
  relay = await spawnRelay({ env: { KEYHOLE_ALLOW_PRIVATE: m.hostPort } });
  b = await launchWithExtension({ fastKdf: true });
  pop = await openPopup(b);
  await popup.signup(pop, relay.url, `sign-${Date.now()}@example.com`, PASSWORD);
  await addWithForm('aws', 'sigv4', async (p) => {
    await p.getByTestId('sigv4-access-key-id').fill(m.aws.accessKeyId);
    await p.getByTestId('sigv4-secret').fill(m.aws.secretAccessKey);
    await p.getByTestId('sigv4-region').fill(m.aws.region);
    await p.getByTestId('sigv4-service').fill('s3');
  });
  await addWithForm('gcp', 'jwt', async (p) => {
    await p.getByTestId('jwt-google-json').fill(
      JSON.stringify({
        type: 'service_account',
        project_id: 'proj',
        private_key_id: 'k1',
        private_key: rsa.privateKey,
        client_email: 'e2e@proj.iam.gserviceaccount.com',
        client_id: '1',
        token_uri: `${m.url}/google/token`,
      }),
    );
  });
}, 120_000);

afterAll(async () => {
  await b?.close();
  await relay?.stop();
  await m?.close();
  await pages?.close();
});

describe('issue #14: signing and minting secrets from a page', { timeout: 30_000 }, () => {
  it('clientSecretRequest with the sigv4 secret and no placeholder: signed, aws4 agrees', async () => {
    const page = await visit(`${pages.originA}/`);
    const out = await witness.request(page, {
      clientSecretName: 'aws',
      url: `${m.url}/aws/bucket/key.txt`,
      params: { 'list-type': 2 },
    });
    expect(out, m.refusals.at(-1)).toMatchObject({ ok: true, value: { ok: true } });
    expect(m.seen.at(-1)!.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 /);
    await page.close();
  });

  it('keyhole.fetch: sigv4 named by `Authorization: $(secret:aws)`, jwt token minted', async () => {
    const page = await visit(`${pages.originA}/`);
    const out = await page.evaluate(
      async ({ s3, api }) => {
        const w = window as unknown as {
          keyhole: { fetch(u: string, i: unknown): Promise<Response> };
          __ready?: Promise<unknown>;
        };
        await w.__ready;
        const a = await w.keyhole.fetch(s3, {
          method: 'PUT',
          headers: { Authorization: '$(secret:aws)', 'Content-Type': 'text/plain' },
          body: 'uploaded from a page',
        });
        const g = await w.keyhole.fetch(api, {
          headers: { Authorization: 'Bearer $(secret:gcp)' },
        });
        return { s3: a.status, api: (await g.json()) as unknown };
      },
      { s3: `${m.url}/aws/bucket/up.txt`, api: `${m.url}/google/v1/projects` },
    );
    witness.seen.push(JSON.stringify(out));
    expect(out, m.refusals.at(-1)).toEqual({
      s3: 200,
      api: { ok: true, path: '/google/v1/projects', echo: 'Bearer [REDACTED]' },
    });
    expect(m.google.issued.length).toBe(1);
    expect(m.seen.at(-1)!.headers.authorization).toBe(`Bearer ${m.google.issued[0]}`);
    await page.close();
  });

  it('nothing the pages saw holds a key or a minted token', () => {
    const seen = witness.seen.join('\n');
    expect(seen).toContain('[REDACTED]');
    const needles = [
      m.aws.secretAccessKey,
      ...m.google.issued,
      ...rsa.privateKey.split('\n').filter((l) => l.length > 40),
    ];
    for (const n of needles) expect(seen.includes(n), 'a key or token reached a page').toBe(false);
  });
});
