// Fuzz: POST /v1/forward through the production path (startRelay: the relay's own Node listener on a
// loopback port, a SQLite store in memory, the real forwarder; the fault API on 127.0.0.2 as the
// only reachable upstream). Random and mutated
// requests, templates, headers, urls and secret refs never produce a 500, an unknown error code or
// a body/header carrying a secret value or item key — even when the upstream echoes everything.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId, randomBytes, toBase64url } from '../../shared/crypto/index.js';
import { isErrorCode } from '../../shared/errors.js';
import type { LoginResponse } from '../../shared/protocol/index.js';
import { createLogger } from '../../server/logger.js';
import { startRelay, type RunningRelay } from '../../server/main.js';
import { newSecret, newSignup, type TestAccount, type TestSecret } from '../support/account.js';
import { startFaultApi, type FaultApi } from '../support/fault-api.js';
import { assertNoSecret, fuzzRuns, recordCases } from './runs.js';

interface Answer {
  status: number;
  text: string;
  headers: string;
  code: string | null;
}

describe('fuzz: POST /v1/forward', () => {
  const runs = fuzzRuns();
  const timeout = 15_000 + runs * 25;
  let api: FaultApi;
  let relay: RunningRelay;
  const request = (path: string, init: RequestInit): Promise<Response> =>
    fetch(relay.url + path, init);
  let account: TestAccount;
  let good: TestSecret;
  let other: TestSecret;
  let secrets: string[];

  async function send(body: string, token = account.token): Promise<Answer> {
    const res = await request('/v1/forward', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body,
    });
    const text = await res.text();
    return {
      status: res.status,
      text,
      headers: JSON.stringify([...res.headers]),
      code: res.headers.get('keyhole-error'),
    };
  }

  function judge(a: Answer, what: string): void {
    if (a.status >= 500 && (a.code === null || a.code === 'INTERNAL')) {
      throw new Error(`${what}: HTTP ${a.status} ${a.code ?? ''} ${a.text.slice(0, 200)}`);
    }
    if (a.code !== null) {
      expect(isErrorCode(a.code), `unknown code ${a.code}`).toBe(true);
      expect(a.code).not.toBe('INTERNAL');
      const body = JSON.parse(a.text) as { error: { code: string; message: string } };
      expect(body.error.code).toBe(a.code);
      expect(body.error.message).not.toMatch(/\n\s+at /); // no stack trace
    }
    assertNoSecret(a.text, secrets, `${what} body`);
    assertNoSecret(a.headers, secrets, `${what} headers`);
  }

  beforeAll(async () => {
    api = await startFaultApi();
    relay = await startRelay({
      db: ':memory:',
      port: 0,
      host: '127.0.0.1',
      env: {},
      config: { allowPrivate: [api.hostPort], signupsPerIp: 1_000_000, logLevel: 'silent' },
      logger: createLogger({ level: 'silent' }),
      announce: () => undefined,
    });
    const { body, account: acc } = await newSignup();
    const signup = await request('/v1/auth/signup', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(signup.status).toBeLessThan(300);
    const login = await request('/v1/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: acc.email, authKey: acc.authKey }),
    });
    acc.token = ((await login.json()) as LoginResponse).token;
    account = acc;
    const push = async (hosts: string[]) => {
      const { secret, push: p } = newSecret(account, {
        hosts,
        value: `sk-fuzz-${toBase64url(randomBytes(15))}`,
      });
      const res = await request(`/v1/vaults/${account.vaultId}/items`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${account.token}` },
        body: JSON.stringify(p),
      });
      expect(res.status).toBe(200);
      return secret;
    };
    good = await push([`http://${api.hostPort}`]);
    other = await push(['api.example.com']);
    secrets = [good.value, other.value, good.itemKey, other.itemKey];
  });

  afterAll(async () => {
    await api?.close();
    await relay?.close();
  });

  /** A well-formed forward of the good secret to the echo API (a fresh object each call). */
  const validEcho = () => ({
    request: {
      url: `${api.origin}/echo`,
      method: 'POST',
      headers: { authorization: 'Bearer $CLIENT_SECRET' },
      data: { k: '$CLIENT_SECRET' },
    },
    secrets: [
      { name: good.name, vaultId: account.vaultId, itemId: good.itemId, itemKey: good.itemKey },
    ],
  });

  it('sanity: a well-formed request reaches the echo API and comes back scrubbed', async () => {
    const a = await send(JSON.stringify(validEcho()));
    expect(a.status, a.text).toBe(200);
    expect(a.text).toContain('/echo');
    judge(a, 'sanity');
  });

  it('random bodies (not JSON, wrong shapes) are refused cleanly', { timeout }, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ maxLength: 200 }),
          fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
        ),
        async (body) => {
          judge(await send(body), 'random body');
        },
      ),
      { numRuns: runs },
    );
    recordCases('forward.random-bodies', runs);
  });

  it(
    'random templates, headers, urls and refs: never a 500, never a secret in the answer',
    { timeout },
    async () => {
      const names = () => [good.name, other.name];
      const placeholder = fc.constantFrom(
        '$CLIENT_SECRET',
        '$(secret:GOOD)',
        '$(secret:OTHER)',
        '$(secret:GOOD.f)',
        '$(secret:nope)',
        '$(',
        '$',
      );
      const text = fc.oneof(
        fc.string({ maxLength: 30 }),
        placeholder,
        fc
          .tuple(fc.string({ maxLength: 8 }), placeholder, fc.string({ maxLength: 8 }))
          .map((p) => p.join('')),
        fc.constantFrom(
          'a\r\nInjected: 1',
          'x\u0000y',
          'ü\u2028',
          ' '.repeat(3),
          'Bearer $CLIENT_SECRET',
        ),
      );
      const fill = (s: string) =>
        s.replaceAll('GOOD', names()[0]!).replaceAll('OTHER', names()[1]!);
      const url = fc.oneof(
        {
          weight: 4,
          arbitrary: fc
            .tuple(
              fc.constantFrom(
                '/echo',
                '/ok',
                '/nope',
                '/echo/$CLIENT_SECRET',
                '/echo?k=$CLIENT_SECRET',
                '/echo#$CLIENT_SECRET',
                '/%2e%2e/echo',
                '/echo/../ok',
              ),
              fc.string({ maxLength: 12 }),
            )
            .map(([p, s]) => `${api.origin}${p}${s}`),
        },
        {
          weight: 1,
          arbitrary: fc.constantFrom(
            `http://${api.hostPort}@evil.example/`,
            `http://evil.example/?${api.hostPort}`,
            `http://127.0.0.1:${api.port}/echo`,
            `https://${api.hostPort}/echo`,
            `http://$CLIENT_SECRET/echo`,
            `http://${api.host}:$CLIENT_SECRET/echo`,
            `http://${api.hostPort}\\@evil.example/`,
            'https://api.example.com/v1',
            'file:///etc/passwd',
          ),
        },
        { weight: 1, arbitrary: fc.string({ maxLength: 60 }) },
      );
      const headerName = fc.oneof(
        fc.constantFrom(
          'authorization',
          'Host',
          'content-length',
          'Transfer-Encoding',
          'connection',
          'x-api-key',
          'Cookie',
          'te',
          'upgrade',
          'content-type',
          'bad name',
          'x\r\ny',
          '',
        ),
        fc.string({ maxLength: 12 }),
      );
      const goodRef = {
        name: good.name,
        vaultId: account.vaultId,
        itemId: good.itemId,
        itemKey: good.itemKey,
      };
      const randomRef = fc.record({
        name: fc.oneof(fc.constantFrom(...names(), 'nope'), fc.string({ maxLength: 10 })),
        vaultId: fc.constantFrom(account.vaultId, newId(), 'short'),
        itemId: fc.constantFrom(good.itemId, other.itemId, newId()),
        itemKey: fc.constantFrom(good.itemKey, other.itemKey, toBase64url(randomBytes(32)), 'x'),
      });
      const request = fc.record(
        {
          request: fc.record(
            {
              url: url.map(fill),
              method: fc.oneof(
                {
                  weight: 4,
                  arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD'),
                },
                { weight: 1, arbitrary: fc.constantFrom('get', 'TRACE', 'CONNECT', '') },
              ),
              headers: fc
                .tuple(fc.boolean(), fc.dictionary(headerName, text.map(fill), { maxKeys: 4 }))
                .map(([auth, rest]) =>
                  auth ? { authorization: 'Bearer $CLIENT_SECRET', ...rest } : rest,
                ),
              data: fc.oneof(
                fc.jsonValue({ maxDepth: 3 }),
                text.map(fill),
                fc.record({ k: text.map(fill), n: fc.array(text.map(fill), { maxLength: 3 }) }),
              ),
              params: fc.dictionary(
                fc.string({ maxLength: 8 }),
                fc.oneof(text.map(fill), fc.integer(), fc.boolean()),
                { maxKeys: 3 },
              ),
            },
            { requiredKeys: ['url'] },
          ),
          secrets: fc.oneof(
            { weight: 3, arbitrary: fc.constant([goodRef]) },
            {
              weight: 1,
              arbitrary: fc.array(fc.oneof(fc.constant(goodRef), randomRef), {
                minLength: 0,
                maxLength: 3,
              }),
            },
          ),
          origin: fc.string({ maxLength: 20 }),
          expires: fc.oneof(
            { weight: 4, arbitrary: fc.integer({ min: 1, max: 86_400 }) },
            { weight: 1, arbitrary: fc.integer({ min: -5, max: 100_000 }) },
          ),
        },
        { requiredKeys: ['request', 'secrets'] },
      );
      let reachedUpstream = 0;
      await fc.assert(
        fc.asyncProperty(request, async (body) => {
          const a = await send(JSON.stringify(body));
          judge(a, 'template');
          if (a.code === null) reachedUpstream += 1;
        }),
        { numRuns: runs },
      );
      recordCases('forward.templates', runs);
      // The generator must get past validation often enough to exercise substitution and scrubbing.
      expect(reachedUpstream).toBeGreaterThan(runs * 0.03);
    },
  );

  it(
    'a valid request with one field mutated never gets a 500 or a secret back',
    { timeout },
    async () => {
      const valid = validEcho();
      const paths = [
        'request',
        'request.url',
        'request.method',
        'request.headers',
        'request.data',
        'secrets',
        'secrets.0',
        'secrets.0.name',
        'secrets.0.itemKey',
        'secrets.0.itemId',
        'secrets.0.vaultId',
      ];
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...paths),
          fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constant(undefined)),
          async (path, value) => {
            const body = structuredClone(valid) as Record<string, unknown>;
            const keys = path.split('.');
            let at: Record<string, unknown> = body;
            for (const k of keys.slice(0, -1)) at = at[k] as Record<string, unknown>;
            at[keys[keys.length - 1]!] = value;
            judge(await send(JSON.stringify(body)), `mutated ${path}`);
          },
        ),
        { numRuns: runs },
      );
      recordCases('forward.mutations', runs);
    },
  );

  it('bad or missing session tokens get 401 UNAUTHENTICATED', { timeout }, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.string({ maxLength: 60 }), fc.stringMatching(/^[A-Za-z0-9_-]{43}$/)),
        async (token) => {
          const a = await send('{}', token.replace(/[\r\n]/g, ''));
          judge(a, 'token');
          expect(a.status).toBe(401);
        },
      ),
      { numRuns: Math.min(runs, 300) },
    );
    recordCases('forward.tokens', Math.min(runs, 300));
  });
});
