// Graceful shutdown keeps the audit trail: rows are batched every 250 ms, so a SIGTERM right after
// a forward must write the pending ones before the store closes (server/main.ts).
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fwd, startForwardWorld, type ForwardWorld } from '../support/forward-fixtures.js';

describe('forward: shutdown', () => {
  let w: ForwardWorld;

  beforeAll(async () => {
    w = await startForwardWorld();
  });

  afterAll(async () => {
    await w?.stop();
  });

  it('SIGTERM right after a forward: its audit row is written before the relay exits', async () => {
    const ref = await w.addSecret({
      name: 'shutdown',
      type: 'bearer',
      value: 'sk-shutdown-3f9a1c',
      allowedHosts: [`http://${w.api.hostPort}`],
    });
    const res = await w.forward(
      fwd({ url: `${w.api.url}/json`, headers: { Authorization: 'Bearer $CLIENT_SECRET' } }, [ref]),
    );
    expect(res.status).toBe(200);
    await w.relay.stop(); // SIGTERM, well within the 250 ms batch window
    expect(await w.relay.exited).toBe(0);

    const db = new BetterSqlite3(w.dbPath, { readonly: true });
    try {
      const rows = db
        .prepare('select * from audit_log where vault_id = ? and secret_name = ?')
        .all(w.vaultId, 'shutdown') as Array<Record<string, unknown>>;
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({
        account_id: w.accountId,
        host: w.api.hostPort,
        method: 'GET',
        status: 200,
        error_code: null,
      });
    } finally {
      db.close();
    }
  });
});
