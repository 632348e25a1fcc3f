// Opens the secrets a forward request names: membership check, item load, decryption with the
// item key the client sent — then the key buffer is wiped (docs/forward.md, "Secrets").
import { createHash } from 'node:crypto';
import { CompiledQuery, type Kysely } from 'kysely';
import { decryptItemData, fromBase64url, wipe } from '../../shared/crypto/index.js';
import { KeyholeError } from '../../shared/errors.js';
import type { SecretRef } from '../../shared/protocol/forward.js';
import type { SecretPayload } from '../../shared/protocol/secret.js';
import type { Database } from '../db/schema.js';
import type { StoreDialect } from '../db/store-types.js';

export interface OpenedSecret {
  /** the name the request uses for it ($(secret:NAME)); the first one is $CLIENT_SECRET */
  name: string;
  vaultId: string;
  itemId: string;
  payload: SecretPayload;
  /** SHA-256 of the item key (hex): keys the oauth token cache, never the key itself */
  keyHash: string;
}

// The one query of the hot path, compiled once per dialect (Kysely's builder costs more than the
// query itself on SQLite): live membership LEFT JOIN the item.
const ITEM_SQL = {
  sqlite:
    'select m.account_id as account_id, i.data as data, i.deleted as deleted from vault_members m ' +
    'left join items i on i.vault_id = m.vault_id and i.id = ? ' +
    'where m.vault_id = ? and m.account_id = ? and m.removed_at is null limit 1',
  postgres:
    'select m.account_id as account_id, i.data as data, i.deleted as deleted from vault_members m ' +
    'left join items i on i.vault_id = m.vault_id and i.id = $1 ' +
    'where m.vault_id = $2 and m.account_id = $3 and m.removed_at is null limit 1',
} as const;

interface ItemRow {
  account_id: string;
  data: string | null;
  deleted: number | null;
}

/** Loads one item the account may use: FORBIDDEN without live membership, SECRET_NOT_FOUND without a live item. */
async function loadItemData(
  db: Kysely<Database>,
  dialect: StoreDialect,
  accountId: string,
  ref: SecretRef,
): Promise<string> {
  const result = await db.executeQuery<ItemRow>(
    CompiledQuery.raw(ITEM_SQL[dialect], [ref.itemId, ref.vaultId, accountId]),
  );
  const row = result.rows[0];
  if (!row) throw new KeyholeError('FORBIDDEN', 'This account may not use secrets of that vault.');
  if (row.data === null || row.data === '' || Number(row.deleted) === 1) {
    throw new KeyholeError('SECRET_NOT_FOUND');
  }
  return row.data;
}

/** Decrypts with the item key alone; every failure is DECRYPTION_FAILED (no oracle). */
export function openItem(
  ref: SecretRef,
  data: string,
): { payload: SecretPayload; keyHash: string } {
  let key: Uint8Array | undefined;
  try {
    key = fromBase64url(ref.itemKey);
    const keyHash = createHash('sha256').update(key).digest('hex');
    const payload = decryptItemData(key, ref.vaultId, ref.itemId, data);
    return { payload, keyHash };
  } catch {
    throw new KeyholeError('DECRYPTION_FAILED');
  } finally {
    if (key) wipe(key);
  }
}

export async function openSecrets(
  db: Kysely<Database>,
  dialect: StoreDialect,
  accountId: string,
  refs: readonly SecretRef[],
  onOpened?: (ref: SecretRef, payload: SecretPayload | null) => void,
): Promise<OpenedSecret[]> {
  const out: OpenedSecret[] = [];
  for (const ref of refs) {
    const data = await loadItemData(db, dialect, accountId, ref);
    const { payload, keyHash } = openItem(ref, data);
    onOpened?.(ref, payload);
    out.push({ name: ref.name, vaultId: ref.vaultId, itemId: ref.itemId, payload, keyHash });
  }
  return out;
}
