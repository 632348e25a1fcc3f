// Runs test/vectors/signed-state.json (docs/vault-format.md §12–15): item records, manifests
// against a device's seen-state, membership chains. Each case's class must come out as written.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  decryptItemRecord,
  initCrypto,
  itemHash,
  openManifest,
  verifyChain,
  type SignedManifest,
  type SignedStatement,
} from '../../shared/crypto/index.js';
import { lib } from '../../shared/crypto/sodium.js';
import {
  checkChainOrder,
  checkManifestOrder,
  checkRecords,
  type SeenVault,
} from '../../shared/client/verify.js';
import type { ItemRecord } from '../../shared/protocol/vault.js';
import { vectorPath } from '../vectors/generate.js';
import { outcome } from '../vectors/outcome.js';

interface Vectors {
  vaultId: string;
  itemRecords: Array<{
    name: string;
    itemId: string;
    itemKey: string;
    data: string;
    expected: string;
    version?: number;
    prev?: string;
    deleted?: boolean;
  }>;
  manifestWriter: { accountId: string; signPublicKey: string };
  manifests: Array<{
    name: string;
    manifest: SignedManifest;
    records: Array<{ id: string; data: string; deleted: boolean }>;
    seen: SeenVault | null;
    expected: string;
  }>;
  chains: Array<{
    name: string;
    statements: SignedStatement[];
    expected: string;
    members?: [string, string][];
    seen?: Pick<SeenVault, 'genesis' | 'chain'>;
  }>;
}
const raw = JSON.parse(readFileSync(vectorPath('signed-state'), 'utf8')) as {
  vaultId: string;
  manifestWriter: Vectors['manifestWriter'];
  cases: Array<{ kind: string }>;
};
const of = <T>(kind: string): T[] => raw.cases.filter((c) => c.kind === kind) as T[];
const file: Vectors = {
  vaultId: raw.vaultId,
  manifestWriter: raw.manifestWriter,
  itemRecords: of('item-record'),
  manifests: of('manifest'),
  chains: of('chain'),
};

beforeAll(async () => {
  await initCrypto();
});

describe('signed-state.json', () => {
  it('covers valid, tampered, replayed, rolled back and forged member', () => {
    const names = [...file.manifests, ...file.chains].map((c) => c.name).join('\n');
    for (const word of ['valid', 'tampered', 'replayed', 'rolled back', 'forged member'])
      expect(names).toContain(word);
  });

  it.each(file.itemRecords.map((c) => [c.name, c] as const))('item record: %s', (_n, c) => {
    let got: ReturnType<typeof decryptItemRecord> | undefined;
    expect(
      outcome(() => {
        got = decryptItemRecord(lib().from_hex(c.itemKey), file.vaultId, c.itemId, c.data);
      }),
    ).toBe(c.expected);
    if (c.expected === 'ok') {
      expect(got?.version).toBe(c.version);
      expect(got?.prev).toBe(c.prev);
      expect(got?.payload === null).toBe(c.deleted);
      expect(itemHash(c.data)).toBe((c as { dataHash?: string }).dataHash);
    }
  });

  it.each(file.manifests.map((c) => [c.name, c] as const))('manifest: %s', (_n, c) => {
    const records: ItemRecord[] = c.records.map((r, i) => ({
      id: r.id,
      revision: i + 1,
      deleted: r.deleted,
      wrappedKey: '',
      data: r.data,
      keyGeneration: 0,
      updatedAt: 0,
    }));
    const result = outcome(() => {
      const m = openManifest(c.manifest, file.vaultId, file.manifestWriter.signPublicKey);
      checkManifestOrder('"v"', m, c.seen ?? undefined);
      checkRecords('"v"', m, records);
    });
    expect(result).toBe(c.expected);
  });

  it.each(file.chains.map((c) => [c.name, c] as const))('chain: %s', (_n, c) => {
    let members: [string, string][] = [];
    const result = outcome(() => {
      const chain = verifyChain(file.vaultId, c.statements);
      checkChainOrder(
        '"t"',
        chain,
        c.statements,
        c.seen ? { seq: 0, hash: '', items: {}, ...c.seen } : undefined,
      );
      members = [...chain.members.values()].map((m) => [m.accountId, m.role]);
    });
    expect(result).toBe(c.expected);
    if (c.members) expect(members).toEqual(c.members);
  });
});
