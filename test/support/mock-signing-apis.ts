// Test helper: third-party APIs that verify what the relay signs or mints, each with an
// implementation other than the relay's — a mock S3/Bedrock that recomputes SigV4 with `aws4`, a
// mock exchange (query+body HMAC, `timestamp` param, signature last) and a Coinbase-style API
// (base64 HMAC in headers) that refuse stale timestamps, a Google-style token endpoint and a
// GitHub App token endpoint that verify the JWTs with `jose`, and APIs that take only the tokens
// those endpoints issued (401 otherwise). Loopback only; for tests.
import { createHash, createHmac, randomBytes, timingSafeEqual, type KeyObject } from 'node:crypto';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import aws4 from 'aws4';
import { jwtVerify } from 'jose';
import { readBody } from './mock-api.js';

export interface SeenRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface JwtIssuer {
  publicKey: KeyObject;
  algorithms: string[];
  /** the scope the assertion must carry (undefined: none) */
  scope?: string;
  subject?: string;
}

export interface MockSigningApis {
  url: string;
  hostPort: string;
  seen: SeenRequest[];
  /** why the last refused request was refused */
  refusals: string[];
  aws: AwsCredentials & { region: string };
  exchange: { apiKey: string; secret: string; windowMs: number };
  coinbase: { apiKey: string; secretB64: string; passphrase: string; windowSec: number };
  /** token endpoint (`/google/token`): issuer (client_email) → how to verify its assertions */
  google: { issuers: Map<string, JwtIssuer>; issued: string[]; lifetimeSec: number };
  github: {
    appId: string;
    installationId: string;
    publicKey: KeyObject | null;
    issued: string[];
  };
  /** oauth client_credentials (`/oauth/token`): tokens go into the same set as Google's */
  oauth: { clientId: string; clientSecret: string; issued: string[] };
  /** tokens the API endpoints take; `revokeAll()` makes the next call with an old token a 401 */
  revokeAll(): void;
  /** API calls answered 401 so far */
  unauthorized: number;
  close(): Promise<void>;
}

function header(rec: SeenRequest, name: string): string | undefined {
  const v = rec.headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** SigV4 check with `aws4` (not the relay's signer): signature, date window, body hash, token. */
function verifySigv4(api: MockSigningApis, rec: SeenRequest): string | null {
  const auth = header(rec, 'authorization') ?? '';
  const m =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/.exec(
      auth,
    );
  if (!m) return 'no SigV4 authorization header';
  const [, keyId, , region, service, signedList] = m as unknown as string[];
  if (keyId !== api.aws.accessKeyId) return 'unknown access key';
  if (region !== api.aws.region) return 'wrong region';
  const signed = signedList!.split(';');
  for (const must of ['host', 'x-amz-date', 'x-amz-content-sha256'])
    if (!signed.includes(must)) return `${must} not signed`;
  const amzDate = header(rec, 'x-amz-date') ?? '';
  const when = Date.parse(
    amzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'),
  );
  if (!Number.isFinite(when) || Math.abs(Date.now() - when) > 5 * 60_000)
    return 'request time too skewed';
  const bodyHash = header(rec, 'x-amz-content-sha256');
  if (
    bodyHash !== 'UNSIGNED-PAYLOAD' &&
    bodyHash !== createHash('sha256').update(rec.body).digest('hex')
  )
    return 'x-amz-content-sha256 does not match the body';
  if (api.aws.sessionToken !== undefined) {
    if (header(rec, 'x-amz-security-token') !== api.aws.sessionToken)
      return 'missing or wrong security token';
    if (!signed.includes('x-amz-security-token')) return 'security token not signed';
  }
  const headers: Record<string, string> = {};
  for (const name of signed) headers[name] = header(rec, name) ?? '';
  const signer = new aws4.RequestSigner(
    {
      method: rec.method,
      host: headers.host,
      path: rec.path,
      headers,
      body: rec.body,
      service,
      region,
      doNotModifyHeaders: true,
    } as aws4.Request,
    { accessKeyId: api.aws.accessKeyId, secretAccessKey: api.aws.secretAccessKey },
  ) as unknown as { datetime: string; authHeader(): string };
  signer.datetime = amzDate;
  if (!same(signer.authHeader(), auth)) return 'SignatureDoesNotMatch';
  return null;
}

/** Exchange style: `timestamp` (ms) in the query, signature = hex HMAC of query+body, last param. */
function verifyExchange(api: MockSigningApis, rec: SeenRequest): string | null {
  if (header(rec, 'x-mbx-apikey') !== api.exchange.apiKey) return 'bad api key';
  const q = rec.path.indexOf('?');
  const query = q === -1 ? '' : rec.path.slice(q + 1);
  const m = /^(.*)&signature=([0-9a-f]{64})$/.exec(query);
  if (!m) return 'signature missing or not last';
  const signedPart = m[1]!;
  const ts = Number(new URLSearchParams(signedPart).get('timestamp'));
  if (!Number.isFinite(ts) || Math.abs(Date.now() - ts) > api.exchange.windowMs)
    return 'timestamp outside recvWindow';
  const want = createHmac('sha256', api.exchange.secret)
    .update(signedPart + rec.body)
    .digest('hex');
  return same(want, m[2]!) ? null : 'bad signature';
}

/** Coinbase style: base64(HMAC-SHA256(base64-decoded secret, timestamp + method + path + body)). */
function verifyCoinbase(api: MockSigningApis, rec: SeenRequest): string | null {
  if (header(rec, 'cb-access-key') !== api.coinbase.apiKey) return 'bad api key';
  if (header(rec, 'cb-access-passphrase') !== api.coinbase.passphrase) return 'bad passphrase';
  const ts = header(rec, 'cb-access-timestamp') ?? '';
  if (!/^\d+$/.test(ts) || Math.abs(Date.now() / 1000 - Number(ts)) > api.coinbase.windowSec)
    return 'stale timestamp';
  const want = createHmac('sha256', Buffer.from(api.coinbase.secretB64, 'base64'))
    .update(ts + rec.method + rec.path + rec.body)
    .digest('base64');
  return same(want, header(rec, 'cb-access-sign') ?? '') ? null : 'bad signature';
}

/** The hmac config the mock exchange verifies: query + body signed, ms timestamp, signature last. */
export function exchangeHmac(m: MockSigningApis) {
  return {
    key: m.exchange.secret,
    message: '{query}{body}',
    signatureQuery: 'signature',
    timestampQuery: 'timestamp',
    timestampUnit: 'ms' as const,
    fields: { apiKey: m.exchange.apiKey },
  };
}

/** The hmac config the Coinbase-style API verifies: base64 HMAC and a seconds timestamp in headers. */
export function coinbaseHmac(m: MockSigningApis) {
  return {
    key: m.coinbase.secretB64,
    keyEncoding: 'base64' as const,
    algorithm: 'sha256' as const,
    message: '{timestamp}{method}{path}{body}',
    encoding: 'base64' as const,
    signatureHeader: 'CB-ACCESS-SIGN',
    timestampHeader: 'CB-ACCESS-TIMESTAMP',
    timestampUnit: 's' as const,
    fields: { key: m.coinbase.apiKey, passphrase: m.coinbase.passphrase },
  };
}

export async function startMockSigningApis(host = '127.0.0.5'): Promise<MockSigningApis> {
  const valid = new Set<string>();
  const holder: { server?: Server; url: string } = { url: '' };
  const api: MockSigningApis = {
    url: '',
    hostPort: '',
    seen: [],
    refusals: [],
    aws: {
      accessKeyId: 'AKIDEXAMPLE',
      secretAccessKey: `wJalr-${randomBytes(12).toString('hex')}`,
      region: 'us-east-1',
    },
    exchange: {
      apiKey: `exkey${randomBytes(8).toString('hex')}`,
      secret: `exsecret${randomBytes(16).toString('hex')}`,
      windowMs: 5000,
    },
    coinbase: {
      apiKey: `cbkey${randomBytes(8).toString('hex')}`,
      secretB64: randomBytes(32).toString('base64'),
      passphrase: `pass${randomBytes(6).toString('hex')}`,
      windowSec: 30,
    },
    google: { issuers: new Map(), issued: [], lifetimeSec: 3600 },
    github: { appId: '123456', installationId: '7890', publicKey: null, issued: [] },
    oauth: {
      clientId: 'client-1',
      clientSecret: `cs-${randomBytes(8).toString('hex')}`,
      issued: [],
    },
    revokeAll: () => valid.clear(),
    unauthorized: 0,
    close: () =>
      new Promise<void>((resolve) => {
        holder.server!.closeAllConnections();
        holder.server!.close(() => resolve());
      }),
  };

  const refuse = (res: ServerResponse, status: number, why: string) => {
    api.refusals.push(why);
    json(res, status, { error: why });
  };
  const issue = (list: string[], prefix: string): string => {
    const token = `${prefix}${randomBytes(18).toString('base64url')}`;
    list.push(token);
    valid.add(token);
    return token;
  };

  async function handle(rec: SeenRequest, res: ServerResponse): Promise<void> {
    const path = rec.path.split('?')[0]!;
    if (path.startsWith('/aws/')) {
      const why = verifySigv4(api, rec);
      if (why) return refuse(res, 403, why);
      if (path.endsWith('/invoke-with-response-stream')) {
        res.writeHead(200, { 'content-type': 'application/vnd.amazon.eventstream' });
        for (let i = 0; i < 3; i++) {
          res.write(`event-${i};`);
          await new Promise((r) => setTimeout(r, 20));
        }
        res.end();
        return;
      }
      return json(res, 200, { ok: true, path: rec.path, body: rec.body });
    }
    if (path.startsWith('/exchange/')) {
      const why = verifyExchange(api, rec);
      return why ? refuse(res, 400, why) : json(res, 200, { ok: true, path: rec.path });
    }
    if (path.startsWith('/coinbase/')) {
      const why = verifyCoinbase(api, rec);
      return why ? refuse(res, 401, why) : json(res, 200, { ok: true, path: rec.path });
    }
    if (path === '/google/token') {
      const form = new URLSearchParams(rec.body);
      if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer')
        return refuse(res, 400, 'unsupported_grant_type');
      const assertion = form.get('assertion') ?? '';
      const claims = JSON.parse(
        Buffer.from(assertion.split('.')[1] ?? '', 'base64url').toString() || '{}',
      ) as { iss?: string };
      const issuer = api.google.issuers.get(String(claims.iss));
      if (!issuer) return refuse(res, 400, 'unknown issuer');
      try {
        const { payload } = await jwtVerify(assertion, issuer.publicKey, {
          issuer: claims.iss!,
          audience: `${holder.url}/google/token`,
          algorithms: issuer.algorithms,
          maxTokenAge: '1h',
          requiredClaims: ['iat', 'exp'],
        });
        if (payload.exp! - payload.iat! > 3600) return refuse(res, 400, 'assertion lives too long');
        if (payload.scope !== issuer.scope) return refuse(res, 400, 'wrong scope');
        if (payload.sub !== issuer.subject) return refuse(res, 400, 'wrong subject');
      } catch (err) {
        return refuse(res, 400, `invalid_grant: ${(err as Error).message}`);
      }
      const token = issue(api.google.issued, 'ya29.');
      return json(res, 200, {
        access_token: token,
        token_type: 'Bearer',
        expires_in: api.google.lifetimeSec,
      });
    }
    if (path === '/oauth/token') {
      const basic = Buffer.from(`${api.oauth.clientId}:${api.oauth.clientSecret}`).toString(
        'base64',
      );
      if (header(rec, 'authorization') !== `Basic ${basic}`)
        return refuse(res, 401, 'invalid_client');
      const token = issue(api.oauth.issued, 'oat-');
      return json(res, 200, { access_token: token, token_type: 'Bearer', expires_in: 3600 });
    }
    const gh = /^\/github\/app\/installations\/([^/]+)\/access_tokens$/.exec(path);
    if (gh) {
      if (rec.method !== 'POST') return refuse(res, 404, 'not found');
      if (gh[1] !== api.github.installationId) return refuse(res, 404, 'no such installation');
      const bearer = /^Bearer (.+)$/.exec(header(rec, 'authorization') ?? '')?.[1] ?? '';
      try {
        const { payload, protectedHeader } = await jwtVerify(bearer, api.github.publicKey!, {
          issuer: api.github.appId,
          algorithms: ['RS256'],
        });
        const now = Math.floor(Date.now() / 1000);
        if (protectedHeader.alg !== 'RS256') return refuse(res, 401, 'alg');
        if (payload.iat! > now) return refuse(res, 401, 'iat in the future');
        if (payload.exp! > now + 600) return refuse(res, 401, 'exp too far (10 min max)');
      } catch (err) {
        return refuse(res, 401, `bad app jwt: ${(err as Error).message}`);
      }
      const token = issue(api.github.issued, 'ghs_');
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          token,
          expires_at: new Date(Date.now() + 3600_000).toISOString(),
          permissions: { contents: 'read' },
        }),
      );
      return;
    }
    if (path.startsWith('/github/')) {
      const token = /^token (.+)$/.exec(header(rec, 'authorization') ?? '')?.[1];
      if (!token || !valid.has(token)) {
        api.unauthorized += 1;
        return refuse(res, 401, 'Bad credentials');
      }
      return json(res, 200, { ok: true, path: rec.path, echo: header(rec, 'authorization') });
    }
    if (path.startsWith('/google/') || path.startsWith('/api/')) {
      const token = /^Bearer (.+)$/.exec(header(rec, 'authorization') ?? '')?.[1];
      if (!token || !valid.has(token) || path.endsWith('/always-401')) {
        api.unauthorized += 1;
        return refuse(res, 401, 'UNAUTHENTICATED');
      }
      return json(res, 200, { ok: true, path: rec.path, echo: header(rec, 'authorization') });
    }
    json(res, 404, { error: 'not found' });
  }

  const server = createServer((req, res) => {
    void (async () => {
      const rec: SeenRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: { ...req.headers },
        body: await readBody(req),
      };
      api.seen.push(rec);
      try {
        await handle(rec, res);
      } catch {
        res.destroy();
      }
    })();
  });
  holder.server = server;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  api.url = holder.url = `http://${host}:${port}`;
  api.hostPort = `${host}:${port}`;
  return api;
}
