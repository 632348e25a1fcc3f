// Secrets that sign and mint (issue #14), end to end through a real relay process: sigv4 checked by
// a mock S3/Bedrock that recomputes the signature with `aws4`; the two HMAC styles checked by a mock
// exchange that refuses stale timestamps; jwt (Google service account, ES256, EdDSA) and
// github-app tokens minted against mock token endpoints that verify the JWTs with `jose`; one
// refresh and one retry on a 401; token endpoints behind the host rules and the SSRF guard; and a
// scan of every answer, log line and database file for keys and minted tokens.
import { generateKeyPairSync } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SecretRef } from '../../shared/protocol/forward.js';
import { parseTypedConfig, type TypedConfig } from '../../shared/protocol/secret-configs.js';
import type { SecretPayload } from '../../shared/protocol/secret.js';
import {
  coinbaseHmac,
  exchangeHmac,
  startMockSigningApis,
  type MockSigningApis,
} from '../support/mock-signing-apis.js';
import { call, type Reply } from '../support/http.js';
import {
  fwd,
  newAccountOn,
  startForwardWorld,
  type ForwardWorld,
} from '../support/forward-fixtures.js';

const rsa = () =>
  generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });

function config(type: Parameters<typeof parseTypedConfig>[0], value: unknown): TypedConfig {
  const parsed = parseTypedConfig(type, value);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.config;
}

describe('forward: secrets that sign and mint', () => {
  let w: ForwardWorld;
  let m: MockSigningApis;
  let hosts: string[];
  const answers: string[] = [];
  const keys: string[] = [];
  const forward = async (body: unknown, token?: string): Promise<Reply> => {
    const res = await w.forward(body, token);
    answers.push(res.text, JSON.stringify([...res.headers]));
    return res;
  };
  const add = (
    name: string,
    type: SecretPayload['type'],
    settings: TypedConfig | Partial<SecretPayload>,
    allowedHosts = hosts,
    as?: Parameters<ForwardWorld['addSecret']>[1],
  ): Promise<SecretRef> =>
    w.addSecret({ name, type, allowedHosts, ...settings } as SecretPayload, as);

  const google = rsa();
  const github = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    // GitHub hands out PKCS#1 ("BEGIN RSA PRIVATE KEY") files.
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  });
  const ec = generateKeyPairSync('ec', {
    namedCurve: 'prime256v1',
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const ed = generateKeyPairSync('ed25519', {
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  keys.push(google.privateKey, github.privateKey, ec.privateKey, ed.privateKey);

  beforeAll(async () => {
    m = await startMockSigningApis();
    w = await startForwardWorld({}, [m.hostPort]);
    hosts = [`http://${m.hostPort}`];
    keys.push(m.aws.secretAccessKey, m.exchange.secret, m.coinbase.secretB64, m.oauth.clientSecret);
    const { createPublicKey } = await import('node:crypto');
    m.github.publicKey = createPublicKey(github.publicKey);
    m.google.issuers.set('sa@proj.iam.gserviceaccount.com', {
      publicKey: createPublicKey(google.publicKey),
      algorithms: ['RS256'],
      scope: 'https://www.googleapis.com/auth/devstorage.read_only',
    });
    m.google.issuers.set('es-client', {
      publicKey: createPublicKey(ec.publicKey),
      algorithms: ['ES256'],
      subject: 'user@example.com',
    });
    m.google.issuers.set('ed-client', {
      publicKey: createPublicKey(ed.publicKey),
      algorithms: ['EdDSA'],
    });
  });
  afterAll(async () => {
    await w?.stop();
    await m?.close();
  });

  const refusal = () => m.refusals.at(-1);

  describe('sigv4', () => {
    const aws = () =>
      config('sigv4', {
        accessKeyId: m.aws.accessKeyId,
        secretAccessKey: m.aws.secretAccessKey,
        region: m.aws.region,
        service: 's3',
      });

    it('signs an S3 GET with a query string exactly as sent (aws4 agrees)', async () => {
      const ref = await add('s3', 'sigv4', aws());
      const res = await forward(
        fwd(
          {
            url: `${m.url}/aws/my-bucket/photos/a%20b.jpg?list-type=2&prefix=a%2Fb&empty=`,
            params: { 'max-keys': 10, marker: 'x*y' },
          },
          [ref],
        ),
      );
      expect(res.status, refusal()).toBe(200);
      const seen = m.seen.at(-1)!;
      expect(seen.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\//);
      expect(seen.headers['x-amz-content-sha256']).toBe(
        'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      );
      expect(seen.path).toContain('max-keys=10');
    });

    it('an S3 key with characters the url leaves raw is sent and signed in S3’s encoding', async () => {
      const ref = await add('s3k', 'sigv4', aws());
      const res = await forward(
        fwd({ url: `${m.url}/aws/bucket/photos/a(1)!*'@:$,;=~x%20y%2Fz.jpg` }, [ref]),
      );
      expect(res.status, refusal()).toBe(200);
      expect(m.seen.at(-1)!.path).toBe(
        '/aws/bucket/photos/a%281%29%21%2A%27%40%3A%24%2C%3B%3D~x%20y/z.jpg',
      );
    });

    it('signs a Bedrock POST body with a session token; the SHA-256 covers the body', async () => {
      m.aws.sessionToken = `FwoGZXIvYXdzE-${'t'.repeat(40)}`;
      keys.push(m.aws.sessionToken);
      try {
        const ref = await add('bedrock', 'sigv4', {
          sigv4: {
            accessKeyId: m.aws.accessKeyId,
            secretAccessKey: m.aws.secretAccessKey,
            sessionToken: m.aws.sessionToken,
            region: m.aws.region,
            service: 'bedrock',
          },
        });
        const body = {
          anthropic_version: 'bedrock-2023-05-31',
          max_tokens: 10,
          messages: [{ role: 'user', content: 'héllo' }],
        };
        const res = await forward(
          fwd(
            {
              url: `${m.url}/aws/model/anthropic.claude-3-haiku-20240307-v1:0/invoke`,
              method: 'POST',
              headers: { 'content-type': 'application/json', accept: 'application/json' },
              data: body,
            },
            [ref],
          ),
        );
        expect(res.status, refusal()).toBe(200);
        expect(JSON.parse(res.json.body)).toEqual(body);
        const seen = m.seen.at(-1)!;
        expect(seen.headers['x-amz-security-token']).toBe(m.aws.sessionToken);
        expect(String(seen.headers.authorization)).toContain('x-amz-security-token');

        // The answer streams through, chunk by chunk (Bedrock's response stream).
        const stream = await forward(
          fwd(
            {
              url: `${m.url}/aws/model/m/invoke-with-response-stream`,
              method: 'POST',
              data: body,
            },
            [ref],
          ),
        );
        expect(stream.status, refusal()).toBe(200);
        expect(stream.text).toBe('event-0;event-1;event-2;');
      } finally {
        delete m.aws.sessionToken;
      }
    });

    it('the mock refuses a wrong key and a body changed after signing (it can fail)', async () => {
      const wrong = await add('wrong', 'sigv4', {
        sigv4: { ...(aws() as { sigv4: object }).sigv4, secretAccessKey: 'not-the-key-000' },
      } as TypedConfig);
      const res = await forward(fwd({ url: `${m.url}/aws/b/k` }, [wrong]));
      expect(res.status).toBe(403);
      expect(refusal()).toBe('SignatureDoesNotMatch');
    });

    it('UNSIGNED-PAYLOAD when the caller asks; the marker header; no placeholder needed', async () => {
      const ref = await add('s3u', 'sigv4', aws());
      const put = await forward(
        fwd(
          {
            url: `${m.url}/aws/b/upload.txt`,
            method: 'PUT',
            headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD', 'content-type': 'text/plain' },
            data: 'file body',
          },
          [ref],
        ),
      );
      expect(put.status, refusal()).toBe(200);
      expect(m.seen.at(-1)!.headers['x-amz-content-sha256']).toBe('UNSIGNED-PAYLOAD');
      // keyhole.fetch names the secret with a placeholder: the whole Authorization header.
      const marked = await forward(
        fwd({ url: `${m.url}/aws/b/k`, headers: { Authorization: '$(secret:s3u)' } }, [ref]),
      );
      expect(marked.status, refusal()).toBe(200);
      // A caller-set date or signature is replaced, not trusted.
      const forged = await forward(
        fwd(
          {
            url: `${m.url}/aws/b/k`,
            headers: { 'x-amz-date': '20000101T000000Z', authorization: 'AWS4-HMAC-SHA256 x' },
          },
          [ref],
        ),
      );
      expect(forged.status, refusal()).toBe(200);
    });

    it('the signing key is never substituted: a placeholder outside a whole header is refused', async () => {
      const ref = await add('s3x', 'sigv4', aws());
      const before = m.seen.length;
      for (const request of [
        { url: `${m.url}/aws/b/k?sig=$(secret:s3x)` },
        { url: `${m.url}/aws/b/k`, method: 'POST', data: { key: '$CLIENT_SECRET' } },
        { url: `${m.url}/aws/b/k`, headers: { 'x-leak': 'prefix $(secret:s3x)' } },
      ]) {
        const res = await forward(fwd(request, [ref]));
        expect(res.json.error.code).toBe('INVALID_REQUEST');
      }
      expect(m.seen.length).toBe(before);
      // A plain secret still needs a placeholder.
      const plain = await add('pl', 'plain', { value: 'plain-value-000111' });
      const none = await forward(fwd({ url: `${m.url}/aws/b/k` }, [plain]));
      expect(none.json.error.code).toBe('PLACEHOLDER_MISSING');
      // Two signing secrets cannot both sign.
      const two = await forward(
        fwd({ url: `${m.url}/aws/b/k` }, [ref, await add('s3y', 'sigv4', aws())]),
      );
      expect(two.json.error.code).toBe('INVALID_REQUEST');
    });
  });

  describe('hmac', () => {
    it('exchange style: timestamp param first, hex HMAC of query+body appended last', async () => {
      const ref = await add('ex', 'hmac', config('hmac', exchangeHmac(m)));
      const get = await forward(
        fwd(
          {
            url: `${m.url}/exchange/api/v3/openOrders?symbol=BTCUSDT`,
            headers: { 'X-MBX-APIKEY': '$(secret:ex.apiKey)' },
            params: { recvWindow: 5000 },
          },
          [ref],
        ),
      );
      expect(get.status, refusal()).toBe(200);
      const seen = m.seen.at(-1)!;
      expect(seen.path).toMatch(
        /^\/exchange\/api\/v3\/openOrders\?symbol=BTCUSDT&recvWindow=5000&timestamp=\d{13}&signature=[0-9a-f]{64}$/,
      );
      const post = await forward(
        fwd(
          {
            url: `${m.url}/exchange/api/v3/order`,
            method: 'POST',
            headers: {
              'X-MBX-APIKEY': '$(secret:ex.apiKey)',
              'content-type': 'application/x-www-form-urlencoded',
            },
            data: { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', quantity: '1' },
          },
          [ref],
        ),
      );
      expect(post.status, refusal()).toBe(200);

      // The mock refuses the same signed request once its timestamp is stale (replay).
      m.exchange.windowMs = 300;
      await new Promise((r) => setTimeout(r, 400));
      const replay = await fetch(`${m.url}${seen.path}`, {
        headers: { 'x-mbx-apikey': m.exchange.apiKey },
      });
      expect(replay.status).toBe(400);
      expect(refusal()).toBe('timestamp outside recvWindow');
      // … while the relay's fresh timestamp passes the same narrow window.
      expect(
        (
          await forward(
            fwd(
              {
                url: `${m.url}/exchange/api/v3/openOrders?symbol=X`,
                headers: { 'X-MBX-APIKEY': '$(secret:ex.apiKey)' },
              },
              [ref],
            ),
          )
        ).status,
        refusal(),
      ).toBe(200);
      m.exchange.windowMs = 5000;
    });

    it('Coinbase style: base64(HMAC(base64-decoded key, timestamp+method+path+body)) in headers', async () => {
      const ref = await add('cb', 'hmac', config('hmac', coinbaseHmac(m)));
      const headers = {
        'CB-ACCESS-KEY': '$(secret:cb.key)',
        'CB-ACCESS-PASSPHRASE': '$(secret:cb.passphrase)',
        'content-type': 'application/json',
      };
      const res = await forward(
        fwd(
          {
            url: `${m.url}/coinbase/orders?product_id=BTC-USD`,
            method: 'POST',
            headers,
            data: { size: '0.01', price: '0.100', side: 'buy', product_id: 'BTC-USD' },
          },
          [ref],
        ),
      );
      expect(res.status, refusal()).toBe(200);
      const seen = m.seen.at(-1)!;
      expect(seen.headers['cb-access-timestamp']).toMatch(/^\d{10}$/);
      const get = await forward(fwd({ url: `${m.url}/coinbase/accounts`, headers }, [ref]));
      expect(get.status, refusal()).toBe(200);

      m.coinbase.windowSec = 1;
      await new Promise((r) => setTimeout(r, 2100));
      const replay = await fetch(`${m.url}${seen.path}`, {
        method: 'POST',
        headers: Object.fromEntries(
          Object.entries(seen.headers).filter(([k]) => k.startsWith('cb-') || k === 'content-type'),
        ) as Record<string, string>,
        body: seen.body,
      });
      expect(replay.status).toBe(401);
      expect(refusal()).toBe('stale timestamp');
      m.coinbase.windowSec = 30;
    });
  });

  describe('jwt and github-app', () => {
    const saJson = () => ({
      type: 'service_account',
      project_id: 'proj',
      private_key_id: 'kid-1',
      private_key: google.privateKey,
      client_email: 'sa@proj.iam.gserviceaccount.com',
      client_id: '1234',
      token_uri: `${m.url}/google/token`,
      scope: 'https://www.googleapis.com/auth/devstorage.read_only',
    });

    it('a Google service-account JSON as is: assertion verified, token cached and substituted', async () => {
      const ref = await add('gcp', 'jwt', config('jwt', saJson()));
      const issued = m.google.issued.length;
      const one = await forward(
        fwd(
          {
            url: `${m.url}/google/storage/v1/b`,
            headers: { Authorization: 'Bearer $CLIENT_SECRET' },
          },
          [ref],
        ),
      );
      expect(one.status, refusal()).toBe(200);
      expect(m.google.issued.length).toBe(issued + 1);
      expect(m.seen.at(-1)!.headers.authorization).toBe(`Bearer ${m.google.issued.at(-1)}`);
      expect(one.json.echo).toBe('Bearer [REDACTED]');
      const two = await forward(
        fwd(
          {
            url: `${m.url}/google/storage/v1/b`,
            headers: { Authorization: 'Bearer $CLIENT_SECRET' },
          },
          [ref],
        ),
      );
      expect(two.status).toBe(200);
      expect(m.google.issued.length).toBe(issued + 1); // cached
    });

    it('ES256 (with subject) and EdDSA assertions', async () => {
      const es = await add(
        'es',
        'jwt',
        config('jwt', {
          privateKey: ec.privateKey,
          algorithm: 'ES256',
          issuer: 'es-client',
          subject: 'user@example.com',
          audience: `${m.url}/google/token`,
          tokenUrl: `${m.url}/google/token`,
        }),
      );
      const edRef = await add(
        'ed',
        'jwt',
        config('jwt', {
          privateKey: ed.privateKey,
          algorithm: 'EdDSA',
          issuer: 'ed-client',
          audience: `${m.url}/google/token`,
          tokenUrl: `${m.url}/google/token`,
        }),
      );
      for (const ref of [es, edRef]) {
        const res = await forward(
          fwd({ url: `${m.url}/api/x`, headers: { Authorization: 'Bearer $CLIENT_SECRET' } }, [
            ref,
          ]),
        );
        expect(res.status, refusal()).toBe(200);
      }
      // A key that does not fit the algorithm is refused before anything is sent.
      const bad = await add(
        'badalg',
        'jwt',
        config('jwt', {
          privateKey: ed.privateKey,
          algorithm: 'RS256',
          issuer: 'ed-client',
          audience: 'a',
          tokenUrl: `${m.url}/google/token`,
        }),
      );
      const before = m.seen.length;
      const res = await forward(
        fwd({ url: `${m.url}/api/x`, headers: { Authorization: 'Bearer $CLIENT_SECRET' } }, [bad]),
      );
      expect(res.json.error.code).toBe('INVALID_REQUEST');
      expect(res.text).not.toContain('PRIVATE KEY');
      expect(m.seen.length).toBe(before);
    });

    it('github-app: app JWT verified, installation token must arrive on the API call', async () => {
      const ref = await add(
        'gh',
        'github-app',
        config('github-app', {
          appId: Number(m.github.appId),
          privateKey: github.privateKey,
          installationId: m.github.installationId,
          baseUrl: `${m.url}/github`,
        }),
      );
      const res = await forward(
        fwd(
          {
            url: `${m.url}/github/repos/octo/hello/issues`,
            headers: {
              Authorization: 'token $CLIENT_SECRET',
              accept: 'application/vnd.github+json',
            },
          },
          [ref],
        ),
      );
      expect(res.status, refusal()).toBe(200);
      expect(m.github.issued.length).toBe(1);
      expect(m.seen.at(-1)!.headers.authorization).toBe(`token ${m.github.issued[0]}`);
      expect(res.json.echo).toBe('token [REDACTED]');
    });

    it('a 401 makes the relay refresh once and retry once (jwt, github-app, oauth)', async () => {
      const gcp = await add('gcp2', 'jwt', config('jwt', saJson()));
      const gh = await add(
        'gh2',
        'github-app',
        config('github-app', {
          appId: m.github.appId,
          privateKey: github.privateKey,
          installationId: m.github.installationId,
          baseUrl: `${m.url}/github`,
        }),
      );
      const oauth = await add('oa', 'oauth', {
        oauth: {
          grant: 'client_credentials',
          tokenUrl: `${m.url}/oauth/token`,
          clientId: m.oauth.clientId,
          clientSecret: m.oauth.clientSecret,
        },
      });
      const cases = [
        {
          ref: gcp,
          url: `${m.url}/google/v1/x`,
          auth: 'Bearer $CLIENT_SECRET',
          issued: m.google.issued,
        },
        {
          ref: gh,
          url: `${m.url}/github/user`,
          auth: 'token $CLIENT_SECRET',
          issued: m.github.issued,
        },
        {
          ref: oauth,
          url: `${m.url}/api/y`,
          auth: 'Bearer $CLIENT_SECRET',
          issued: m.oauth.issued,
        },
      ];
      for (const c of cases) {
        const req = fwd({ url: c.url, headers: { Authorization: c.auth } }, [c.ref]);
        expect((await forward(req)).status, refusal()).toBe(200); // token cached now
        m.revokeAll();
        const issued = c.issued.length;
        const unauthorized = m.unauthorized;
        const calls = m.seen.length;
        const res = await forward(req);
        expect(res.status, refusal()).toBe(200);
        expect(c.issued.length).toBe(issued + 1); // exactly one refresh
        expect(m.unauthorized).toBe(unauthorized + 1); // the 401 was not passed on
        expect(m.seen.length).toBe(calls + 3); // API 401, token endpoint, API again
      }
      // An API that keeps answering 401: one refresh, one retry, then its 401 is passed on.
      const issued = m.google.issued.length;
      const calls = m.seen.length;
      const always = await forward(
        fwd(
          { url: `${m.url}/api/always-401`, headers: { Authorization: 'Bearer $CLIENT_SECRET' } },
          [gcp],
        ),
      );
      expect(always.status).toBe(401);
      expect(m.google.issued.length).toBe(issued + 1);
      expect(m.seen.length).toBe(calls + 3);
    });

    it('a refresh that fails is the answer (the token endpoint’s status), never a loop', async () => {
      m.google.issuers.set('gone@proj.iam.gserviceaccount.com', {
        ...m.google.issuers.get('sa@proj.iam.gserviceaccount.com')!,
      });
      const ref = await add(
        'gone',
        'jwt',
        config('jwt', { ...saJson(), client_email: 'gone@proj.iam.gserviceaccount.com' }),
      );
      const req = fwd(
        { url: `${m.url}/google/v1/gone`, headers: { Authorization: 'Bearer $CLIENT_SECRET' } },
        [ref],
      );
      expect((await forward(req)).status, refusal()).toBe(200);
      m.google.issuers.delete('gone@proj.iam.gserviceaccount.com');
      m.revokeAll();
      const calls = m.seen.length;
      const res = await forward(req);
      expect(res.json.error.code).toBe('UPSTREAM_ERROR');
      expect(res.json.error.status).toBe(400);
      expect(m.seen.length).toBe(calls + 2); // API 401, token endpoint refused: no second API call
    });

    it('the retry works for queued/polled requests too', async () => {
      const gcp = await add('gcp3', 'jwt', config('jwt', saJson()));
      const req = {
        url: `${m.url}/google/v1/q`,
        headers: { Authorization: 'Bearer $CLIENT_SECRET' },
      };
      expect((await forward(fwd(req, [gcp]))).status).toBe(200);
      m.revokeAll();
      const ticket = await forward(fwd(req, [gcp], { poll: 50 }));
      expect(ticket.status).toBe(202);
      let t = ticket.json;
      for (let i = 0; i < 100 && (t.state === 'queued' || t.state === 'running'); i++) {
        await new Promise((r) => setTimeout(r, 50));
        t = (
          await call(w.relay.url, 'GET', `/v1/forward/requests/${t.requestId}`, { token: w.token })
        ).json;
      }
      answers.push(JSON.stringify(t));
      expect(t.state).toBe('done');
      expect(t.response.status).toBe(200);
    });

    it('one account’s token never serves another’s item (same settings, own cache entry)', async () => {
      const other = await newAccountOn(w.relay.url);
      const mine = await add('gcp4', 'jwt', config('jwt', saJson()));
      const theirs = await add('gcp4', 'jwt', config('jwt', saJson()), hosts, other);
      const req = {
        url: `${m.url}/google/v1/z`,
        headers: { Authorization: 'Bearer $CLIENT_SECRET' },
      };
      expect((await forward(fwd(req, [mine]))).status).toBe(200);
      const mineToken = m.seen.at(-1)!.headers.authorization;
      const issued = m.google.issued.length;
      expect((await forward(fwd(req, [theirs]), other.token)).status).toBe(200);
      expect(m.google.issued.length).toBe(issued + 1);
      expect(m.seen.at(-1)!.headers.authorization).not.toBe(mineToken);
    });

    it('token endpoints: plain http only inside the allowed hosts; the SSRF guard applies', async () => {
      const outside = await add('tk1', 'jwt', config('jwt', saJson()), [
        `http://${m.hostPort}/api`,
      ]);
      const r1 = await forward(
        fwd({ url: `${m.url}/api/x`, headers: { Authorization: 'Bearer $CLIENT_SECRET' } }, [
          outside,
        ]),
      );
      expect(r1.json.error.code).toBe('HOST_NOT_ALLOWED');
      const loopback = await add(
        'tk2',
        'jwt',
        config('jwt', { ...saJson(), token_uri: 'https://127.0.0.9:9/token' }),
      );
      const r2 = await forward(
        fwd({ url: `${m.url}/api/x`, headers: { Authorization: 'Bearer $CLIENT_SECRET' } }, [
          loopback,
        ]),
      );
      expect(r2.json.error.code).toBe('HOST_NOT_ALLOWED');
      const ghOut = await add(
        'tk3',
        'github-app',
        config('github-app', {
          appId: m.github.appId,
          privateKey: github.privateKey,
          installationId: m.github.installationId,
          baseUrl: 'http://127.0.0.3:9/github',
        }),
      );
      const r3 = await forward(
        fwd({ url: `${m.url}/github/user`, headers: { Authorization: 'token $CLIENT_SECRET' } }, [
          ghOut,
        ]),
      );
      expect(r3.json.error.code).toBe('HOST_NOT_ALLOWED');
    });
  });

  it('no signing key or minted token in any answer, relay log line or database file', async () => {
    await new Promise((r) => setTimeout(r, 400)); // audit batches
    const tokens = [...m.google.issued, ...m.github.issued, ...m.oauth.issued];
    expect(tokens.length).toBeGreaterThan(8);
    const pemBodies = keys
      .filter((k) => k.includes('PRIVATE KEY'))
      .flatMap((k) => k.split('\n').filter((l) => l.length >= 40 && !l.startsWith('-----')));
    const needles = [...keys, ...tokens, ...pemBodies];
    const files = readdirSync(w.dir).filter((f) => f.startsWith('keyhole.db'));
    expect(files).toContain('keyhole.db');
    const out = w.relay.output();
    expect(out.length).toBeGreaterThan(0);
    const blobs = [
      out,
      ...answers,
      ...files.map((f) => readFileSync(join(w.dir, f)).toString('latin1')),
    ];
    for (const blob of blobs)
      for (const needle of needles)
        expect(blob.includes(needle), 'a key or minted token leaked').toBe(false);
  });
});
