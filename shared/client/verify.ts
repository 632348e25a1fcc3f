// What a client remembers of each vault's signed state and how it refuses anything older
// (docs/vault-format.md §12–14). Pure: no I/O. The relay could forge or replay any row, so every
// check here is against signatures and against what this device has already seen.
import {
  itemHash,
  type SignedStatement,
  type VerifiedChain,
  type VerifiedManifest,
  statementHash,
} from '../crypto/index.js';
import { KeyholeError } from '../errors.js';
import type { ItemRecord } from '../protocol/vault.js';

/** Per vault, persisted with the ciphertext cache (KEYHOLE_HOME / storage.local). */
export interface SeenVault {
  /** highest manifest sequence accepted and its hash (0/'' : none yet) */
  seq: number;
  hash: string;
  /** item id → [version, data hash] of the last accepted live version, or [version, '', 1] once deleted */
  items: Record<string, [number, string] | [number, string, 1]>;
  /** team vaults: hash of the creation statement (pinned) and the chain head accepted */
  genesis?: string;
  chain?: [number, string];
}

export function fail(vaultLabel: string, why: string): KeyholeError {
  return new KeyholeError(
    'VAULT_VERIFICATION_FAILED',
    `Vault ${vaultLabel} failed verification: ${why}. It is skipped; other vaults keep working.`,
  );
}

/** A manifest never goes back: lower sequence, or the same sequence with other content, is refused. */
export function checkManifestOrder(label: string, m: VerifiedManifest, seen?: SeenVault): void {
  if (!seen || seen.seq === 0) return;
  if (m.seq < seen.seq)
    throw fail(label, `the relay served state ${m.seq}, older than state ${seen.seq} seen here`);
  if (m.seq === seen.seq && m.hash !== seen.hash)
    throw fail(label, `two different signed states carry sequence ${m.seq}`);
  for (const [id, entry] of m.entries) {
    const known = seen.items[id];
    if (!known) continue;
    if (entry.version < known[0] || (known[2] === 1 && entry.version <= known[0]))
      throw fail(label, `item ${id} went back to version ${entry.version} (seen ${known[0]})`);
    if (entry.version === known[0] && entry.hash !== known[1])
      throw fail(label, `item ${id} has two different contents at version ${entry.version}`);
  }
}

/**
 * Every live record must be listed with its exact hash, and every listed item must be there: an
 * unlisted row (resurrected, inserted) or a replayed one (old ciphertext) is refused.
 */
export function checkRecords(
  label: string,
  m: VerifiedManifest,
  records: Iterable<ItemRecord & { h?: string }>,
): void {
  let live = 0;
  for (const record of records) {
    if (record.deleted) continue;
    live += 1;
    const entry = m.entries.get(record.id);
    if (!entry) throw fail(label, `item ${record.id} is not in the signed state`);
    // `h`: this record's hash, computed here when it was first verified and cached with it (a
    // pulled record replaces the whole object, so it never carries a hash the relay chose).
    const hash = record.h ?? itemHash(record.data);
    if (hash !== entry.hash)
      throw fail(label, `item ${record.id} is not the version the signed state lists`);
    record.h = hash;
  }
  if (live !== m.entries.size) throw fail(label, 'an item of the signed state is missing');
}

/** The seen-state after accepting `m`: items it no longer lists are remembered as deleted. */
export function advanceSeen(m: VerifiedManifest, seen?: SeenVault): SeenVault {
  const items: SeenVault['items'] = {};
  if (seen) {
    for (const [id, known] of Object.entries(seen.items)) {
      if (!m.entries.has(id)) items[id] = [known[0], '', 1];
    }
  }
  for (const [id, entry] of m.entries) items[id] = [entry.version, entry.hash];
  return { ...seen, seq: m.seq, hash: m.hash, items };
}

/** A team's chain must start where it started before and only grow. */
export function checkChainOrder(
  label: string,
  chain: VerifiedChain,
  statements: readonly SignedStatement[],
  seen?: SeenVault,
): void {
  if (!seen?.genesis) return;
  if (chain.genesis !== seen.genesis) throw fail(label, 'its membership chain was replaced');
  const [seq, hash] = seen.chain ?? [0, seen.genesis];
  const at = statements[seq];
  if (!at || statementHash(at) !== hash)
    throw fail(label, 'its membership chain went back or forked');
}
