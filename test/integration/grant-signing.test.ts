// A grant is another source of authorisation for the same forward engine, so a secret's placement
// and its signing type hold through a grant exactly as through a session, on a real relay process:
// a header-only secret refuses a placeholder in the query or the body with the session path's
// code; sigv4, hmac and jwt secrets sign or mint, checked by the mock APIs that recompute the
// signatures (test/support/mock-signing-apis.ts); the signing key is never substituted.
import { generateKeyPairSync, createPublicKey } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SecretRef } from '../../shared/protocol/forward.js';
import { parseTypedConfig, type TypedConfig } from '../../shared/protocol/secret-configs.js';
import type { SecretPayload } from '../../shared/protocol/secret.js';
import { grantForward, makeGrant, type GrantReply } from '../support/grant-fixtures.js';
import { startMockSigningApis, type MockSigningApis } from '../support/mock-signing-apis.js';
import { fwd, startForwardWorld, type ForwardWorld } from '../support/forward-fixtures.js';

function config(type: Parameters<typeof parseTypedConfig>[0], value: unknown): TypedConfig {
  const parsed = parseTypedConfig(type, value);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.config;
}

const google = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
});

let w: ForwardWorld;
let m: MockSigningApis;
const answers: string[] = [];

const add = (
  name: string,
  type: SecretPayload['type'],
  settings: TypedConfig | Partial<SecretPayload>,
  allowedHosts = [`http://${m.hostPort}`],
): Promise<SecretRef> => w.addSecret({ name, type, allowedHosts, ...settings } as SecretPayload);

/** A grant of `ref` (any method, any path), used once with `request`. */
async function viaGrant(ref: SecretRef, request: Record<string, unknown>): Promise<GrantReply> {
  const g = await makeGrant(w.relay.url, w.token, ref);
  const r = await grantForward(w.relay.url, g, { request });
  answers.push(r.text, JSON.stringify([...r.headers]));
  return r;
}

const codeOf = (json: unknown): string | undefined =>
  (json as { error?: { code?: string } } | undefined)?.error?.code;
const refusal = () => m.refusals.at(-1);

beforeAll(async () => {
  m = await startMockSigningApis();
  w = await startForwardWorld({}, [m.hostPort]);
  m.google.issuers.set('sa@proj.iam.gserviceaccount.com', {
    publicKey: createPublicKey(google.publicKey),
    algorithms: ['RS256'],
    scope: 'https://www.googleapis.com/auth/devstorage.read_only',
  });
});

afterAll(async () => {
  await w?.stop();
  await m?.close();
});

describe('grant forward: placement, as on the session path', () => {
  it('a header-only secret refuses a placeholder in the query or the body with the same code', async () => {
    const api = `http://${w.api.hostPort}`;
    const bearer = await add(
      'hdr',
      'bearer',
      { value: 'sk-header-only-9e1c', placement: ['header:Authorization'] },
      [api],
    );
    const plain = await add(
      'xkey',
      'plain',
      { value: 'pl-header-only-44f0', placement: ['header:X-Key'] },
      [api],
    );
    w.api.clear();
    for (const [ref, request] of [
      [bearer, { url: `${w.api.url}/reflect?key=$CLIENT_SECRET` }],
      [bearer, { url: `${w.api.url}/reflect`, params: { key: '$CLIENT_SECRET' } }],
      [bearer, { url: `${w.api.url}/reflect`, method: 'POST', data: { prompt: '$CLIENT_SECRET' } }],
      [plain, { url: `${w.api.url}/reflect`, headers: { Authorization: '$CLIENT_SECRET' } }],
      [plain, { url: `${w.api.url}/reflect`, method: 'POST', data: { k: '$CLIENT_SECRET' } }],
    ] as const) {
      const session = await w.forward(fwd(request, [ref]));
      const granted = await viaGrant(ref, request);
      expect(codeOf(session.json), JSON.stringify(request)).toBe('PLACEMENT_NOT_ALLOWED');
      expect(granted.code, JSON.stringify(request)).toBe('PLACEMENT_NOT_ALLOWED');
      expect(granted.status).toBe(session.status);
    }
    expect(w.api.requests).toHaveLength(0);
    // Where it may be placed, it is.
    const ok = await viaGrant(plain, {
      url: `${w.api.url}/reflect`,
      headers: { 'X-Key': '$CLIENT_SECRET' },
    });
    expect(ok.status).toBe(200);
    expect(w.api.requests[0]?.headers['x-key']).toBe('pl-header-only-44f0');
  });
});

describe('grant forward: secrets that sign and mint, as on the session path', () => {
  it('sigv4: signs the request as sent (the mock recomputes it); no placeholder needed', async () => {
    const ref = await add(
      's3',
      'sigv4',
      config('sigv4', {
        accessKeyId: m.aws.accessKeyId,
        secretAccessKey: m.aws.secretAccessKey,
        region: m.aws.region,
        service: 's3',
      }),
    );
    const r = await viaGrant(ref, {
      url: `${m.url}/aws/my-bucket/photos/a.jpg?list-type=2`,
      params: { 'max-keys': 10 },
    });
    expect(r.status, refusal()).toBe(200);
    const seen = m.seen.at(-1)!;
    expect(seen.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\//);
    expect(seen.path).toContain('max-keys=10');
    // The signing key is never substituted, through a grant either (the session path's code).
    const before = m.seen.length;
    const leak = { url: `${m.url}/aws/b/k?sig=$(secret:s3)` };
    expect((await viaGrant(ref, leak)).code).toBe('INVALID_REQUEST');
    expect(codeOf((await w.forward(fwd(leak, [ref]))).json)).toBe('INVALID_REQUEST');
    expect(m.seen.length).toBe(before);
  });

  it('hmac: timestamp then signature appended last, with a non-secret field placed by name', async () => {
    const ref = await add(
      'ex',
      'hmac',
      config('hmac', {
        key: m.exchange.secret,
        message: '{query}{body}',
        signatureQuery: 'signature',
        timestampQuery: 'timestamp',
        timestampUnit: 'ms',
        fields: { apiKey: m.exchange.apiKey },
      }),
    );
    const r = await viaGrant(ref, {
      url: `${m.url}/exchange/api/v3/openOrders?symbol=BTCUSDT`,
      headers: { 'X-MBX-APIKEY': '$(secret:ex.apiKey)' },
      params: { recvWindow: 5000 },
    });
    expect(r.status, refusal()).toBe(200);
    expect(m.seen.at(-1)!.path).toMatch(
      /^\/exchange\/api\/v3\/openOrders\?symbol=BTCUSDT&recvWindow=5000&timestamp=\d{13}&signature=[0-9a-f]{64}$/,
    );
  });

  it('jwt: a Google service account mints a token (cached), substituted as $CLIENT_SECRET', async () => {
    const ref = await add(
      'gcp',
      'jwt',
      config('jwt', {
        type: 'service_account',
        project_id: 'proj',
        private_key_id: 'kid-1',
        private_key: google.privateKey,
        client_email: 'sa@proj.iam.gserviceaccount.com',
        client_id: '1234',
        token_uri: `${m.url}/google/token`,
        scope: 'https://www.googleapis.com/auth/devstorage.read_only',
      }),
    );
    const g = await makeGrant(w.relay.url, w.token, ref);
    const request = {
      url: `${m.url}/google/storage/v1/b`,
      headers: { Authorization: 'Bearer $CLIENT_SECRET' },
    };
    const issued = m.google.issued.length;
    const one = await grantForward(w.relay.url, g, { request });
    answers.push(one.text);
    expect(one.status, refusal()).toBe(200);
    expect(m.google.issued.length).toBe(issued + 1);
    expect(m.seen.at(-1)!.headers.authorization).toBe(`Bearer ${m.google.issued.at(-1)}`);
    expect((one.json as { echo?: string }).echo).toBe('Bearer [REDACTED]');
    const two = await grantForward(w.relay.url, g, { request });
    expect(two.status).toBe(200);
    expect(m.google.issued.length).toBe(issued + 1); // cached
  });

  it('no signing key or minted token in any answer the grant forwards gave', () => {
    const all = answers.join('\n');
    for (const needle of [
      m.aws.secretAccessKey,
      m.exchange.secret,
      ...m.google.issued,
      google.privateKey.split('\n')[1]!,
    ]) {
      expect(all).not.toContain(needle);
    }
  });
});
