// Pushing items and reading a whole vault back: the bookkeeping behind "no acknowledged write lost".
import { randomBytes, toBase64url } from '../../shared/crypto/index.js';
import type { PullResponse, PushResponse } from '../../shared/protocol/index.js';
import { sealItem, type TestAccount } from './account.js';
import { call, ok, type Reply } from './http.js';

export interface AckedWrite {
  id: string;
  revision: number;
  data: string;
}

/** A sealed item write of roughly `valueBytes` of secret. */
export function itemWrite(
  account: TestAccount,
  opts: { id?: string; baseRevision?: number; valueBytes?: number } = {},
) {
  const value = toBase64url(randomBytes(Math.ceil(((opts.valueBytes ?? 32) * 3) / 4))).slice(
    0,
    opts.valueBytes ?? 32,
  );
  const sealed = sealItem(
    account,
    {
      name: 'rel-item',
      type: 'plain',
      value,
      allowedHosts: ['api.example.com'],
      allowedOrigins: [],
      description: '',
    },
    opts.id,
  );
  return {
    id: sealed.itemId,
    baseRevision: opts.baseRevision ?? 0,
    deleted: false,
    wrappedKey: sealed.wrappedKey,
    data: sealed.data,
    keyGeneration: 0,
  };
}

/** Push one write; on 2xx returns the acknowledged write, else the reply. */
export async function pushOne(
  base: string,
  account: TestAccount,
  write: ReturnType<typeof itemWrite>,
  timeoutMs = 15_000,
): Promise<{ acked?: AckedWrite; reply: Reply }> {
  const reply = await call(base, 'POST', `/v1/vaults/${account.vaultId}/items`, {
    body: { writes: [write] },
    token: account.token,
    timeoutMs,
  });
  if (reply.status !== 200) return { reply };
  const res = reply.json as PushResponse;
  const revision = res.items.find((i) => i.id === write.id)?.revision ?? res.revision;
  return { acked: { id: write.id, revision, data: write.data }, reply };
}

/** Every item of the vault (following hasMore), by id. */
export async function pullAll(
  base: string,
  account: TestAccount,
): Promise<Map<string, { revision: number; data: string }>> {
  const out = new Map<string, { revision: number; data: string }>();
  let since = 0;
  for (let page = 0; page < 10_000; page++) {
    const res = ok<PullResponse>(
      await call(base, 'GET', `/v1/vaults/${account.vaultId}/items?since=${since}&limit=1000`, {
        token: account.token,
      }),
      'pull',
    );
    for (const item of res.items) out.set(item.id, { revision: item.revision, data: item.data });
    const last = res.items[res.items.length - 1];
    if (!res.hasMore || !last) break;
    since = last.revision;
  }
  return out;
}

/**
 * Acknowledged writes missing afterwards: absent, at an older revision, or at the same revision
 * with other data. (A newer revision is fine: a later write of the same item won.)
 */
export function lostWrites(
  acked: Iterable<AckedWrite>,
  found: Map<string, { revision: number; data: string }>,
): AckedWrite[] {
  const latest = new Map<string, AckedWrite>();
  for (const w of acked) {
    const prev = latest.get(w.id);
    if (!prev || w.revision > prev.revision) latest.set(w.id, w);
  }
  const lost: AckedWrite[] = [];
  for (const w of latest.values()) {
    const got = found.get(w.id);
    if (!got || got.revision < w.revision || (got.revision === w.revision && got.data !== w.data))
      lost.push(w);
  }
  return lost;
}
