// Crash safety on SQLite: kill -9 the relay while a client pushes in a loop, restart on the same
// file; every acknowledged write is there and the database passes PRAGMA integrity_check.
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { spawnRelay } from '../support/relay-process.js';
import { signedIn } from '../support/account.js';
import { call, isConnectionError } from '../support/http.js';
import { newId, write } from '../support/relay-fixtures.js';

describe('relay crash safety (SQLite)', () => {
  it('keeps every acknowledged write across kill -9', async () => {
    const first = await spawnRelay();
    const dbPath = first.dbPath ?? '';
    const account = await signedIn(first.url);
    const acked = new Map<string, { revision: number; data: string }>();
    let stop = false;
    const unexpected: unknown[] = [];

    // Two writers in a loop: new items and updates of acknowledged ones, batches of 1-5.
    const writer = async (): Promise<void> => {
      while (!stop) {
        const ws = Array.from({ length: 1 + Math.floor(Math.random() * 5) }, () =>
          write(newId(), 0),
        );
        const known = [...acked.entries()];
        const pick = known[Math.floor(Math.random() * known.length)];
        if (pick && !ws.some((w) => w.id === pick[0])) ws.push(write(pick[0], pick[1].revision));
        try {
          const r = await call(first.url, 'POST', `/v1/vaults/${account.vaultId}/items`, {
            token: account.token,
            body: { writes: ws },
          });
          if (r.status === 409) continue; // the other writer updated that item first
          if (r.status !== 200) throw new Error(`push failed: ${r.status} ${r.text}`);
          for (const item of r.json.items as { id: string; revision: number }[]) {
            acked.set(item.id, {
              revision: item.revision,
              data: ws.find((w) => w.id === item.id)?.data ?? '',
            });
          }
        } catch (err) {
          // The relay died under the call (reset, refused): not an acknowledgement.
          if (!isConnectionError(err)) unexpected.push(err);
          return;
        }
      }
    };
    const loops = [writer(), writer()];
    await new Promise((r) => setTimeout(r, 1500));
    first.kill9();
    await first.exited;
    stop = true;
    await Promise.allSettled(loops);
    expect(unexpected).toEqual([]);
    expect(acked.size).toBeGreaterThan(20);

    const second = await spawnRelay({ db: dbPath });
    try {
      const login = await call(second.url, 'POST', '/v1/auth/login', {
        body: { email: account.email, authKey: account.authKey },
      });
      const token = login.json.token as string;
      const found = new Map<string, { revision: number; data: string }>();
      let since = 0;
      for (;;) {
        const page = await call(
          second.url,
          'GET',
          `/v1/vaults/${account.vaultId}/items?since=${since}&limit=1000`,
          { token },
        );
        for (const item of page.json.items) {
          found.set(item.id, item);
          since = item.revision;
        }
        if (!page.json.hasMore) break;
      }
      for (const [id, want] of acked) {
        const got = found.get(id);
        expect(got, id).toBeDefined();
        // a later update may have committed without its answer arriving before the kill
        if (got && got.revision === want.revision) expect(got.data).toBe(want.data);
        else expect(got?.revision).toBeGreaterThan(want.revision);
      }
      // and the relay goes on handing out fresh revisions
      const more = await call(second.url, 'POST', `/v1/vaults/${account.vaultId}/items`, {
        token,
        body: { writes: [write(newId(), 0)] },
      });
      expect(more.json.revision).toBeGreaterThan(
        Math.max(...[...acked.values()].map((v) => v.revision)),
      );
    } finally {
      await second.stop();
    }
    const sqlite = new Database(dbPath, { readonly: true });
    try {
      expect(sqlite.pragma('integrity_check', { simple: true })).toBe('ok');
    } finally {
      sqlite.close();
    }
    rmSync(dirname(dbPath), { recursive: true, force: true });
  });
});
