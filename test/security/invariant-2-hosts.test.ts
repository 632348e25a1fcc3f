// Invariant 2 through a REAL relay process: a secret reaches no host outside the allowed hosts
// stored inside its item — not through the url (raw ForwardRequests that skip the SDK's check), a
// redirect (direct and queued), a rewritten Host header, a DNS answer, or a placeholder in the host.
// The allowed API is 127.0.0.2, "another host" is 127.0.0.3: it must never receive anything.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RelayClient, readForwardResponse } from '../../shared/client/index.js';
import type { ForwardRequest, SecretRef } from '../../shared/protocol/forward.js';
import { fwd, startForwardWorld, type ForwardWorld } from '../support/forward-fixtures.js';
import { dnsStubEnv, settledTicket, sleep } from './invariant-world.js';

const PLAIN = 'sk-inv2-plain-5f0c9a7e3b1d';
const BASIC_PW = 'inv2-basic-pw-71c3e9';
const TPL_FIELD = 'inv2-template-field-2b8d';
const OAUTH_CS = 'inv2-oauth-client-secret-9e4a';
const HOSTVAL = 'inv2-host-value';

describe('invariant 2: a secret reaches no host outside its allowed hosts', () => {
  let w: ForwardWorld;
  let plain: SecretRef;
  let basic: SecretRef;
  let template: SecretRef;
  let oauth: SecretRef;
  let bothHosts: SecretRef;
  let httpsOnly: SecretRef;
  let hostValue: SecretRef;
  let byName: SecretRef;

  beforeAll(async () => {
    // steal.kh.test resolves to 127.0.0.3, whose IP:port the relay may reach (KEYHOLE_ALLOW_PRIVATE).
    w = await startForwardWorld(
      dnsStubEnv({
        'steal.kh.test': ['127.0.0.3'],
      }),
    );
    const api = `http://${w.api.hostPort}`;
    plain = await w.addSecret({ name: 'p', type: 'plain', value: PLAIN, allowedHosts: [api] });
    basic = await w.addSecret({
      name: 'b',
      type: 'basic',
      username: 'alice',
      password: BASIC_PW,
      allowedHosts: [api],
    });
    template = await w.addSecret({
      name: 't',
      type: 'template',
      fields: { token: TPL_FIELD },
      allowedHosts: [api],
    });
    oauth = await w.addSecret({
      name: 'o',
      type: 'oauth',
      oauth: {
        grant: 'client_credentials',
        tokenUrl: `${w.api.url}/oauth/token`,
        clientId: 'cid',
        clientSecret: OAUTH_CS,
      },
      allowedHosts: [api],
    });
    bothHosts = await w.addSecret({
      name: 'both',
      type: 'plain',
      value: 'inv2-both-hosts-value',
      allowedHosts: [api, `http://${w.other.hostPort}`],
    });
    // No scheme = https only: plain http to the same host:port is not allowed.
    httpsOnly = await w.addSecret({
      name: 'h',
      type: 'plain',
      value: 'inv2-https-only-value',
      allowedHosts: [w.other.hostPort],
    });
    // A value that IS an allowed destination: it must still never be used to choose the host.
    hostValue = await w.addSecret({
      name: 'hv',
      type: 'template',
      value: HOSTVAL,
      fields: { host: w.other.hostPort },
      allowedHosts: [api, `http://${w.other.hostPort}`],
    });
    byName = await w.addSecret({
      name: 'n',
      type: 'plain',
      value: 'inv2-by-name-value',
      allowedHosts: [`http://steal.kh.test:${w.other.port}`],
    });
  });
  afterAll(async () => {
    await w?.stop();
  });

  /** Sends, then checks the other host got nothing (after a pause for anything in flight). */
  async function refusedAndNothingElsewhere(body: unknown, code = 'HOST_NOT_ALLOWED') {
    w.other.clear();
    const apiBefore = w.api.requests.length;
    const issued = w.api.oauth.issued;
    const res = await w.forward(body);
    expect(res.json?.error?.code).toBe(code);
    await sleep(50);
    expect(w.other.requests).toEqual([]);
    expect(w.api.requests.length).toBe(apiBefore);
    expect(w.api.oauth.issued).toBe(issued);
    return res;
  }

  describe("url: the relay re-checks the item's own list (raw ForwardRequest, no SDK check)", () => {
    it.each([
      ['plain', () => plain, 'Bearer $CLIENT_SECRET'],
      ['basic', () => basic, 'Basic $CLIENT_SECRET'],
      ['template', () => template, 'Token $(secret:t.token)'],
      ['oauth (no token fetched either)', () => oauth, 'Bearer $CLIENT_SECRET'],
    ])('%s secret sent to the other host is refused', async (_type, ref, header) => {
      await refusedAndNothingElsewhere(
        fwd({ url: `${w.other.url}/steal`, headers: { authorization: header } }, [ref()]),
      );
    });

    it('every secret of a request must allow the destination, not only the first', async () => {
      await refusedAndNothingElsewhere(
        fwd(
          {
            url: `${w.other.url}/steal`,
            headers: { a: '$CLIENT_SECRET', b: '$(secret:p)' },
          },
          [bothHosts, plain],
        ),
      );
      // …even one that the template does not use.
      await refusedAndNothingElsewhere(
        fwd({ url: `${w.other.url}/steal`, headers: { a: '$CLIENT_SECRET' } }, [bothHosts, plain]),
      );
    });

    it('an entry without a scheme allows https only: plain http to it is refused', async () => {
      await refusedAndNothingElsewhere(
        fwd({ url: `${w.other.url}/steal`, headers: { a: '$CLIENT_SECRET' } }, [httpsOnly]),
      );
    });

    it('the request cannot widen the list: extra fields claiming allowedHosts are ignored', async () => {
      const ref = { ...plain, allowedHosts: [`http://${w.other.hostPort}`] };
      w.other.clear();
      const res = await w.forward({
        request: {
          url: `${w.other.url}/steal`,
          headers: { a: '$CLIENT_SECRET' },
          allowedHosts: [`http://${w.other.hostPort}`],
        },
        secrets: [ref],
        allowedHosts: [`http://${w.other.hostPort}`],
      });
      expect(res.status).toBeGreaterThanOrEqual(400);
      await sleep(50);
      expect(w.other.requests).toEqual([]);
    });

    it('sanity: the same secrets do reach the allowed host', async () => {
      const res = await w.forward(
        fwd({ url: `${w.api.url}/reflect`, headers: { authorization: 'Bearer $CLIENT_SECRET' } }, [
          plain,
        ]),
      );
      expect(res.status).toBe(200);
      expect(w.api.requests.at(-1)?.headers.authorization).toBe(`Bearer ${PLAIN}`);
      const viaBoth = await w.forward(
        fwd({ url: `${w.other.url}/ok`, headers: { a: '$CLIENT_SECRET' } }, [bothHosts]),
      );
      expect(viaBoth.status).toBe(200);
      expect(w.other.requests.at(-1)?.headers.a).toBe('inv2-both-hosts-value');
    });
  });

  describe('redirects are never followed', () => {
    it.each([301, 302, 303, 307, 308])(
      '%d to the other host, with Authorization, a custom header and a body',
      async (status) => {
        w.other.clear();
        const apiBefore = w.api.requests.length;
        const to = encodeURIComponent(`${w.other.url}/steal`);
        const res = await w.forward(
          fwd(
            {
              url: `${w.api.url}/redirect?status=${status}&to=${to}`,
              method: 'POST',
              headers: { Authorization: 'Bearer $CLIENT_SECRET', 'X-Api-Key': '$CLIENT_SECRET' },
              data: { key: '$CLIENT_SECRET' },
            },
            [plain],
          ),
        );
        expect(res.status).toBe(status);
        expect(w.api.requests.length).toBe(apiBefore + 1);
        await sleep(80);
        expect(w.other.requests).toEqual([]);
      },
    );

    it('a same-origin redirect is not followed either (exactly one request upstream)', async () => {
      const apiBefore = w.api.requests.length;
      const res = await w.forward(
        fwd(
          {
            url: `${w.api.url}/redirect?status=307&to=%2Freflect`,
            headers: { a: '$CLIENT_SECRET' },
          },
          [plain],
        ),
      );
      expect(res.status).toBe(307);
      await sleep(80);
      expect(w.api.requests.length).toBe(apiBefore + 1);
    });

    it('a queued (polled) request does not follow a 307 to the other host', async () => {
      w.other.clear();
      const to = encodeURIComponent(`${w.other.url}/steal`);
      const res = await w.forward(
        fwd(
          {
            url: `${w.api.url}/redirect?status=307&to=${to}`,
            headers: { authorization: 'Bearer $CLIENT_SECRET' },
          },
          [plain],
          { poll: 100 },
        ),
      );
      expect(res.status).toBe(202);
      const ticket = await settledTicket(w.relay.url, w.token, res.json.requestId);
      expect(ticket.state).toBe('done');
      expect(ticket.response?.status).toBe(307);
      await sleep(80);
      expect(w.other.requests).toEqual([]);
    });

    it('the oauth token request does not follow a redirect: the client secret stays home', async () => {
      const to = encodeURIComponent(`${w.other.url}/oauth/token`);
      const redirecting = await w.addSecret({
        name: 'or',
        type: 'oauth',
        oauth: {
          grant: 'client_credentials',
          tokenUrl: `${w.api.url}/redirect?status=307&to=${to}`,
          clientId: 'cid',
          clientSecret: OAUTH_CS,
        },
        allowedHosts: [`http://${w.api.hostPort}`],
      });
      w.other.clear();
      const res = await w.forward(
        fwd({ url: `${w.api.url}/reflect`, headers: { authorization: 'Bearer $CLIENT_SECRET' } }, [
          redirecting,
        ]),
      );
      expect(res.json?.error?.code).toBe('UPSTREAM_ERROR');
      await sleep(80);
      expect(w.other.requests).toEqual([]);
    });
  });

  describe('the client SDK never follows a 3xx the relay passes back', () => {
    // Regression: RelayClient used fetch's default redirect: 'follow'. An allowed upstream's 307/308
    // then made the client re-POST the whole ForwardRequest — the item key — to Location.
    const sdk = () => new RelayClient({ baseUrl: w.relay.url, token: w.token });
    const viaSdk = async (status: number, location: string) => {
      const req = fwd(
        {
          url: `${w.api.url}/redirect?status=${status}&to=${encodeURIComponent(location)}`,
          method: 'POST',
          headers: { authorization: 'Bearer $CLIENT_SECRET' },
          data: { k: 1 },
        },
        [plain],
      ) as unknown as ForwardRequest;
      const res = await sdk().forward(req);
      return { res };
    };

    it.each([301, 302, 303, 307, 308])(
      '%d to the other host: neither the ForwardRequest (item key) nor the session token goes there',
      async (status) => {
        w.other.clear();
        const { res } = await viaSdk(status, `${w.other.url}/steal`);
        expect(res.status).toBe(status);
        const err = await readForwardResponse(res).catch((e: unknown) => e);
        expect(err).toMatchObject({ code: 'UPSTREAM_ERROR', status });
        await sleep(80);
        expect(w.other.requests).toEqual([]);
      },
    );

    it('307 to a relative Location (the relay itself): the request is not re-sent', async () => {
      const before = w.api.requests.length;
      const { res } = await viaSdk(307, '/v1/forward');
      expect(res.status).toBe(307);
      await sleep(80);
      expect(w.api.requests.length).toBe(before + 1);
      // 302 to a relay route must not hand the caller the relay's own answer (vault ciphertext).
      const list = await viaSdk(302, '/v1/vaults');
      expect(list.res.status).toBe(302);
      expect(await list.res.text()).not.toContain('wrappedKey');
    });
  });

  describe('Host header', () => {
    it.each(['Host', 'host', 'HOST'])(
      'a caller-set %s naming the other host is dropped: the connection and Host stay on the url',
      async (name) => {
        w.other.clear();
        const res = await w.forward(
          fwd(
            {
              url: `${w.api.url}/reflect`,
              headers: { [name]: w.other.hostPort, authorization: 'Bearer $CLIENT_SECRET' },
            },
            [plain],
          ),
        );
        expect(res.status).toBe(200);
        const got = w.api.requests.at(-1)!;
        expect(got.headers.host).toBe(w.api.hostPort);
        const hostLines = got.rawHeaders.filter(
          (_, i) => i % 2 === 0 && /^host$/i.test(got.rawHeaders[i]!),
        );
        expect(hostLines).toHaveLength(1);
        await sleep(50);
        expect(w.other.requests).toEqual([]);
      },
    );

    it('a pseudo-header or a Host with CR/LF is refused outright', async () => {
      for (const headers of [
        { ':authority': w.other.hostPort, a: '$CLIENT_SECRET' },
        { 'x-a': `v\r\nHost: ${w.other.hostPort}`, a: '$CLIENT_SECRET' },
      ]) {
        await refusedAndNothingElsewhere(
          fwd({ url: `${w.api.url}/reflect`, headers }, [plain]),
          'INVALID_REQUEST',
        );
      }
    });
  });

  describe('DNS answers', () => {
    it('an allowed NAME that resolves to the other host is refused (the IP:port exemption does not cover a name)', async () => {
      await refusedAndNothingElsewhere(
        fwd(
          { url: `http://steal.kh.test:${w.other.port}/steal`, headers: { a: '$CLIENT_SECRET' } },
          [byName],
        ),
      );
    });
  });

  describe('placeholders in the host part', () => {
    it.each([
      ['the whole host', () => `http://$(secret:hv.host)/steal`],
      ['the whole host ($CLIENT_SECRET)', () => `http://$CLIENT_SECRET/steal`],
      ['a host label', () => `http://$CLIENT_SECRET.127.0.0.3.nip.io:${w.other.port}/`],
      ['the port', () => `http://127.0.0.3:$CLIENT_SECRET/`],
      ['userinfo', () => `http://$CLIENT_SECRET@${w.other.hostPort}/`],
      ['the scheme', () => `$CLIENT_SECRET://${w.other.hostPort}/`],
    ])('in %s is refused', async (_label, url) => {
      const res = await refusedAndNothingElsewhere(
        fwd({ url: url(), headers: { a: '$CLIENT_SECRET' } }, [hostValue]),
        'HOST_NOT_ALLOWED',
      );
      expect(res.status).toBe(403);
    });

    it('a secret in the path cannot climb out of a path-prefix rule or change the host', async () => {
      const slashy = await w.addSecret({
        name: 'sl',
        type: 'plain',
        value: `..`,
        allowedHosts: [`http://${w.api.hostPort}/v1`],
      });
      const apiBefore = w.api.requests.length;
      const res = await w.forward(
        fwd({ url: `${w.api.url}/v1/$CLIENT_SECRET/admin`, headers: { a: 'x$CLIENT_SECRET' } }, [
          slashy,
        ]),
      );
      expect(res.json?.error?.code).toBe('HOST_NOT_ALLOWED');
      expect(w.api.requests.length).toBe(apiBefore);
      const atSign = await w.addSecret({
        name: 'at',
        type: 'plain',
        value: `@${w.other.hostPort}/`,
        allowedHosts: [`http://${w.api.hostPort}`],
      });
      w.other.clear();
      const res2 = await w.forward(
        fwd({ url: `${w.api.url}/reflect/$CLIENT_SECRET`, headers: {} }, [atSign]),
      );
      expect(res2.status).toBe(200);
      expect(w.api.requests.at(-1)?.path).toBe(
        `/reflect/${encodeURIComponent(`@${w.other.hostPort}/`)}`,
      );
      await sleep(50);
      expect(w.other.requests).toEqual([]);
    });
  });
});
