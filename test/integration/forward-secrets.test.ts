// Secret types (plain, bearer, basic, template, oauth with refresh before expiry), access control
// (another account's secret, deleted items, wrong item keys), audit rows, and finally a scan of the
// relay's output and database files for every secret and item key used (invariant 3).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes, toBase64url } from '../../shared/crypto/index.js';
import type { SecretRef } from '../../shared/protocol/forward.js';
import { call } from '../support/http.js';
import {
  fwd,
  newAccountOn,
  startForwardWorld,
  type ForwardWorld,
} from '../support/forward-fixtures.js';

describe('forward: secret types, access, audit, no leaks', () => {
  let w: ForwardWorld;
  let hosts: string[];
  const values: string[] = [];
  const itemKeys: string[] = [];
  const track = (ref: SecretRef, ...v: string[]) => {
    itemKeys.push(ref.itemKey);
    values.push(...v);
    return ref;
  };

  beforeAll(async () => {
    w = await startForwardWorld();
    hosts = [`http://${w.api.hostPort}`];
  });
  afterAll(async () => {
    await w?.stop();
  });
  const last = () => w.api.requests.at(-1)!;

  it('bearer and plain substitute the value', async () => {
    const ref = track(
      await w.addSecret({
        name: 'tok',
        type: 'bearer',
        value: 'bearer-value-123456',
        allowedHosts: hosts,
      }),
      'bearer-value-123456',
    );
    const res = await w.forward(
      fwd({ url: `${w.api.url}/reflect`, headers: { authorization: 'Bearer $(secret:tok)' } }, [
        ref,
      ]),
    );
    expect(res.status).toBe(200);
    expect(last().headers.authorization).toBe('Bearer bearer-value-123456');
    expect(res.json.headers.authorization).toBe('Bearer [REDACTED]');
  });

  it('basic substitutes base64(username:password) and scrubs it, the pair and the password', async () => {
    const ref = track(
      await w.addSecret({
        name: 'b',
        type: 'basic',
        username: 'alice',
        password: 'pw-Secret-987',
        allowedHosts: hosts,
      }),
      'pw-Secret-987',
    );
    const b64 = Buffer.from('alice:pw-Secret-987').toString('base64');
    const res = await w.forward(
      fwd(
        {
          url: `${w.api.url}/reflect`,
          method: 'POST',
          headers: { authorization: 'Basic $CLIENT_SECRET' },
          data: {
            pair: 'alice:pw-Secret-987',
            pw: '$(secret:b.password)',
            u: '$(secret:b.username)',
          },
        },
        [ref],
      ),
    );
    expect(last().headers.authorization).toBe(`Basic ${b64}`);
    expect(JSON.parse(last().body)).toEqual({
      pair: 'alice:pw-Secret-987',
      pw: 'pw-Secret-987',
      u: 'alice',
    });
    expect(res.text).not.toContain(b64);
    expect(res.text).not.toContain('pw-Secret-987');
    expect(res.json.headers.authorization).toBe('Basic [REDACTED]');
  });

  it('template substitutes fields; $CLIENT_SECRET alone needs a value', async () => {
    const ref = track(
      await w.addSecret({
        name: 'tw',
        type: 'template',
        fields: { sid: 'AC-sid-0001', token: 'tw-token-secret-42' },
        allowedHosts: hosts,
      }),
      'AC-sid-0001',
      'tw-token-secret-42',
    );
    const res = await w.forward(
      fwd(
        {
          url: `${w.api.url}/reflect/$(secret:tw.sid)`,
          headers: { 'x-token': '$(secret:tw.token)' },
        },
        [ref],
      ),
    );
    expect(res.status).toBe(200);
    expect(last().path).toBe('/reflect/AC-sid-0001');
    expect(last().headers['x-token']).toBe('tw-token-secret-42');
    const noValue = await w.forward(
      fwd({ url: `${w.api.url}/reflect`, headers: { a: '$CLIENT_SECRET' } }, [ref]),
    );
    expect(noValue.json.error.code).toBe('INVALID_REQUEST');
    const noField = await w.forward(
      fwd({ url: `${w.api.url}/reflect`, headers: { a: '$(secret:tw.nope)' } }, [ref]),
    );
    expect(noField.json.error.code).toBe('SECRET_NOT_FOUND');
  });

  it('oauth: client_credentials token fetched through the relay, cached, refreshed before expiry', async () => {
    const ref = track(
      await w.addSecret({
        name: 'oa',
        type: 'oauth',
        oauth: {
          grant: 'client_credentials',
          tokenUrl: `${w.api.url}/oauth/token`,
          clientId: 'cid',
          clientSecret: 'client-secret-xyz-77',
          scope: 'read',
        },
        allowedHosts: hosts,
      }),
      'client-secret-xyz-77',
    );
    w.api.oauth.lifetimeSec = 2; // refresh margin 10 % → refreshed after 1.8 s
    const issued = w.api.oauth.issued;
    const r1 = await w.forward(
      fwd({ url: `${w.api.url}/reflect`, headers: { authorization: 'Bearer $CLIENT_SECRET' } }, [
        ref,
      ]),
    );
    expect(r1.status).toBe(200);
    expect(w.api.oauth.issued).toBe(issued + 1);
    expect(w.api.oauth.lastGrant).toEqual({ grant_type: 'client_credentials', scope: 'read' });
    expect(w.api.oauth.lastAuthorization).toBe(
      `Basic ${Buffer.from('cid:client-secret-xyz-77').toString('base64')}`,
    );
    const token1 = String(last().headers.authorization).slice('Bearer '.length);
    values.push(token1);
    expect(token1).toMatch(/^at-/);
    expect(r1.json.headers.authorization).toBe('Bearer [REDACTED]');

    await w.forward(
      fwd({ url: `${w.api.url}/reflect`, headers: { authorization: 'Bearer $CLIENT_SECRET' } }, [
        ref,
      ]),
    );
    expect(w.api.oauth.issued).toBe(issued + 1); // cached
    expect(last().headers.authorization).toBe(`Bearer ${token1}`);

    await new Promise((r) => setTimeout(r, 1900));
    await w.forward(
      fwd({ url: `${w.api.url}/reflect`, headers: { authorization: 'Bearer $CLIENT_SECRET' } }, [
        ref,
      ]),
    );
    expect(w.api.oauth.issued).toBe(issued + 2); // refreshed before the 2 s expiry
    const token2 = String(last().headers.authorization).slice('Bearer '.length);
    values.push(token2);
    expect(token2).not.toBe(token1);
  });

  it('oauth: refresh_token grant; a tokenUrl outside the allowed hosts is refused', async () => {
    const ref = track(
      await w.addSecret({
        name: 'or',
        type: 'oauth',
        oauth: {
          grant: 'refresh_token',
          tokenUrl: `${w.api.url}/oauth/token`,
          clientId: 'cid2',
          clientSecret: 'cs-2-abcdef',
          refreshToken: 'rt-refresh-123456',
        },
        allowedHosts: hosts,
      }),
      'cs-2-abcdef',
      'rt-refresh-123456',
    );
    const res = await w.forward(
      fwd({ url: `${w.api.url}/reflect`, headers: { authorization: 'Bearer $CLIENT_SECRET' } }, [
        ref,
      ]),
    );
    expect(res.status).toBe(200);
    expect(w.api.oauth.lastGrant).toEqual({
      grant_type: 'refresh_token',
      refresh_token: 'rt-refresh-123456',
    });
    values.push(String(last().headers.authorization).slice('Bearer '.length));

    w.other.clear();
    const elsewhere = track(
      await w.addSecret({
        name: 'oe',
        type: 'oauth',
        oauth: {
          grant: 'client_credentials',
          tokenUrl: `${w.other.url}/oauth/token`,
          clientId: 'c',
          clientSecret: 'cs-elsewhere-1',
        },
        allowedHosts: hosts,
      }),
      'cs-elsewhere-1',
    );
    const refused = await w.forward(
      fwd({ url: `${w.api.url}/reflect`, headers: { authorization: 'Bearer $CLIENT_SECRET' } }, [
        elsewhere,
      ]),
    );
    expect(refused.json.error.code).toBe('HOST_NOT_ALLOWED');
    expect(w.other.requests).toEqual([]);
  });

  it("another account's secret fails with FORBIDDEN, and never reaches the API", async () => {
    const mallory = await newAccountOn(w.relay.url);
    const ref = track(
      await w.addSecret({
        name: 'mine',
        type: 'plain',
        value: 'victim-secret-5555',
        allowedHosts: hosts,
      }),
      'victim-secret-5555',
    );
    const before = w.api.requests.length;
    const res = await w.forward(
      fwd({ url: `${w.api.url}/reflect`, headers: { a: '$CLIENT_SECRET' } }, [ref]),
      mallory.token,
    );
    expect(res.status).toBe(403);
    expect(res.json.error.code).toBe('FORBIDDEN');
    // Even naming the item under their own vault id does not help.
    const swapped = await w.forward(
      fwd({ url: `${w.api.url}/reflect`, headers: { a: '$CLIENT_SECRET' } }, [
        { ...ref, vaultId: mallory.vaultId },
      ]),
      mallory.token,
    );
    expect(swapped.json.error.code).toBe('SECRET_NOT_FOUND');
    // Nor does naming it second, after one of their own that fails (here: no such item): the
    // refusal is audited only in vaults the account was found to be a member of — never in the
    // victim's log, whose name and origin would be Mallory's to choose.
    const behind = await w.forward(
      fwd({ url: `${w.api.url}/reflect`, headers: { a: '$CLIENT_SECRET', b: '$(secret:mine)' } }, [
        {
          name: 'own',
          vaultId: mallory.vaultId,
          itemId: toBase64url(randomBytes(16)),
          itemKey: toBase64url(randomBytes(32)),
        },
        ref,
      ]),
      mallory.token,
    );
    expect(behind.json.error.code).toBe('SECRET_NOT_FOUND');
    expect(w.api.requests.length).toBe(before);
  });

  it('deleted items, unknown items and wrong item keys', async () => {
    const ref = track(
      await w.addSecret({
        name: 'gone',
        type: 'plain',
        value: 'gone-secret-321',
        allowedHosts: hosts,
      }),
      'gone-secret-321',
    );
    const wrongKey = await w.forward(
      fwd({ url: `${w.api.url}/reflect`, headers: { a: '$CLIENT_SECRET' } }, [
        { ...ref, itemKey: toBase64url(randomBytes(32)) },
      ]),
    );
    expect(wrongKey.json.error.code).toBe('DECRYPTION_FAILED');
    const unknown = await w.forward(
      fwd({ url: `${w.api.url}/reflect`, headers: { a: '$CLIENT_SECRET' } }, [
        { ...ref, itemId: 'A'.repeat(22) },
      ]),
    );
    expect(unknown.json.error.code).toBe('SECRET_NOT_FOUND');
    const pull = await call(w.relay.url, 'GET', `/v1/vaults/${w.vaultId}/items`, {
      token: w.token,
    });
    const current = (pull.json.items as Array<{ id: string; revision: number }>).find(
      (i) => i.id === ref.itemId,
    )!;
    const del = await call(w.relay.url, 'POST', `/v1/vaults/${w.vaultId}/items`, {
      token: w.token,
      body: {
        writes: [
          {
            id: ref.itemId,
            baseRevision: current.revision,
            deleted: true,
            wrappedKey: '',
            data: '',
            keyGeneration: 0,
          },
        ],
      },
    });
    expect(del.status).toBe(200);
    const deleted = await w.forward(
      fwd({ url: `${w.api.url}/reflect`, headers: { a: '$CLIENT_SECRET' } }, [ref]),
    );
    expect(deleted.json.error.code).toBe('SECRET_NOT_FOUND');
  });

  it('a secret whose allowed hosts differ from the url is refused even with a valid key', async () => {
    const ref = track(
      await w.addSecret({
        name: 'narrow',
        type: 'plain',
        value: 'narrow-secret-77',
        allowedHosts: [`http://${w.api.hostPort}/v1`],
      }),
      'narrow-secret-77',
    );
    expect(
      (await w.forward(fwd({ url: `${w.api.url}/v1/ok`, headers: { a: '$CLIENT_SECRET' } }, [ref])))
        .status,
    ).toBe(200);
    expect(
      (await w.forward(fwd({ url: `${w.api.url}/v2/no`, headers: { a: '$CLIENT_SECRET' } }, [ref])))
        .json.error.code,
    ).toBe('HOST_NOT_ALLOWED');
    expect(
      (
        await w.forward(
          fwd({ url: `${w.api.url}/v1/%2e%2e/v2`, headers: { a: '$CLIENT_SECRET' } }, [ref]),
        )
      ).json.error.code,
    ).toBe('HOST_NOT_ALLOWED');
  });

  it('writes audit rows (successes and failures), never a value', async () => {
    const db = new BetterSqlite3(w.dbPath, { readonly: true });
    try {
      const read = () =>
        db
          .prepare('select * from audit_log where vault_id = ? order by created_at')
          .all(w.vaultId) as Array<Record<string, unknown>>;
      // Rows are written in batches (every 250 ms): wait for the last test's row.
      const lastRow = (r: Record<string, unknown>) =>
        r.secret_name === 'narrow' && r.error_code === 'HOST_NOT_ALLOWED';
      for (let i = 0; i < 50 && !read().some(lastRow); i++)
        await new Promise((r) => setTimeout(r, 100));
      const rows = read();
      expect(rows.length).toBeGreaterThan(8);
      const ok = rows.find((r) => r.secret_name === 'tok')!;
      expect(ok).toMatchObject({
        account_id: w.accountId,
        host: w.api.hostPort,
        method: 'GET',
        status: 200,
        error_code: null,
      });
      expect(Number(ok.duration_ms)).toBeGreaterThanOrEqual(0);
      expect(
        rows.some((r) => r.secret_name === 'narrow' && r.error_code === 'HOST_NOT_ALLOWED'),
      ).toBe(true);
      expect(rows.some((r) => r.error_code === 'DECRYPTION_FAILED')).toBe(true);
      // FORBIDDEN attempts by another account leave no row in this vault's log.
      expect(rows.every((r) => r.account_id === w.accountId)).toBe(true);
      const text = JSON.stringify(rows);
      for (const v of values) expect(text).not.toContain(v);
    } finally {
      db.close();
    }
  });

  it('no secret value or item key in the relay output or its database files', async () => {
    await new Promise((r) => setTimeout(r, 100));
    const out = w.relay.output();
    expect(out.length).toBeGreaterThan(0);
    const files = readdirSync(w.dir).filter((f) => f.startsWith('keyhole.db'));
    expect(files).toContain('keyhole.db');
    const blobs = [out, ...files.map((f) => readFileSync(join(w.dir, f)).toString('latin1'))];
    const needles = [
      ...values,
      ...itemKeys,
      ...values.map((v) => Buffer.from(v).toString('base64')),
    ];
    expect(needles.length).toBeGreaterThan(15);
    for (const blob of blobs)
      for (const needle of needles)
        expect(blob.includes(needle), `found a secret in the relay's output or files`).toBe(false);
  });
});
