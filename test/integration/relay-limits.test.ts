// Input limits and the relay's own routes, against a real relay process on SQLite and PostgreSQL:
// body caps (declared and chunked), malformed JSON, unknown routes, health, the OpenAPI document.
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RelayProcess } from '../support/relay-process.js';
import { signedIn } from '../support/account.js';
import { call } from '../support/http.js';
import { STORES, newId, relayOn, write } from '../support/relay-fixtures.js';

const MAX = 64 * 1024;

/** POST a body in chunks, without Content-Length (Transfer-Encoding: chunked). */
function postChunked(
  url: string,
  token: string,
  chunks: string[],
): Promise<{ status: number; body: string; code: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'transfer-encoding': 'chunked',
        },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body,
            code: res.headers['keyhole-error'] as string | undefined,
          }),
        );
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) => {
      // the relay may answer 413 and close before all chunks are written
      if (err.code === 'EPIPE' || err.code === 'ECONNRESET') return;
      reject(err);
    });
    for (const c of chunks) req.write(c);
    req.end();
  });
}

describe.each(STORES)('relay limits on $name', (target) => {
  let relay: RelayProcess;
  let teardown: () => Promise<void>;

  beforeAll(async () => {
    const setup = await target.setup();
    teardown = setup.teardown;
    relay = await relayOn(setup.db, { env: { KEYHOLE_MAX_BODY: String(MAX) } });
  });
  afterAll(async () => {
    await relay?.stop();
    await teardown?.();
  });

  it('refuses a body over the cap (Content-Length) and applies nothing', async () => {
    const a = await signedIn(relay.url);
    const big = { writes: [write(newId(), 0, { data: 'A'.repeat(MAX) })] };
    const r = await call(relay.url, 'POST', `/v1/vaults/${a.vaultId}/items`, {
      token: a.token,
      body: big,
    });
    expect(r.status).toBe(413);
    expect(r.json.error.code).toBe('PAYLOAD_TOO_LARGE');
    expect(r.headers.get('keyhole-error')).toBe('PAYLOAD_TOO_LARGE');
    expect(
      (await call(relay.url, 'GET', `/v1/vaults/${a.vaultId}/items`, { token: a.token })).json
        .revision,
    ).toBe(0);
  });

  it('refuses a chunked body over the cap, and accepts a chunked body under it', async () => {
    const a = await signedIn(relay.url);
    const url = `${relay.url}/v1/vaults/${a.vaultId}/items`;
    const huge = JSON.stringify({ writes: [write(newId(), 0, { data: 'B'.repeat(MAX * 2) })] });
    const chunks = huge.match(/.{1,8192}/g) ?? [];
    const refused = await postChunked(url, a.token, chunks);
    expect(refused.status).toBe(413);
    expect(refused.code).toBe('PAYLOAD_TOO_LARGE');

    const small = JSON.stringify({ writes: [write(newId(), 0)] });
    const ok = await postChunked(url, a.token, [small.slice(0, 50), small.slice(50)]);
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body)).toMatchObject({ revision: 1 });
  });

  it('answers malformed JSON and wrong shapes with INVALID_REQUEST', async () => {
    const a = await signedIn(relay.url);
    const path = `/v1/vaults/${a.vaultId}/items`;
    for (const raw of ['', 'nope', '{"writes": [', '{"writes": []}', '{"writes": "x"}', 'null']) {
      const r = await call(relay.url, 'POST', path, { token: a.token, raw });
      expect(r.status, raw).toBe(400);
      expect(r.json.error.code).toBe('INVALID_REQUEST');
    }
    const badId = await call(relay.url, 'GET', '/v1/vaults/not-an-id/items', { token: a.token });
    expect(badId.json.error.code).toBe('INVALID_REQUEST');
  });

  it('answers unknown routes with a JSON NOT_FOUND', async () => {
    const r = await call(relay.url, 'GET', '/v1/nope');
    expect(r.status).toBe(404);
    expect(r.json.error.code).toBe('NOT_FOUND');
  });

  it('reports health and serves an OpenAPI 3.1 document', async () => {
    const health = await call(relay.url, 'GET', '/v1/health');
    expect(health.json).toEqual({ ok: true, store: target.name });
    const doc = await call(relay.url, 'GET', '/v1/openapi.json');
    expect(doc.json.openapi).toBe('3.1.0');
    expect(Object.keys(doc.json.paths)).toEqual(
      expect.arrayContaining(['/v1/auth/login', '/v1/vaults/{vaultId}/items', '/v1/forward']),
    );
    const push =
      doc.json.paths['/v1/vaults/{vaultId}/items'].post.requestBody.content['application/json']
        .schema;
    expect(push.properties.writes.maxItems).toBe(500);
  });
});
