// Vault sync against a real relay process, on SQLite and on PostgreSQL: push/pull, pagination with
// tombstones, conflicts (nothing lost, nothing half-applied), membership and roles.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../server/db/open-store.js';
import type { RelayProcess } from '../support/relay-process.js';
import { signedIn } from '../support/account.js';
import { call } from '../support/http.js';
import { STORES, newId, relayOn, write } from '../support/relay-fixtures.js';

describe.each(STORES)('relay vaults on $name', (target) => {
  let relay: RelayProcess;
  let db: string;
  let teardown: () => Promise<void>;

  beforeAll(async () => {
    const setup = await target.setup();
    teardown = setup.teardown;
    relay = await relayOn(setup.db);
    db = setup.db ?? relay.dbPath ?? '';
  });
  afterAll(async () => {
    await relay?.stop();
    await teardown?.();
  });

  const push = (token: string, vaultId: string, writes: unknown[]) =>
    call(relay.url, 'POST', `/v1/vaults/${vaultId}/items`, { token, body: { writes } });
  const pull = (token: string, vaultId: string, query = '') =>
    call(relay.url, 'GET', `/v1/vaults/${vaultId}/items${query}`, { token });

  it('pushes a batch and pulls it back, with revisions in order', async () => {
    const a = await signedIn(relay.url);
    const writes = [write(newId(), 0), write(newId(), 0), write(newId(), 0)];
    const pushed = await push(a.token, a.vaultId, writes);
    expect(pushed.status).toBe(200);
    expect(pushed.json).toEqual({
      revision: 3,
      items: writes.map((w, i) => ({ id: w.id, revision: i + 1 })),
    });

    const pulled = await pull(a.token, a.vaultId);
    expect(pulled.json.revision).toBe(3);
    expect(pulled.json.hasMore).toBe(false);
    expect(
      pulled.json.items.map(
        (i: { id: string; data: string; revision: number; deleted: boolean }) => [
          i.id,
          i.data,
          i.revision,
          i.deleted,
        ],
      ),
    ).toEqual(writes.map((w, i) => [w.id, w.data, i + 1, false]));
    const vaults = await call(relay.url, 'GET', '/v1/vaults', { token: a.token });
    expect(vaults.json.vaults[0].revision).toBe(3);
  });

  it('paginates changes with tombstones and a consistent cursor', async () => {
    const a = await signedIn(relay.url);
    const ids = Array.from({ length: 25 }, () => newId());
    expect(
      (
        await push(
          a.token,
          a.vaultId,
          ids.map((id) => write(id, 0)),
        )
      ).status,
    ).toBe(200);
    // delete five, update two
    const deletes = ids.slice(0, 5).map((id, i) => write(id, i + 1, { deleted: true }));
    expect((await push(a.token, a.vaultId, deletes)).status).toBe(200);
    const updated = await push(a.token, a.vaultId, [
      write(ids[10] ?? '', 11, { data: 'bmV3' }),
      write(ids[11] ?? '', 12),
    ]);
    expect(updated.json.revision).toBe(32);

    const seen = new Map<
      string,
      { revision: number; deleted: boolean; data: string; wrappedKey: string }
    >();
    let since = 0;
    let pages = 0;
    for (;;) {
      const page = await pull(a.token, a.vaultId, `?since=${since}&limit=7`);
      expect(page.status).toBe(200);
      pages++;
      for (const item of page.json.items) {
        expect(item.revision).toBeGreaterThan(since);
        seen.set(item.id, item);
        since = item.revision;
      }
      if (!page.json.hasMore) {
        expect(page.json.revision).toBe(32);
        break;
      }
    }
    expect(pages).toBe(4); // 25 distinct items, one row each: pages of 7, 7, 7, 4
    expect(seen.size).toBe(25);
    for (const id of ids.slice(0, 5))
      expect(seen.get(id)).toMatchObject({ deleted: true, data: '', wrappedKey: '' });
    expect(seen.get(ids[10] ?? '')?.data).toBe('bmV3');

    // nothing new: an empty page at the current revision
    const empty = await pull(a.token, a.vaultId, '?since=32');
    expect(empty.json).toEqual({ items: [], revision: 32, hasMore: false, manifest: null });
    const bad = await pull(a.token, a.vaultId, '?limit=0');
    expect(bad.json.error.code).toBe('INVALID_REQUEST');
  });

  it('two clients from the same base: one wins, the other gets 409 with the current version', async () => {
    const a = await signedIn(relay.url);
    const id = newId();
    await push(a.token, a.vaultId, [write(id, 0)]);
    const first = write(id, 1, { data: 'Zmlyc3Q' });
    const second = write(id, 1, { data: 'c2Vjb25k' });
    const [r1, r2] = await Promise.all([
      push(a.token, a.vaultId, [first]),
      push(a.token, a.vaultId, [second]),
    ]);
    const statuses = [r1.status, r2.status].sort();
    expect(statuses).toEqual([200, 409]);
    const winner = r1.status === 200 ? first : second;
    const loser = r1.status === 200 ? r2 : r1;
    expect(loser.headers.get('keyhole-error')).toBe('CONFLICT');
    expect(loser.json.error.details.current).toEqual([
      expect.objectContaining({
        id,
        revision: 2,
        data: winner.data,
        wrappedKey: winner.wrappedKey,
        deleted: false,
      }),
    ]);
    // the loser merges and retries on the current base: nothing lost
    const retry = await push(a.token, a.vaultId, [write(id, 2, { data: 'bWVyZ2Vk' })]);
    expect(retry.status).toBe(200);
    const all = await pull(a.token, a.vaultId);
    expect(all.json.items).toEqual([
      expect.objectContaining({ id, revision: 3, data: 'bWVyZ2Vk' }),
    ]);
  });

  it('refuses a new item whose id already exists, and applies nothing of a batch with one stale write', async () => {
    const a = await signedIn(relay.url);
    const existing = newId();
    await push(a.token, a.vaultId, [write(existing, 0)]);
    const dup = await push(a.token, a.vaultId, [write(existing, 0)]);
    expect(dup.status).toBe(409);
    expect(dup.json.error.details.current).toHaveLength(1);

    const fresh = [write(newId(), 0), write(newId(), 0)];
    const batch = await push(a.token, a.vaultId, [fresh[0], write(existing, 7), fresh[1]]);
    expect(batch.status).toBe(409);
    expect(batch.json.error.details.current.map((i: { id: string }) => i.id)).toEqual([existing]);
    const after = await pull(a.token, a.vaultId);
    expect(after.json.revision).toBe(1);
    expect(after.json.items.map((i: { id: string }) => i.id)).toEqual([existing]);

    const twice = await push(a.token, a.vaultId, [write(existing, 1), write(existing, 1)]);
    expect(twice.status).toBe(400);
    expect(twice.json.error.code).toBe('INVALID_REQUEST');
  });

  it('hands out each revision once under concurrent pushes (from two relays on PostgreSQL)', async () => {
    const a = await signedIn(relay.url);
    // A SQLite file has one relay (server/db/relay-lock.ts): there all pushes go to it.
    const second = target.name === 'postgres' ? await relayOn(db) : relay;
    try {
      const results = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          call(i % 2 ? second.url : relay.url, 'POST', `/v1/vaults/${a.vaultId}/items`, {
            token: a.token,
            body: { writes: [write(newId(), 0)] },
          }),
        ),
      );
      expect(results.map((r) => r.status)).toEqual(Array(30).fill(200));
      const revisions = results.map((r) => r.json.revision as number).sort((x, y) => x - y);
      expect(revisions).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
      const pulled = await pull(a.token, a.vaultId);
      expect(pulled.json.items).toHaveLength(30);
    } finally {
      if (second !== relay) await second.stop();
    }
  });

  it("hides other accounts' vaults: same 404 as a vault that does not exist", async () => {
    const a = await signedIn(relay.url);
    const b = await signedIn(relay.url);
    await push(a.token, a.vaultId, [write(newId(), 0)]);
    const theirs = await pull(b.token, a.vaultId);
    const nowhere = await pull(b.token, newId());
    expect(theirs.status).toBe(404);
    expect(theirs.text).toBe(nowhere.text);
    const pushTheirs = await push(b.token, a.vaultId, [write(newId(), 0)]);
    expect(pushTheirs.status).toBe(404);
    expect((await pull(a.token, a.vaultId)).json.revision).toBe(1);
    const list = await call(relay.url, 'GET', '/v1/vaults', { token: b.token });
    expect(list.json.vaults.map((v: { id: string }) => v.id)).toEqual([b.vaultId]);
  });

  it("lets role 'user' pull but not push, and drops removed members", async () => {
    const a = await signedIn(relay.url);
    const b = await signedIn(relay.url);
    await push(a.token, a.vaultId, [write(newId(), 0)]);
    // teams are not wired yet: add the membership directly in the store
    const store = await openStore(db);
    try {
      await store.db
        .insertInto('vault_members')
        .values({
          vault_id: a.vaultId,
          account_id: b.accountId,
          role: 'user',
          wrapped_key: 'AAAA',
          key_generation: 0,
          added_at: Date.now(),
          removed_at: null,
        })
        .execute();
      expect((await pull(b.token, a.vaultId)).json.items).toHaveLength(1);
      const refused = await push(b.token, a.vaultId, [write(newId(), 0)]);
      expect(refused.status).toBe(403);
      expect(refused.json.error.code).toBe('FORBIDDEN');
      expect((await pull(a.token, a.vaultId)).json.revision).toBe(1);

      await store.db
        .updateTable('vault_members')
        .set({ removed_at: Date.now() })
        .where('vault_id', '=', a.vaultId)
        .where('account_id', '=', b.accountId)
        .execute();
      expect((await pull(b.token, a.vaultId)).status).toBe(404);
      const list = await call(relay.url, 'GET', '/v1/vaults', { token: b.token });
      expect(list.json.vaults.map((v: { id: string }) => v.id)).toEqual([b.vaultId]);
    } finally {
      await store.close();
    }
  });
});
