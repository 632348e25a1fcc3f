// Vault benchmark (issue #13): what verifying the signed state costs at unlock and at sync, with
// 1,000 items in a personal vault on a real relay process. Verification may cost ≤ 10 %.
//
// Each figure is measured twice, interleaved round by round, on the same code and data: once
// verified (the vault's signed manifest checked, every row hashed, item versions compared), once
// with the manifest withheld (the pre-#13 work: decrypt only). Their difference is the cost of
// verification; interleaving and minima keep it readable on a busy 2-core machine.
// - unlock: open the cached key bundle at the floor KDF, parse the cache, build every vault's
//   index (verify + decrypt); the default KDF (64 MiB) is reported once beside it for scale;
// - sync: a fresh device pulls all 1,000 items and builds the index (every row hashed).
import {
  RelayClient,
  VaultStore,
  loadCache,
  pullAll,
  pushWithMerge,
  signup,
  unlockOffline,
  type PendingWrite,
  type VaultCache,
} from '../../shared/client/index.js';
import { deriveLoginKeys, initCrypto, newKdfParams, wipe } from '../../shared/crypto/index.js';
import type { SecretPayload } from '../../shared/protocol/secret.js';
import { FAST_KDF } from '../support/fast-kdf.js';
import { spawnRelay } from '../support/relay-process.js';

const ITEMS = 1_000;
const ROUNDS = Number(process.env.KEYHOLE_BENCH_ROUNDS ?? 15);
const PASSWORD = 'vault bench password';

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

const round = (ms: number): number => Math.round(ms * 10) / 10;
const pct = (a: number, b: number): number => Math.round(((a - b) / b) * 1000) / 10;

function payload(i: number): SecretPayload {
  return {
    name: `SECRET_${i}`,
    type: 'bearer',
    value: `sk-live-${'x'.repeat(120)}-${i}`,
    allowedHosts: ['api.example.com', '*.example.net'],
    allowedOrigins: ['https://app.example.com'],
    description: 'benchmark item of about three hundred bytes',
  };
}

/** The same cache as a device that never saw a signed state would hold (no manifest, no seen). */
function unsigned(cacheText: string): string {
  const cache = JSON.parse(cacheText) as VaultCache;
  delete cache.seen;
  for (const v of Object.values(cache.vaults)) {
    v.manifest = null;
    for (const r of Object.values(v.items)) delete (r as { h?: string }).h;
  }
  return JSON.stringify(cache);
}

/** A fetch that drops the manifest from pull answers: the relay as it was before issue #13. */
const withoutManifest: typeof fetch = async (input, init) => {
  const res = await fetch(input, init);
  if (!String(input).includes('/items?')) return res;
  const body = (await res.json()) as Record<string, unknown>;
  delete body.manifest;
  return new Response(JSON.stringify(body), { status: res.status, headers: res.headers });
};

export async function benchVault(): Promise<Record<string, number>> {
  await initCrypto();
  const relayProcess = await spawnRelay();
  try {
    const email = `bench-${Date.now()}@example.test`;
    const session = await signup(relayProcess.url, email, PASSWORD, { kdf: FAST_KDF });
    const relay = new RelayClient({ baseUrl: session.relayUrl, token: session.token });
    const writer = new VaultStore(session.unlocked);
    await pullAll(relay, writer);
    const vaultId = writer.resolveVault().id;
    for (let start = 0; start < ITEMS; start += 250) {
      const writes: PendingWrite[] = [];
      for (let i = start; i < start + 250; i++) {
        writes.push({ itemId: writer.newItemId(), baseRevision: 0, base: null, ours: payload(i) });
      }
      await pushWithMerge(relay, writer, vaultId, writes);
    }
    writer.listSecrets(vaultId); // verified once: the cache holds what a device that used it holds
    const signedCache = JSON.stringify(writer.toCache());
    const legacyCache = unsigned(signedCache);
    const legacyRelay = new RelayClient({
      baseUrl: session.relayUrl,
      token: session.token,
      fetch: withoutManifest,
    });

    const unlock = async (cacheText: string): Promise<number> => {
      const t0 = performance.now();
      const { unlocked, authKey } = unlockOffline(session.accountId, PASSWORD, session.keys);
      wipe(authKey);
      const store = new VaultStore(
        unlocked,
        loadCache(session.accountId, JSON.parse(cacheText) as unknown),
      );
      for (const v of store.vaults()) store.listSecrets(v.id);
      const ms = performance.now() - t0;
      if (store.listSecrets(vaultId).length !== ITEMS) throw new Error('unlock: items missing');
      return ms;
    };
    const sync = async (client: RelayClient): Promise<number> => {
      const t0 = performance.now();
      const fresh = new VaultStore(session.unlocked);
      await pullAll(client, fresh);
      for (const v of fresh.vaults()) fresh.listSecrets(v.id);
      const ms = performance.now() - t0;
      if (fresh.listSecrets(vaultId).length !== ITEMS) throw new Error('sync: items missing');
      return ms;
    };

    const u = { verified: [] as number[], plain: [] as number[] };
    const s = { verified: [] as number[], plain: [] as number[] };
    for (let r = 0; r < ROUNDS; r++) {
      // Alternate which goes first, so neither always runs on a warmer machine.
      if (r % 2 === 0) {
        u.verified.push(await unlock(signedCache));
        u.plain.push(await unlock(legacyCache));
        s.verified.push(await sync(relay));
        s.plain.push(await sync(legacyRelay));
      } else {
        u.plain.push(await unlock(legacyCache));
        u.verified.push(await unlock(signedCache));
        s.plain.push(await sync(legacyRelay));
        s.verified.push(await sync(relay));
      }
    }
    const kdf = newKdfParams();
    const t0 = performance.now();
    const keys = deriveLoginKeys(PASSWORD, kdf);
    const defaultKdfMs = performance.now() - t0;
    wipe(keys.authKey);
    wipe(keys.wrappingKey);

    const best = (a: number[]) => Math.min(...a);
    return {
      items: ITEMS,
      rounds: ROUNDS,
      unlockVerifiedBestMs: round(best(u.verified)),
      unlockUnverifiedBestMs: round(best(u.plain)),
      unlockVerifiedMedianMs: round(median(u.verified)),
      unlockUnverifiedMedianMs: round(median(u.plain)),
      unlockVerificationCostBestPct: pct(best(u.verified), best(u.plain)),
      unlockVerificationCostMedianPct: pct(median(u.verified), median(u.plain)),
      syncVerifiedBestMs: round(best(s.verified)),
      syncUnverifiedBestMs: round(best(s.plain)),
      syncVerifiedMedianMs: round(median(s.verified)),
      syncUnverifiedMedianMs: round(median(s.plain)),
      syncVerificationCostBestPct: pct(best(s.verified), best(s.plain)),
      syncVerificationCostMedianPct: pct(median(s.verified), median(s.plain)),
      defaultKdfMs: round(defaultKdfMs),
    };
  } finally {
    await relayProcess.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const figures = await benchVault();
  console.table(figures);
  console.log(JSON.stringify({ bench: { vault: figures } }));
}
