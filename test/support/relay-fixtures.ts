// Fake vault data for the relay suites — ids, keys, envelopes and item writes that are well formed
// but random (the relay never opens them) — and the SQLite/PostgreSQL store matrix they run over.
import { randomBytes } from 'node:crypto';
import { freshPostgresUrl } from './postgres.js';
import { spawnRelay, type RelayProcess, type SpawnRelayOptions } from './relay-process.js';

export const b64 = (n: number): string => randomBytes(n).toString('base64url');
export const newId = (): string => b64(16);
export const newKey = (): string => b64(32);
/** A fake envelope: well-formed base64url of a plausible size. */
export const fakeEnvelope = (n = 120): string => b64(n);

export function write(
  id: string,
  baseRevision: number,
  extra: { deleted?: boolean; data?: string } = {},
) {
  return {
    id,
    baseRevision,
    deleted: extra.deleted ?? false,
    wrappedKey: extra.deleted ? '' : fakeEnvelope(72),
    data: extra.deleted ? '' : (extra.data ?? fakeEnvelope(200)),
    keyGeneration: 0,
  };
}

/** The store matrix every relay suite runs over. */
export interface StoreTarget {
  name: 'sqlite' | 'postgres';
  /** a fresh database for this suite: a temp SQLite path, or a fresh PostgreSQL schema */
  setup(): Promise<{ db: string | undefined; teardown(): Promise<void> }>;
}

export const STORES: StoreTarget[] = [
  {
    name: 'sqlite',
    setup: () => Promise.resolve({ db: undefined, teardown: () => Promise.resolve() }),
  },
  {
    name: 'postgres',
    setup: async () => {
      const pg = await freshPostgresUrl();
      return { db: pg.url, teardown: () => pg.drop() };
    },
  },
];

/** A relay on the given database (undefined = its own temp SQLite file). */
export function relayOn(
  db: string | undefined,
  opts: Omit<SpawnRelayOptions, 'db'> = {},
): Promise<RelayProcess> {
  return spawnRelay(db === undefined ? opts : { ...opts, db });
}
