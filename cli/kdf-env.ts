// KEYHOLE_KDF_MEM (MiB) / KEYHOLE_KDF_OPS (passes): the argon2id cost of a NEW account, for tests
// and slow machines. Honoured by signup only, and never below the floor (19 MiB, 2 passes).
import { UsageError } from './output.js';

const FLOOR_MIB = 19;
const FLOOR_OPS = 2;

export function kdfFromEnv(env: NodeJS.ProcessEnv = process.env): {
  memLimitBytes?: number;
  opsLimit?: number;
} {
  const out: { memLimitBytes?: number; opsLimit?: number } = {};
  if (env.KEYHOLE_KDF_MEM)
    out.memLimitBytes =
      Math.max(FLOOR_MIB, int(env.KEYHOLE_KDF_MEM, 'KEYHOLE_KDF_MEM')) * 1024 * 1024;
  if (env.KEYHOLE_KDF_OPS)
    out.opsLimit = Math.max(FLOOR_OPS, int(env.KEYHOLE_KDF_OPS, 'KEYHOLE_KDF_OPS'));
  return out;
}

function int(text: string, name: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`${name} must be a positive integer.`);
  return n;
}
