// Opens the secrets a forward request names: membership check, item load, decryption with the
// item key the client sent — then the key buffer is wiped (docs/forward.md, "Secrets").
import { hash } from 'node:crypto';
import { decryptItemData, fromBase64url, wipe } from '../../shared/crypto/index.js';
import { KeyholeError } from '../../shared/errors.js';
import type { SecretRef } from '../../shared/protocol/forward.js';
import type { SecretPayload } from '../../shared/protocol/secret.js';
import type { HotStatements, MemberItemRow } from '../db/hot-statements.js';
import type { ForwardAudit } from './audit.js';

export interface OpenedSecret {
  /** the name the request uses for it ($(secret:NAME)); the first one is $CLIENT_SECRET */
  name: string;
  vaultId: string;
  itemId: string;
  payload: SecretPayload;
  /** SHA-256 of the item key (hex): keys the token caches, never the key itself ('' unless oauth, jwt, github-app) */
  keyHash: string;
}

/**
 * The item row of one secret the account may use: FORBIDDEN without live membership (no row),
 * SECRET_NOT_FOUND without a live item.
 */
function itemData(row: MemberItemRow | undefined): string {
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

/**
 * Step "resolve items": opens every secret the request names, in order — membership, item,
 * decryption with the item key the client sent. The first secret's row was looked up with the
 * authorisation (`firstRow`, undefined: not a member); the others take one statement each. The
 * item keys are dropped from the request whatever happens (strings cannot be wiped).
 */
export async function resolveSecrets(
  hot: HotStatements,
  accountId: string,
  refs: readonly SecretRef[],
  firstRow: MemberItemRow | undefined,
  audit: ForwardAudit,
): Promise<OpenedSecret[]> {
  const out: OpenedSecret[] = [];
  try {
    for (const [i, ref] of refs.entries()) {
      const row = i === 0 ? firstRow : await hot.findMemberItem(ref.vaultId, ref.itemId, accountId);
      if (row) audit.member(ref);
      const { payload, keyHash } = openItem(ref, itemData(row));
      audit.opened(ref, payload.name);
      out.push({ name: ref.name, vaultId: ref.vaultId, itemId: ref.itemId, payload, keyHash });
    }
  } finally {
    for (const ref of refs) ref.itemKey = '';
  }
  return out;
}
