// Invariant 5 on SQLite and PostgreSQL: bad input gets a clear error code and changes nothing. A
// push batch with ONE bad write leaves the vault byte-identical (pull and vault list before/after);
// a forward with an invalid template makes no upstream request and writes only the audit rows the
// docs promise; a conflicting write is refused, never overwrites; a refused signup leaves no
// half-made account behind.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../server/db/open-store.js';
import type { SecretRef } from '../../shared/protocol/forward.js';
import { isPostgresAvailable } from '../support/postgres.js';
import { fwd, startForwardWorld, type ForwardWorld } from '../support/forward-fixtures.js';
import { fakeAccount, signedIn } from '../support/account.js';
import { call } from '../support/http.js';
import { STORES, b64, newId, write, type StoreTarget } from '../support/relay-fixtures.js';
import { sleep } from './invariant-world.js';

const PG = await isPostgresAvailable();
const TARGETS: StoreTarget[] = STORES.filter((s) => s.name === 'sqlite' || PG);

describe.each(TARGETS)('invariant 5 on $name', (target) => {
  let w: ForwardWorld;
  let teardown: () => Promise<void>;
  let dbUrl: string;

  beforeAll(async () => {
    const setup = await target.setup();
    teardown = setup.teardown;
    w = await startForwardWorld({}, [], setup.db);
    dbUrl = setup.db ?? w.dbPath;
  });
  afterAll(async () => {
    await w?.stop();
    await teardown?.();
  });

  const push = (token: string, vaultId: string, body: unknown) =>
    call(w.relay.url, 'POST', `/v1/vaults/${vaultId}/items`, { token, body });
  /** Everything a client can observe of a vault: every item (with tombstones) and the list. */
  const snapshot = async (token: string, vaultId: string) => {
    const items = await call(w.relay.url, 'GET', `/v1/vaults/${vaultId}/items?since=0&limit=1000`, {
      token,
    });
    const vaults = await call(w.relay.url, 'GET', '/v1/vaults', { token });
    expect(items.status).toBe(200);
    return { items: items.text, vaults: vaults.text };
  };

  describe('a batch with one bad write applies nothing', () => {
    let a: Awaited<ReturnType<typeof signedIn>>;
    let live: ReturnType<typeof write>;
    let other: ReturnType<typeof write>;
    let gone: ReturnType<typeof write>;

    beforeAll(async () => {
      a = await signedIn(w.relay.url);
      live = write(newId(), 0);
      other = write(newId(), 0);
      gone = write(newId(), 0);
      expect((await push(a.token, a.vaultId, { writes: [live, other, gone] })).status).toBe(200);
      // gone → tombstone (revision 4); live and other stay at 1 and 2.
      expect(
        (await push(a.token, a.vaultId, { writes: [write(gone.id, 3, { deleted: true })] })).status,
      ).toBe(200);
    });

    const good = () => write(newId(), 0);
    const update = () => write(live.id, 1);
    const cases: [string, () => unknown[], number, string][] = [
      [
        'a write whose data is not base64url',
        () => [good(), { ...good(), data: 'not base64!' }, update()],
        400,
        'INVALID_REQUEST',
      ],
      [
        'a write with a malformed id',
        () => [good(), { ...good(), id: 'short' }],
        400,
        'INVALID_REQUEST',
      ],
      [
        'a write with a negative base revision',
        () => [update(), { ...good(), baseRevision: -1 }],
        400,
        'INVALID_REQUEST',
      ],
      [
        'one item twice in the batch',
        () => [good(), update(), write(live.id, 1)],
        400,
        'INVALID_REQUEST',
      ],
      ['501 writes', () => Array.from({ length: 501 }, good), 400, 'INVALID_REQUEST'],
      ['one stale base revision', () => [good(), update(), write(other.id, 1)], 409, 'CONFLICT'],
      [
        'a "new" item whose id exists',
        () => [good(), update(), write(other.id, 0)],
        409,
        'CONFLICT',
      ],
      ['a "new" item over a tombstone', () => [good(), write(gone.id, 0)], 409, 'CONFLICT'],
      [
        'an update of an item that does not exist',
        () => [good(), write(newId(), 5)],
        409,
        'CONFLICT',
      ],
      [
        'a write under another key generation',
        () => [good(), update(), { ...good(), keyGeneration: 1 }],
        409,
        'CONFLICT',
      ],
      ['a stale delete', () => [good(), write(other.id, 1, { deleted: true })], 409, 'CONFLICT'],
    ];

    it.each(cases)('%s', async (_label, writes, status, code) => {
      const before = await snapshot(a.token, a.vaultId);
      const res = await push(a.token, a.vaultId, { writes: writes() });
      expect(res.status).toBe(status);
      expect(res.json.error.code).toBe(code);
      expect(res.headers.get('keyhole-error')).toBe(code);
      expect(await snapshot(a.token, a.vaultId)).toEqual(before);
    });

    it('a body over the cap (413) applies nothing', async () => {
      const before = await snapshot(a.token, a.vaultId);
      const big = { ...good(), data: b64(900 * 1024) };
      const res = await push(a.token, a.vaultId, { writes: [good(), update(), big] });
      expect(res.status).toBe(413);
      expect(res.json.error.code).toBe('PAYLOAD_TOO_LARGE');
      expect(await snapshot(a.token, a.vaultId)).toEqual(before);
    });

    it('sanity: the same batch without the bad write is applied', async () => {
      const before = await snapshot(a.token, a.vaultId);
      const res = await push(a.token, a.vaultId, { writes: [good(), update()] });
      expect(res.status).toBe(200);
      expect(await snapshot(a.token, a.vaultId)).not.toEqual(before);
    });
  });

  describe('a conflicting write is refused, never overwrites', () => {
    it('update vs delete vs update from one base: one wins, the others get 409 with the winner', async () => {
      const a = await signedIn(w.relay.url);
      const id = newId();
      expect((await push(a.token, a.vaultId, { writes: [write(id, 0)] })).status).toBe(200);
      const attempts = [
        write(id, 1, { data: b64(90) }),
        write(id, 1, { deleted: true }),
        write(id, 1, { data: b64(90) }),
      ];
      const results = await Promise.all(
        attempts.map((x) => push(a.token, a.vaultId, { writes: [x] })),
      );
      const winners = results.flatMap((r, i) => (r.status === 200 ? [attempts[i]!] : []));
      expect(winners).toHaveLength(1);
      const winner = winners[0]!;
      const stored = (
        await call(w.relay.url, 'GET', `/v1/vaults/${a.vaultId}/items?since=0`, { token: a.token })
      ).json.items.find((i: { id: string }) => i.id === id);
      expect(stored).toMatchObject({
        revision: 2,
        deleted: winner.deleted,
        data: winner.data,
        wrappedKey: winner.wrappedKey,
      });
      for (const r of results.filter((x) => x.status !== 200)) {
        expect(r.status).toBe(409);
        expect(r.json.error.details.current).toEqual([stored]);
      }
    });
  });

  describe('a refused signup leaves no half-made account', () => {
    it('reusing a vault id: CONFLICT, no account, and the email is still free', async () => {
      const first = await signedIn(w.relay.url);
      const clash = fakeAccount();
      (clash.signup.personalVault as { id: string }).id = first.vaultId;
      const res = await call(w.relay.url, 'POST', '/v1/auth/signup', { body: clash.signup });
      expect(res.status).toBe(409);
      expect(res.json.error.code).toBe('CONFLICT');
      const login = await call(w.relay.url, 'POST', '/v1/auth/login', {
        body: { email: clash.email, authKey: clash.authKey },
      });
      expect(login.json.error.code).toBe('INVALID_CREDENTIALS');
      // The first account's vault is untouched and still only its own.
      const vaults = await call(w.relay.url, 'GET', '/v1/vaults', { token: first.token });
      expect(vaults.json.vaults.map((v: { id: string }) => v.id)).toEqual([first.vaultId]);
      // The email was not taken by the failed attempt.
      const retry = fakeAccount(clash.email);
      expect(
        (await call(w.relay.url, 'POST', '/v1/auth/signup', { body: retry.signup })).status,
      ).toBe(201);
    });
  });

  describe('a forward with an invalid template: no upstream request, only the documented audit rows', () => {
    let crlf: SecretRef;
    let tpl: SecretRef;
    let plain: SecretRef;
    let narrow: SecretRef;

    beforeAll(async () => {
      const api = `http://${w.api.hostPort}`;
      crlf = await w.addSecret({
        name: 'crlf',
        type: 'plain',
        value: 'inv5\r\nX-Evil: 1',
        allowedHosts: [api],
      });
      tpl = await w.addSecret({
        name: 'tpl',
        type: 'template',
        fields: { f: 'inv5-field' },
        allowedHosts: [api],
      });
      plain = await w.addSecret({
        name: 'plain',
        type: 'plain',
        value: 'inv5-plain',
        allowedHosts: [api],
      });
      narrow = await w.addSecret({
        name: 'narrow',
        type: 'plain',
        value: 'inv5-narrow',
        allowedHosts: [`${api}/only-here`],
      });
    });

    let store: Awaited<ReturnType<typeof openStore>>;
    const auditRows = (origin: string) =>
      store.db
        .selectFrom('audit_log')
        .select(['secret_name', 'status', 'error_code', 'vault_id', 'account_id'])
        .where('origin', '=', origin)
        .execute();
    afterAll(async () => {
      await store?.close();
    });

    // [label, request body (with origin), code, audit rows expected (docs/forward.md, "Audit")]
    const cases: [string, (origin: string) => unknown, string, number][] = [
      [
        'a header that becomes CR/LF after substitution',
        (o) =>
          fwd({ url: `${w.api.url}/reflect`, headers: { a: '$CLIENT_SECRET' } }, [crlf], {
            origin: o,
          }),
        'INVALID_REQUEST',
        1,
      ],
      [
        'a header name that is not a token',
        (o) =>
          fwd({ url: `${w.api.url}/reflect`, headers: { 'bad name': '$CLIENT_SECRET' } }, [plain], {
            origin: o,
          }),
        'INVALID_REQUEST',
        1,
      ],
      [
        '$CLIENT_SECRET for a template without value',
        (o) =>
          fwd({ url: `${w.api.url}/reflect`, headers: { a: '$CLIENT_SECRET' } }, [tpl], {
            origin: o,
          }),
        'INVALID_REQUEST',
        1,
      ],
      [
        'a field the secret does not have',
        (o) =>
          fwd({ url: `${w.api.url}/reflect`, headers: { a: '$(secret:tpl.nope)' } }, [tpl], {
            origin: o,
          }),
        'SECRET_NOT_FOUND',
        1,
      ],
      [
        'a wrong item key',
        (o) =>
          fwd(
            { url: `${w.api.url}/reflect`, headers: { a: '$CLIENT_SECRET' } },
            [{ ...plain, itemKey: b64(32) }],
            { origin: o },
          ),
        'DECRYPTION_FAILED',
        1,
      ],
      [
        'the second secret does not allow the url (one row per secret)',
        (o) =>
          fwd(
            {
              url: `${w.api.url}/reflect`,
              headers: { a: '$CLIENT_SECRET', b: '$(secret:narrow)' },
            },
            [plain, narrow],
            { origin: o },
          ),
        'HOST_NOT_ALLOWED',
        2,
      ],
      [
        // Only the opened item says whether its secret signs (sigv4, hmac need no placeholder),
        // so this is refused after decryption, with an audit row.
        'no placeholder at all, for a secret that does not sign',
        (o) => fwd({ url: `${w.api.url}/reflect`, headers: { a: 'b' } }, [plain], { origin: o }),
        'PLACEHOLDER_MISSING',
        1,
      ],
      [
        'a placeholder naming no secret of the request',
        (o) =>
          fwd({ url: `${w.api.url}/reflect`, headers: { a: '$(secret:nope)' } }, [plain], {
            origin: o,
          }),
        'SECRET_NOT_FOUND',
        0,
      ],
      [
        'a body that is not a ForwardRequest',
        (o) => ({ request: { url: 42 }, secrets: [plain], origin: o }),
        'INVALID_REQUEST',
        0,
      ],
    ];

    // All cases are sent first, then the audit log is read once it has settled (rows are written
    // in 250 ms batches): fast, and a late extra row is still caught.
    const results = new Map<
      string,
      { code: unknown; header: string | null; text: string; upstream: number; origin: string }
    >();
    beforeAll(async () => {
      store = await openStore(dbUrl);
      for (const [label, body] of cases) {
        const origin = `https://inv5-${results.size}-${b64(6)
          .toLowerCase()
          .replace(/[^a-z0-9]/g, 'x')}.test`;
        const before = w.api.requests.length;
        const res = await w.forward(body(origin));
        results.set(label, {
          code: res.json?.error?.code,
          header: res.headers.get('keyhole-error'),
          text: res.text,
          upstream: w.api.requests.length - before,
          origin,
        });
      }
      await sleep(700);
    });

    it.each(cases)('%s', async (label, _body, code, rows) => {
      const r = results.get(label)!;
      expect(r.code).toBe(code);
      expect(r.header).toBe(code);
      expect(r.text).not.toContain('inv5\r\n');
      expect(r.upstream).toBe(0);
      const got = await auditRows(r.origin);
      expect(got.length).toBe(rows);
      for (const row of got) {
        expect(row).toMatchObject({
          status: null,
          error_code: code,
          vault_id: w.vaultId,
          account_id: w.accountId,
        });
      }
    });

    it("another account's vault: FORBIDDEN, no request, no row in that vault's log", async () => {
      const mallory = await signedIn(w.relay.url);
      const origin = 'https://inv5-mallory.test';
      const before = w.api.requests.length;
      const res = await w.forward(
        fwd({ url: `${w.api.url}/reflect`, headers: { a: '$CLIENT_SECRET' } }, [plain], { origin }),
        mallory.token,
      );
      expect(res.json.error.code).toBe('FORBIDDEN');
      await sleep(350);
      expect(await auditRows(origin)).toEqual([]);
      expect(w.api.requests.length).toBe(before);
    });
  });
});
