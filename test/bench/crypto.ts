// Crypto benchmark: unlock at the default KDF params, encrypt and decrypt 10,000 items of ~300 B.
// Standalone: `node --import tsx test/bench/crypto.ts` prints a table and one JSON line.
// Targets (issue #2): decrypt 10k ≤ 150 ms, unlock ≤ 400 ms. Figures: median wall ms, median
// process CPU ms (steadier on a busy machine) and best wall ms over KEYHOLE_BENCH_ROUNDS (5) runs.
import {
  createAccountKeys,
  decryptItemData,
  deriveLoginKeys,
  encryptItem,
  fromBase64url,
  initCrypto,
  newId,
  newKdfParams,
  randomBytes,
  unlockAccount,
  unwrapItemKey,
  type EncryptedItem,
} from '../../shared/crypto/index.js';
import type { SecretPayload } from '../../shared/protocol/secret.js';

const ITEMS = 10_000;
const ROUNDS = Number(process.env.KEYHOLE_BENCH_ROUNDS ?? 5);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

/** Wall-clock ms and this process's CPU ms (user + system) for one call of `fn`. */
function measure(fn: () => void): { wall: number; cpu: number } {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  fn();
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { wall, cpu: (cpu.user + cpu.system) / 1000 };
}

/** Median wall and CPU time over `rounds` runs, plus the fastest wall time (least disturbed). */
function series(rounds: number, fn: () => void): { wall: number; cpu: number; best: number } {
  const runs = Array.from({ length: rounds }, () => measure(fn));
  return {
    wall: round(median(runs.map((r) => r.wall))),
    cpu: round(median(runs.map((r) => r.cpu))),
    best: round(Math.min(...runs.map((r) => r.wall))),
  };
}

/** ~300 bytes of JSON once serialised, like a typical API key with its hosts and origins. */
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

export async function benchCrypto(): Promise<Record<string, number>> {
  await initCrypto();
  const password = 'correct horse battery staple';
  const accountId = newId();
  const kdf = newKdfParams(); // DEFAULT_KDF: 64 MiB, t=3
  const { bundle } = createAccountKeys(accountId, password, kdf);

  const unlock = series(ROUNDS, () => {
    const { wrappingKey } = deriveLoginKeys(password, kdf);
    unlockAccount(accountId, wrappingKey, bundle);
  });

  const vaultId = newId();
  const vaultKey = randomBytes(32);
  const ids = Array.from({ length: ITEMS }, () => newId());
  const payloads = ids.map((_, i) => payload(i));
  let items: EncryptedItem[] = [];
  const encrypt = series(ROUNDS, () => {
    items = ids.map((id, i) => encryptItem(vaultKey, vaultId, id, payloads[i] as SecretPayload));
  });
  const decrypt = series(ROUNDS, () => {
    let check = 0;
    for (let i = 0; i < ITEMS; i++) {
      const id = ids[i] as string;
      const item = items[i] as EncryptedItem;
      const itemKey = unwrapItemKey(vaultKey, vaultId, id, item.wrappedKey);
      check += decryptItemData(itemKey, vaultId, id, item.data).name.length;
    }
    if (check === 0) throw new Error('nothing decrypted');
  });

  const first = items[0] as EncryptedItem;
  return {
    unlockDefaultKdfMs: unlock.wall,
    unlockDefaultKdfCpuMs: unlock.cpu,
    unlockDefaultKdfBestMs: unlock.best,
    encrypt10kItemsMs: encrypt.wall,
    encrypt10kItemsCpuMs: encrypt.cpu,
    encrypt10kItemsBestMs: encrypt.best,
    decrypt10kItemsMs: decrypt.wall,
    decrypt10kItemsCpuMs: decrypt.cpu,
    decrypt10kItemsBestMs: decrypt.best,
    itemDataBytes: fromBase64url(first.data).length,
    itemPlaintextBytes: JSON.stringify(payloads[0]).length,
  };
}

const isMain =
  typeof process !== 'undefined' &&
  process.argv[1] !== undefined &&
  import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'));
if (isMain) {
  const figures = await benchCrypto();
  console.table(figures);
  console.log(JSON.stringify({ bench: { crypto: figures } }));
}
