// Opens the secrets a forward request names: membership check, item load, decryption with the
// item key the client sent — then the key buffer is wiped (docs/forward.md, "Secrets").
import { hash } from 'node:crypto';
import { decryptItemData, fromBase64url, wipe } from '../../shared/crypto/index.js';
import { KeyholeError } from '../../shared/errors.js';
import type { SecretRef } from '../../shared/protocol/forward.js';
import type { SecretPayload } from '../../shared/protocol/secret.js';
import type { HotStatements, MemberItemRow } from '../db/hot-statements.js';

export interface OpenedSecret {
  /** the name the request uses for it ($(secret:NAME)); the first one is $CLIENT_SECRET */
  name: string;
  vaultId: string;
  itemId: string;
  payload: SecretPayload;
  /** SHA-256 of the item key (hex): keys the token caches, never the key itself ('' unless oauth, jwt, github-app) */
  keyHash: string;
}

/** A membership + item row looked up already (with the session); undefined row: not a member. */
export interface PrefetchedRow {
  row: MemberItemRow | undefined;
}

/** Loads one item the account may use: FORBIDDEN without live membership, SECRET_NOT_FOUND without a live item. */
async function loadItemData(
  hot: HotStatements,
  accountId: string,
  ref: SecretRef,
  prefetched: PrefetchedRow | undefined,
): Promise<string> {
  const row = prefetched
    ? prefetched.row
    : await hot.findMemberItem(ref.vaultId, ref.itemId, accountId);
  if (!row) throw new KeyholeError('FORBIDDEN', 'This account may not use secrets of that vault.');
  if (row.data === null || row.data === '' || Number(row.deleted) === 1) {
    throw new KeyholeError('SECRET_NOT_FOUND');
  }
  return row.data;
}

/** Types whose tokens the relay caches, keyed with the item key's hash. */
const MINTS = new Set(['oauth', 'jwt', 'github-app']);

/** Decrypts with the item key alone; every failure is DECRYPTION_FAILED (no oracle). */
export function openItem(
  ref: SecretRef,
  data: string,
): { payload: SecretPayload; keyHash: string } {
  let key: Uint8Array | undefined;
  try {
    key = fromBase64url(ref.itemKey);
    const payload = decryptItemData(key, ref.vaultId, ref.itemId, data);
    // Only the token caches need it (computed while the key still exists).
    const keyHash = MINTS.has(payload.type) ? hash('sha256', key, 'hex') : '';
    return { payload, keyHash };
  } catch {
    throw new KeyholeError('DECRYPTION_FAILED');
  } finally {
    if (key) wipe(key);
  }
}

export async function openSecrets(
  hot: HotStatements,
  accountId: string,
  refs: readonly SecretRef[],
  onOpened?: (ref: SecretRef, payload: SecretPayload | null) => void,
  /** the first ref's row, when it was looked up already */
  first?: PrefetchedRow,
): Promise<OpenedSecret[]> {
  const out: OpenedSecret[] = [];
  for (const [i, ref] of refs.entries()) {
    const data = await loadItemData(hot, accountId, ref, i === 0 ? first : undefined);
    const { payload, keyHash } = openItem(ref, data);
    onOpened?.(ref, payload);
    out.push({ name: ref.name, vaultId: ref.vaultId, itemId: ref.itemId, payload, keyHash });
  }
  return out;
}
