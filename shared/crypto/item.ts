// Vault items (§7): a random item key wrapped by the vault key; the payload sealed by the item key.
import { KeyholeError } from '../errors.js';
import { SecretPayload } from '../protocol/secret.js';
import { fromUtf8, randomBytes, utf8, wipe } from './bytes.js';
import { KEY_BYTES, openEnvelope, sealEnvelope } from './envelope.js';
import { decryptionFailed } from './failures.js';
import type { Bytes, EncryptedItem } from './types.js';

/** A fresh item key; item key wrapped by the vault key; the payload encrypted by the item key. */
export function encryptItem(
  vaultKey: Bytes,
  vaultId: string,
  itemId: string,
  payload: SecretPayload,
  itemKey: Bytes = randomBytes(KEY_BYTES),
): EncryptedItem & { itemKey: Bytes } {
  if (!(itemKey instanceof Uint8Array) || itemKey.length !== KEY_BYTES)
    throw new TypeError('itemKey must be 32 bytes');
  // Refuse what could never be opened again (decryptItemData validates with the same schema).
  const checked = SecretPayload.safeParse(payload);
  if (!checked.success) {
    const fields = [...new Set(checked.error.issues.map((i) => i.path.join('.') || '(root)'))].join(
      ', ',
    );
    throw new KeyholeError('INVALID_REQUEST', `The secret is not valid: check ${fields}.`);
  }
  const plaintext = utf8(JSON.stringify(checked.data));
  const wrappedKey = sealEnvelope(vaultKey, itemKey, {
    purpose: 'item-key',
    ownerId: vaultId,
    itemId,
  });
  const data = sealEnvelope(itemKey, plaintext, { purpose: 'item', ownerId: vaultId, itemId });
  wipe(plaintext);
  return { wrappedKey, data, itemKey };
}

export function unwrapItemKey(
  vaultKey: Bytes,
  vaultId: string,
  itemId: string,
  wrappedKey: string,
): Bytes {
  const key = openEnvelope(vaultKey, wrappedKey, { purpose: 'item-key', ownerId: vaultId, itemId });
  if (key.length !== KEY_BYTES) {
    wipe(key);
    throw decryptionFailed();
  }
  return key;
}

/** What the relay does: open one item's data with its item key alone. */
export function decryptItemData(
  itemKey: Bytes,
  vaultId: string,
  itemId: string,
  data: string,
): SecretPayload {
  const plaintext = openEnvelope(itemKey, data, { purpose: 'item', ownerId: vaultId, itemId });
  let parsed: unknown;
  try {
    parsed = JSON.parse(fromUtf8(plaintext));
  } catch {
    throw decryptionFailed();
  } finally {
    wipe(plaintext);
  }
  const checked = SecretPayload.safeParse(parsed);
  if (!checked.success) throw decryptionFailed();
  return checked.data;
}
