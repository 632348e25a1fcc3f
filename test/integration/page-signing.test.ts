// Signing and minting secrets from a page: clientSecretRequest (named by clientSecretName, no
// placeholder) and keyhole.fetch (named by `Authorization: $(secret:NAME)`) through the REAL
// background (runPageOp → forwardCall → SDK) and a REAL relay, against mock APIs that verify the
// SigV4 signature (aws4), the HMAC and the minted token. Nothing a page receives holds a key or a
// minted token.
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPageOp, type PageCallDeps } from '../../extension/background/page-calls.js';
import type { BackgroundReply, PageOp } from '../../extension/bridge/messages.js';
import {
  RelayClient,
  VaultStore,
  addSecret,
  pullAll,
  signup,
  updateSecret,
} from '../../shared/client/index.js';
import type { SecretPayload } from '../../shared/protocol/secret.js';
import { FAST_KDF } from '../support/fast-kdf.js';
import {
  coinbaseHmac,
  startMockSigningApis,
  type MockSigningApis,
} from '../support/mock-signing-apis.js';
import { pageCallDeps } from '../support/page-background.js';
import { spawnRelay, type RelayProcess } from '../support/relay-process.js';

const ORIGIN = 'https://app.signing.test';

describe('page bridge and keyhole.fetch with signing and minting secrets', () => {
  let relay: RelayProcess;
  let m: MockSigningApis;
  let deps: PageCallDeps;
  let client: RelayClient;
  let store: VaultStore;
  const seen: BackgroundReply[] = [];
  const rsa = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });

  beforeAll(async () => {
    m = await startMockSigningApis();
    m.google.issuers.set('page@proj.iam.gserviceaccount.com', {
      publicKey: createPublicKey(rsa.publicKey),
      algorithms: ['RS256'],
    });
    relay = await spawnRelay({ env: { KEYHOLE_ALLOW_PRIVATE: m.hostPort } });
    const session = await signup(relay.url, `sig-${Date.now()}@example.test`, 'pw pw pw 123', {
      kdf: FAST_KDF,
    });
    client = new RelayClient({ baseUrl: session.relayUrl, token: session.token });
    store = new VaultStore(session.unlocked);
    await pullAll(client, store);
    const vaultId = store.resolveVault().id;
    const base = {
      allowedHosts: [`http://${m.hostPort}`],
      allowedOrigins: [ORIGIN],
      description: '',
    };
    const payloads: SecretPayload[] = [
      {
        ...base,
        name: 'aws',
        type: 'sigv4',
        sigv4: {
          accessKeyId: m.aws.accessKeyId,
          secretAccessKey: m.aws.secretAccessKey,
          region: m.aws.region,
          service: 's3',
        },
      },
      {
        ...base,
        name: 'cb',
        type: 'hmac',
        hmac: coinbaseHmac(m),
      },
      {
        ...base,
        name: 'gcp',
        type: 'jwt',
        jwt: {
          privateKey: rsa.privateKey,
          algorithm: 'RS256',
          issuer: 'page@proj.iam.gserviceaccount.com',
          audience: `${m.url}/google/token`,
          tokenUrl: `${m.url}/google/token`,
        },
      },
      { ...base, name: 'pl', type: 'plain', value: 'plain-page-value-4410' },
    ];
    for (const p of payloads) await addSecret(client, store, vaultId, p);
    deps = pageCallDeps(store, client);
  });
  afterAll(async () => {
    await relay?.stop();
    await m?.close();
  });

  async function page(op: PageOp): Promise<{ status?: number; body: string; error?: string }> {
    const out: BackgroundReply[] = [];
    await runPageOp(deps, ORIGIN, op, (r) => out.push(r), new AbortController().signal);
    seen.push(...out);
    const head = out.find((r) => r.t === 'head');
    const err = out.find((r) => r.t === 'error');
    return {
      ...(head ? { status: head.status } : {}),
      ...(err ? { error: err.error.code } : {}),
      body: out
        .filter((r): r is Extract<BackgroundReply, { t: 'chunk' }> => r.t === 'chunk')
        .map((r) => Buffer.from(r.b64, 'base64').toString('utf8'))
        .join(''),
    };
  }

  it('clientSecretRequest with a sigv4 secret and no placeholder: signed, verified by aws4', async () => {
    const r = await page({
      op: 'request',
      params: { clientSecretName: 'aws', url: `${m.url}/aws/bucket/k`, params: { a: 'b c' } },
    });
    expect(r.error, m.refusals.at(-1)).toBeUndefined();
    expect(r.status, m.refusals.at(-1)).toBe(200);
    expect(m.seen.at(-1)!.path).toBe('/aws/bucket/k?a=b%20c');
  });

  it('keyhole.fetch names a sigv4 secret with `Authorization: $(secret:aws)`', async () => {
    const r = await page({
      op: 'fetch',
      request: {
        url: `${m.url}/aws/bucket/up.txt`,
        method: 'PUT',
        headers: { authorization: '$(secret:aws)', 'content-type': 'text/plain' },
        body: 'from the page',
      },
    });
    expect(r.status, m.refusals.at(-1)).toBe(200);
    expect(m.seen.at(-1)!.body).toBe('from the page');
  });

  it('hmac (Coinbase style) from both APIs; fields placed, signature computed by the relay', async () => {
    const headers = {
      'CB-ACCESS-KEY': '$(secret:cb.key)',
      'CB-ACCESS-PASSPHRASE': '$(secret:cb.passphrase)',
      'content-type': 'application/json',
    };
    const a = await page({
      op: 'request',
      params: {
        clientSecretName: 'cb',
        url: `${m.url}/coinbase/orders`,
        method: 'POST',
        headers,
        data: { size: '1' },
      },
    });
    expect(a.status, m.refusals.at(-1)).toBe(200);
    const b = await page({
      op: 'fetch',
      request: {
        url: `${m.url}/coinbase/orders`,
        method: 'POST',
        headers,
        body: '{"size":"2"}',
      },
    });
    expect(b.status, m.refusals.at(-1)).toBe(200);
  });

  it('jwt from keyhole.fetch: the minted token arrives and is scrubbed from the answer', async () => {
    const r = await page({
      op: 'fetch',
      request: {
        url: `${m.url}/google/v1/x`,
        method: 'GET',
        headers: { authorization: 'Bearer $(secret:gcp)' },
      },
    });
    expect(r.status, m.refusals.at(-1)).toBe(200);
    expect(JSON.parse(r.body).echo).toBe('Bearer [REDACTED]');
    expect(m.seen.at(-1)!.headers.authorization).toBe(`Bearer ${m.google.issued.at(-1)}`);
  });

  it('a plain secret still needs a placeholder; nothing a page saw holds a key or token', async () => {
    const r = await page({
      op: 'request',
      params: { clientSecretName: 'pl', url: `${m.url}/api/x` },
    });
    expect(r.error).toBe('PLACEHOLDER_MISSING');
    const text = seen
      .map((x) =>
        x.t === 'chunk' ? Buffer.from(x.b64, 'base64').toString('utf8') : JSON.stringify(x),
      )
      .join('\n');
    expect(text.length).toBeGreaterThan(100);
    const needles = [
      m.aws.secretAccessKey,
      m.coinbase.secretB64,
      m.coinbase.passphrase,
      ...m.google.issued,
      ...rsa.privateKey.split('\n').filter((l) => l.length > 40),
    ];
    expect(m.google.issued.length).toBeGreaterThan(0);
    for (const n of needles)
      expect(text.includes(n), 'a key or token reached the page').toBe(false);
  });

  it('a new value replaces every value field: no old key lives on after a change of type', async () => {
    const vaultId = store.resolveVault().id;
    await updateSecret(client, store, vaultId, 'cb', { type: 'bearer', value: 'new-bearer-1' });
    await pullAll(client, store);
    const p = store.getSecret(vaultId, 'cb').payload;
    expect(p.type).toBe('bearer');
    expect(p.hmac).toBeUndefined();
    expect(JSON.stringify(p)).not.toContain(m.coinbase.secretB64);
  });
});
