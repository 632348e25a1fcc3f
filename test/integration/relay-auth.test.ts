// Accounts and sessions against a real relay process, on SQLite and on PostgreSQL:
// signup/login/logout, enumeration resistance, throttling, input validation.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../server/db/open-store.js';
import type { RelayProcess } from '../support/relay-process.js';
import { fakeAccount, signedIn } from '../support/account.js';
import { call } from '../support/http.js';
import { STORES, newKey, relayOn } from '../support/relay-fixtures.js';

describe.each(STORES)('relay auth on $name', (target) => {
  let relay: RelayProcess;
  let db: string | undefined;
  let teardown: () => Promise<void>;
  const extra: RelayProcess[] = [];

  beforeAll(async () => {
    ({ db, teardown } = await target.setup());
    relay = await relayOn(db, {
      env: { KEYHOLE_LOGIN_FAILS_PER_ACCOUNT: '3', KEYHOLE_LOGIN_FAILS_PER_IP: '1000' },
    });
    // SQLite: later relays must share the first one's file.
    db ??= relay.dbPath;
  });
  afterAll(async () => {
    await Promise.all(extra.map((r) => r.stop()));
    await relay?.stop();
    await teardown?.();
  });

  it('signs up, logs in, lists the personal vault, logs out', async () => {
    const account = fakeAccount();
    const signup = await call(relay.url, 'POST', '/v1/auth/signup', { body: account.signup });
    expect(signup.status).toBe(201);
    expect(signup.json).toEqual({ accountId: account.accountId });

    const pre = await call(relay.url, 'POST', '/v1/auth/prelogin', {
      body: { email: account.email.toUpperCase() },
    });
    expect(pre.json.kdf).toEqual((account.signup.keys as { kdf: unknown }).kdf);

    const login = await call(relay.url, 'POST', '/v1/auth/login', {
      body: { email: account.email, authKey: account.authKey },
    });
    expect(login.status).toBe(200);
    expect(login.json.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(login.json.expiresAt).toBeGreaterThan(Date.now() + 29 * 24 * 3600 * 1000);
    expect(login.json.keys).toEqual(account.signup.keys);
    const token = login.json.token as string;

    const me = await call(relay.url, 'GET', '/v1/accounts/me', { token });
    expect(me.json).toEqual({
      accountId: account.accountId,
      email: account.email,
      publicKey: (account.signup.keys as { publicKey: string }).publicKey,
    });

    const vaults = await call(relay.url, 'GET', '/v1/vaults', { token });
    expect(vaults.json.vaults).toEqual([
      {
        id: account.vaultId,
        kind: 'personal',
        name: null,
        role: 'owner',
        wrappedKey: (account.signup.personalVault as { wrappedKey: string }).wrappedKey,
        keyGeneration: 0,
        revision: 0,
      },
    ]);

    expect((await call(relay.url, 'POST', '/v1/auth/logout', { token })).status).toBe(200);
    const after = await call(relay.url, 'GET', '/v1/vaults', { token });
    expect(after.status).toBe(401);
    expect(after.headers.get('keyhole-error')).toBe('UNAUTHENTICATED');
  });

  it('refuses missing, malformed and unknown tokens alike', async () => {
    for (const token of [undefined, 'short', newKey()]) {
      const r = await call(relay.url, 'GET', '/v1/vaults', token ? { token } : {});
      expect(r.status).toBe(401);
      expect(r.json.error.code).toBe('UNAUTHENTICATED');
    }
  });

  it('refuses an expired session', async () => {
    const account = await signedIn(relay.url);
    expect((await call(relay.url, 'GET', '/v1/vaults', { token: account.token })).status).toBe(200);
    const store = await openStore(db ?? '');
    try {
      const tokenHash = createHash('sha256').update(account.token).digest('hex');
      await store.db
        .updateTable('sessions')
        .set({ expires_at: Date.now() - 1 })
        .where('token_hash', '=', tokenHash)
        .execute();
    } finally {
      await store.close();
    }
    const r = await call(relay.url, 'GET', '/v1/vaults', { token: account.token });
    expect(r.status).toBe(401);
    expect(r.json.error.code).toBe('UNAUTHENTICATED');
  });

  it('refuses a second account with the same email (any case), and leaves the first intact', async () => {
    const first = await signedIn(relay.url);
    const again = fakeAccount(first.email.toUpperCase());
    const r = await call(relay.url, 'POST', '/v1/auth/signup', { body: again.signup });
    expect(r.status).toBe(409);
    expect(r.json.error.code).toBe('ACCOUNT_EXISTS');
    const login = await call(relay.url, 'POST', '/v1/auth/login', {
      body: { email: first.email, authKey: first.authKey },
    });
    expect(login.status).toBe(200);
    // the second signup's vault id was not created either
    const stranger = await signedIn(relay.url);
    const probe = await call(relay.url, 'GET', `/v1/vaults/${again.vaultId}/items`, {
      token: stranger.token,
    });
    expect(probe.status).toBe(404);
  });

  it('answers an unknown email and a wrong key with identical bytes and similar timing', async () => {
    const account = await signedIn(relay.url);
    const unknown = { email: `nobody-${Date.now()}@example.test`, authKey: newKey() };
    const wrong = { email: account.email, authKey: newKey() };
    const a = await call(relay.url, 'POST', '/v1/auth/login', { body: unknown });
    const b = await call(relay.url, 'POST', '/v1/auth/login', { body: wrong });
    expect(a.status).toBe(401);
    expect(b.status).toBe(a.status);
    expect(b.text).toBe(a.text);
    expect(b.headers.get('keyhole-error')).toBe('INVALID_CREDENTIALS');
    expect(a.headers.get('keyhole-error')).toBe('INVALID_CREDENTIALS');
    const names = (h: Headers) => [...h.keys()].filter((k) => k !== 'date').sort();
    expect(names(b.headers)).toEqual(names(a.headers));

    // timing: the fastest of a few tries each (load only ever adds time, so minima are the robust
    // statistic on a busy machine); fresh emails so the throttle does not kick in
    const time = async (body: unknown): Promise<number> => {
      const t = performance.now();
      await call(relay.url, 'POST', '/v1/auth/login', { body });
      return performance.now() - t;
    };
    const unknownTimes: number[] = [];
    const wrongTimes: number[] = [];
    for (let i = 0; i < 4; i++) {
      const acct = await signedIn(relay.url);
      wrongTimes.push(await time({ email: acct.email, authKey: newKey() }));
      unknownTimes.push(
        await time({ email: `nobody-${i}-${Date.now()}@example.test`, authKey: newKey() }),
      );
    }
    // both run one argon2id verification (~10 ms); a missing dummy hash would show ~1 ms
    expect(Math.min(...unknownTimes)).toBeGreaterThan(Math.min(...wrongTimes) / 3);
  });

  it('gives stable, well-formed fake KDF parameters for unknown emails, across restarts and relays', async () => {
    const email = `ghost-${Date.now()}@example.test`;
    const first = await call(relay.url, 'POST', '/v1/auth/prelogin', { body: { email } });
    const again = await call(relay.url, 'POST', '/v1/auth/prelogin', {
      body: { email: ` ${email.toUpperCase()} ` },
    });
    expect(first.status).toBe(200);
    expect(again.text).toBe(first.text);
    expect(first.json.kdf).toMatchObject({
      algorithm: 'argon2id',
      memLimitBytes: 64 * 1024 * 1024,
      opsLimit: 3,
    });
    expect(first.json.kdf.salt).toMatch(/^[A-Za-z0-9_-]{22}$/);
    const other = await call(relay.url, 'POST', '/v1/auth/prelogin', {
      body: { email: `x${email}` },
    });
    expect(other.json.kdf.salt).not.toBe(first.json.kdf.salt);

    // a second relay on the same database (after the first wrote the secret) says the same —
    // on PostgreSQL; a SQLite file has one relay (server/db/relay-lock.ts)
    if (target.name === 'postgres') {
      const second = await relayOn(db);
      extra.push(second);
      const there = await call(second.url, 'POST', '/v1/auth/prelogin', { body: { email } });
      expect(there.text).toBe(first.text);
    }
  });

  it('throttles failed logins per account with 429 and Retry-After, even for the right key', async () => {
    const account = await signedIn(relay.url);
    for (let i = 0; i < 3; i++) {
      const r = await call(relay.url, 'POST', '/v1/auth/login', {
        body: { email: account.email, authKey: newKey() },
      });
      expect(r.status).toBe(401);
    }
    const blocked = await call(relay.url, 'POST', '/v1/auth/login', {
      body: { email: account.email, authKey: account.authKey },
    });
    expect(blocked.status).toBe(429);
    expect(blocked.json.error.code).toBe('RATE_LIMITED');
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);

    // unknown emails are throttled the same way (the throttle reveals nothing)
    const ghost = `ghost-${Date.now()}@example.test`;
    const codes: number[] = [];
    for (let i = 0; i < 4; i++) {
      codes.push(
        (
          await call(relay.url, 'POST', '/v1/auth/login', {
            body: { email: ghost, authKey: newKey() },
          })
        ).status,
      );
    }
    expect(codes).toEqual([401, 401, 401, 429]);
  });

  it('throttles failed logins per IP', async () => {
    // a database of its own: on PostgreSQL the counts are shared, and earlier tests failed from this IP
    const fresh = await target.setup();
    const strict = await relayOn(fresh.db, { env: { KEYHOLE_LOGIN_FAILS_PER_IP: '4' } });
    extra.push({ ...strict, stop: () => strict.stop().then(() => fresh.teardown()) });
    const codes: number[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await call(strict.url, 'POST', '/v1/auth/login', {
        body: { email: `ip-${i}-${Date.now()}@example.test`, authKey: newKey() },
      });
      codes.push(r.status);
    }
    expect(codes).toEqual([401, 401, 401, 401, 429]);
  });

  it('counts an IPv6 client as its /64: other addresses of it get no fresh budget', async () => {
    const fresh = await target.setup();
    const strict = await relayOn(fresh.db, {
      env: { KEYHOLE_LOGIN_FAILS_PER_IP: '3', KEYHOLE_TRUST_PROXY: '127.0.0.1' },
    });
    extra.push({ ...strict, stop: () => strict.stop().then(() => fresh.teardown()) });
    const codes: number[] = [];
    for (const xff of [
      '2001:db8:5:6::1',
      '2001:db8:5:6::2',
      '2001:db8:5:6:1::3',
      '2001:db8:5:6::4',
    ]) {
      const r = await call(strict.url, 'POST', '/v1/auth/login', {
        body: { email: `v6-${codes.length}-${Date.now()}@example.test`, authKey: newKey() },
        headers: { 'x-forwarded-for': xff },
      });
      codes.push(r.status);
    }
    expect(codes).toEqual([401, 401, 401, 429]);
  });

  it('validates bodies: names the field, never echoes the value', async () => {
    const account = fakeAccount();
    const bad = { ...account.signup, authKey: 'NOT-A-KEY-sentinel-value' };
    const r = await call(relay.url, 'POST', '/v1/auth/signup', { body: bad });
    expect(r.status).toBe(400);
    expect(r.json.error.code).toBe('INVALID_REQUEST');
    expect(r.json.error.message).toContain('authKey');
    expect(r.text).not.toContain('sentinel');

    const broken = await call(relay.url, 'POST', '/v1/auth/login', { raw: '{"email": "a@b.c", ' });
    expect(broken.status).toBe(400);
    expect(broken.json.error.code).toBe('INVALID_REQUEST');
    expect(broken.headers.get('keyhole-error')).toBe('INVALID_REQUEST');
  });
});

// PostgreSQL only: several relays on one database share the throttle.
describe('relay auth: shared limits across relays on PostgreSQL', () => {
  it('counts failures made on either relay', async () => {
    const pgTarget = STORES.find((s) => s.name === 'postgres');
    if (!pgTarget) throw new Error('no postgres target');
    const { db, teardown } = await pgTarget.setup();
    const env = { KEYHOLE_LOGIN_FAILS_PER_ACCOUNT: '3' };
    const [a, b] = await Promise.all([relayOn(db, { env }), relayOn(db, { env })]);
    try {
      const account = await signedIn(a.url);
      const wrong = { email: account.email, authKey: newKey() };
      expect((await call(a.url, 'POST', '/v1/auth/login', { body: wrong })).status).toBe(401);
      expect((await call(b.url, 'POST', '/v1/auth/login', { body: wrong })).status).toBe(401);
      expect((await call(a.url, 'POST', '/v1/auth/login', { body: wrong })).status).toBe(401);
      expect((await call(b.url, 'POST', '/v1/auth/login', { body: wrong })).status).toBe(429);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
      await teardown();
    }
  });
});
