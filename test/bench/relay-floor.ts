// The relay's floor, for the bench: only the work issue #4 makes every forward do, on the relay's
// own modules, with nothing else. Per request: read the body, JSON.parse it, hash the session
// token, look up session + membership + item in the relay's cache (server/db/relay-cache.ts, as
// decided in issue #16; on a miss the relay's one statement on its SQLite file), decrypt the
// item with the key from the body, then send the pre-shaped upstream request and stream the answer
// back scrubbed (execute + nodeSink). No schema validation, placeholder parsing, host policy,
// substitution engine, header checks, audit or request log: it is not a relay, it is the lower
// bound of one. `relay ÷ floor` is what the relay's own logic costs; `floor ÷ proxy` is what the
// required work costs before any of it. Run by bench/relay.ts:
//   node --import tsx test/bench/relay-floor.ts UPSTREAM_ORIGIN SQLITE_PATH
import { createServer } from 'node:http';
import BetterSqlite3 from 'better-sqlite3';
import { decryptItemData, fromBase64url, initCrypto } from '../../shared/crypto/index.js';
import { HOT_SQL } from '../../server/db/hot-statements.js';
import { RelayCache } from '../../server/db/relay-cache.js';
import { hashToken } from '../../server/db/sessions-repo.js';
import { execute } from '../../server/forward/execute.js';
import { createOutboundAgent } from '../../server/forward/outbound.js';
import { nodeSink } from '../../server/forward/node-sink.js';
import { SsrfGuard } from '../../server/forward/ssrf.js';
import { readIncoming } from '../../server/routes/forward/read-body.js';

const [upstream, dbPath] = process.argv.slice(2);
if (!upstream || !dbPath) throw new Error('usage: relay-floor.ts UPSTREAM_ORIGIN SQLITE_PATH');
await initCrypto();
const target = new URL(upstream);
const db = new BetterSqlite3(dbPath, { readonly: true });
// The relay's own statement (server/db/hot-statements.ts).
const lookup = db.prepare<
  [string, string, string, number],
  { account_id: string; expires_at: number; data: string | null }
>(HOT_SQL.sessionMemberItem.sqlite);
const cache = new RelayCache(true);

/** The envelope, from the cache when session, membership and item are all in it. */
function envelope(tokenHash: string, vaultId: string, itemId: string): string | null {
  const now = Date.now();
  const s = cache.session(tokenHash, now);
  const item = s && cache.isMember(vaultId, s.accountId) ? cache.item(vaultId, itemId) : undefined;
  if (item) return item.data;
  const row = lookup.get(vaultId, itemId, tokenHash, now);
  if (!row?.data) return null;
  const epoch = cache.epoch;
  cache.putSession(epoch, tokenHash, { accountId: row.account_id, expiresAt: row.expires_at });
  cache.putMember(epoch, vaultId, row.account_id);
  cache.putItem(epoch, vaultId, itemId, { data: row.data, deleted: 0 });
  return row.data;
}
const agent = createOutboundAgent({
  guard: new SsrfGuard({ allowPrivate: [target.host] }),
  connectTimeoutMs: 30_000,
});
const limits = { maxResponseBytes: 50 * 1024 * 1024, totalTimeoutMs: 30_000 };

interface Body {
  request: { url: string };
  secrets: Array<{ vaultId: string; itemId: string; itemKey: string }>;
}

const server = createServer((req, res) => {
  void (async () => {
    const text = await readIncoming(req, 1024 * 1024);
    const body = JSON.parse(text) as Body;
    const ref = body.secrets[0]!;
    const token = (req.headers.authorization ?? '').slice('Bearer '.length);
    const data = envelope(hashToken(token), ref.vaultId, ref.itemId);
    if (!data) throw new Error('no session, membership or item');
    const payload = decryptItemData(fromBase64url(ref.itemKey), ref.vaultId, ref.itemId, data);
    const value = payload.type === 'bearer' ? (payload.value ?? '') : '';
    const url = new URL(body.request.url);
    const run = execute(
      agent,
      {
        dest: { url } as never,
        method: 'GET',
        path: url.pathname + url.search,
        headers: { authorization: `Bearer ${value}`, accept: 'application/json' },
        body: null,
      },
      [value],
      nodeSink(res),
      limits,
    );
    await run.started;
  })().catch(() => res.destroy());
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  console.log(`port ${typeof address === 'object' && address ? address.port : 0}`);
});
