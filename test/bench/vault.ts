// Vault benchmark: unlock and sync of a personal vault of 1,000 items against a real relay process.
// "unlock" = open the key bundle (floor KDF, so the figure is the vault's work, not argon2id) and
// build every vault's index from the cached ciphertext (verify + decrypt); "sync" = a fresh device
// pulls all 1,000 items and builds the index. Medians over KEYHOLE_BENCH_ROUNDS (7) interleaved
// rounds. Issue #13: verification may cost at most 10 % of either.
import {
  RelayClient,
  VaultStore,
  loadCache,
  pullAll,
  pushWithMerge,
  signup,
  unlockOffline,
  type PendingWrite,
} from '../../shared/client/index.js';
import { initCrypto, wipe } from '../../shared/crypto/index.js';
import type { SecretPayload } from '../../shared/protocol/secret.js';
import { FAST_KDF } from '../helpers/fast-kdf.js';
import { spawnRelay } from '../helpers/relay-process.js';

const ITEMS = 1_000;
const ROUNDS = Number(process.env.KEYHOLE_BENCH_ROUNDS ?? 7);
const PASSWORD = 'vault bench password';

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

const round = (ms: number): number => Math.round(ms * 10) / 10;

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
    const cacheText = JSON.stringify(writer.toCache());

    const unlockMs: number[] = [];
    const syncMs: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      // unlock: bundle + cached ciphertext → every item verified and decrypted
      let t0 = performance.now();
      const { unlocked, authKey } = unlockOffline(session.accountId, PASSWORD, session.keys);
      wipe(authKey);
      const store = new VaultStore(
        unlocked,
        loadCache(session.accountId, JSON.parse(cacheText) as unknown),
      );
      for (const v of store.vaults()) store.listSecrets(v.id);
      unlockMs.push(performance.now() - t0);
      if (store.listSecrets(vaultId).length !== ITEMS) throw new Error('unlock: items missing');

      // sync: a fresh device pulls everything and builds the index
      t0 = performance.now();
      const fresh = new VaultStore(session.unlocked);
      await pullAll(relay, fresh);
      for (const v of fresh.vaults()) fresh.listSecrets(v.id);
      syncMs.push(performance.now() - t0);
      if (fresh.listSecrets(vaultId).length !== ITEMS) throw new Error('sync: items missing');
    }
    return {
      items: ITEMS,
      rounds: ROUNDS,
      unlock1000MedianMs: round(median(unlockMs)),
      unlock1000BestMs: round(Math.min(...unlockMs)),
      sync1000MedianMs: round(median(syncMs)),
      sync1000BestMs: round(Math.min(...syncMs)),
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
