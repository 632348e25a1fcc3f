// POST /v1/forward checks the session in the same statement as the first secret's membership and
// item (server/db/hot-statements.ts, findSessionMemberItem), on SQLite and on PostgreSQL. These
// tests fail if that one statement ever lets through a session that is unknown, revoked or expired,
// a vault the account left, or if a caller without a session learns anything about its body.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SecretRef } from '../../shared/protocol/forward.js';
import { call } from '../support/http.js';
import { newKey, STORES } from '../support/relay-fixtures.js';
import {
  fwd,
  newAccountOn,
  startForwardWorld,
  type ForwardWorld,
} from '../support/forward-fixtures.js';

const SECRET = 'sk-session-3c9e51aa07d24f6b';

describe.each(STORES)('forward: session and membership in one statement, on $name', (target) => {
  let w: ForwardWorld;
  let ref: SecretRef;
  let teardown: () => Promise<void>;
  const good = () =>
    fwd({ url: `${w.api.url}/reflect`, headers: { authorization: 'Bearer $CLIENT_SECRET' } }, [
      ref,
    ]);

  beforeAll(async () => {
    const store = await target.setup();
    teardown = store.teardown;
    w = await startForwardWorld({ KEYHOLE_SIGNUPS_PER_IP: '1000' }, [], store.db);
    ref = await w.addSecret({
      name: 'api',
      type: 'bearer',
      value: SECRET,
      allowedHosts: [`http://${w.api.hostPort}`],
    });
  });
  afterAll(async () => {
    await w?.stop();
    await teardown?.();
  });

  it('forwards with a live session (the statement finds session, membership and item)', async () => {
    const res = await w.forward(good());
    expect(res.status).toBe(200);
    expect(w.api.requests.at(-1)!.headers.authorization).toBe(`Bearer ${SECRET}`);
  });

  it('an unknown token is 401 and nothing is sent upstream', async () => {
    const before = w.api.requests.length;
    const res = await w.forward(good(), newKey());
    expect(res.status).toBe(401);
    expect(res.json.error.code).toBe('UNAUTHENTICATED');
    expect(w.api.requests.length).toBe(before);
  });

  it('a caller without a session learns nothing about its body: 401, not 400', async () => {
    for (const raw of ['{not json', JSON.stringify({ request: { url: 1 } }), '[]']) {
      const res = await call(w.relay.url, 'POST', '/v1/forward', { token: newKey(), raw });
      expect(res.status, raw).toBe(401);
      expect(res.json.error.code).toBe('UNAUTHENTICATED');
    }
    // With a live session the same bodies are INVALID_REQUEST.
    const res = await call(w.relay.url, 'POST', '/v1/forward', { token: w.token, raw: '{no' });
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe('INVALID_REQUEST');
  });

  it('a session of an account that is not a member gets FORBIDDEN, not the item', async () => {
    const stranger = await newAccountOn(w.relay.url);
    const before = w.api.requests.length;
    const res = await w.forward(good(), stranger.token);
    expect(res.status).toBe(403);
    expect(res.json.error.code).toBe('FORBIDDEN');
    expect(w.api.requests.length).toBe(before);
  });

  it('a deleted item is SECRET_NOT_FOUND for its member', async () => {
    const gone = await w.addSecret({
      name: 'gone',
      type: 'plain',
      value: 'sk-gone-00112233',
      allowedHosts: [`http://${w.api.hostPort}`],
    });
    const pulled = await call(w.relay.url, 'GET', `/v1/vaults/${w.vaultId}/items?since=0`, {
      token: w.token,
    });
    const items = pulled.json.items as Array<{ id: string; revision: number }>;
    const row = items.find((i) => i.id === gone.itemId)!;
    const del = await call(w.relay.url, 'POST', `/v1/vaults/${w.vaultId}/items`, {
      token: w.token,
      body: {
        writes: [
          {
            id: gone.itemId,
            baseRevision: row.revision,
            deleted: true,
            wrappedKey: '',
            data: '',
            keyGeneration: 0,
          },
        ],
      },
    });
    expect(del.status).toBe(200);
    const res = await w.forward(
      fwd({ url: `${w.api.url}/reflect`, headers: { a: '$CLIENT_SECRET' } }, [gone]),
    );
    expect(res.status).toBe(404);
    expect(res.json.error.code).toBe('SECRET_NOT_FOUND');
  });

  it('a logged-out session is refused at once (no cache between logout and forward)', async () => {
    const out = await call(w.relay.url, 'POST', '/v1/auth/logout', { token: w.token });
    expect(out.status).toBe(200);
    const before = w.api.requests.length;
    const res = await w.forward(good());
    expect(res.status).toBe(401);
    expect(res.json.error.code).toBe('UNAUTHENTICATED');
    expect(w.api.requests.length).toBe(before);
  });
});
