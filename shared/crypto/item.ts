// Vault items (§7): a random item key wrapped by the vault key; the payload sealed by the item key.
import { KeyholeError } from '../errors.js';
import { SecretPayload } from '../protocol/secret.js';
import { concat, fromBase64url, fromUtf8, randomBytes, toBase64url, utf8, wipe } from './bytes.js';
import { KEY_BYTES, openEnvelope, sealEnvelope } from './envelope.js';
import { decryptionFailed } from './failures.js';
import { lib } from './sodium.js';
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

/** What the relay does: open one item's data with its item key alone (a tombstone fails). */
export function decryptItemData(
  itemKey: Bytes,
  vaultId: string,
  itemId: string,
  data: string,
): SecretPayload {
  const record = decryptItemRecord(itemKey, vaultId, itemId, data);
  if (record.payload === null) throw decryptionFailed();
  return record.payload;
}

/** Marks a versioned item plaintext (§7.1); a v1 plaintext is the bare SecretPayload. */
export const ITEM_RECORD_TAG = 'item/2';
const ITEM_HASH_DOMAIN = utf8('keyhole/v1/item-hash');
const MAX_VERSION = Number.MAX_SAFE_INTEGER;
const HASH_RE = /^[A-Za-z0-9_-]{43}$/;

/**
 * One version of an item as its writer saw it (§7.1): the writer's version number, the hash of
 * the version it replaces ('' for the first) and the payload — null for a tombstone (deletion).
 * Version 0 means a v1 item written before versions existed.
 */
export interface ItemRecordPlain {
  version: number;
  prev: string;
  payload: SecretPayload | null;
}

/** Seals one item version: a fresh item key (wrapped by the vault key) and the versioned record. */
export function encryptItemRecord(
  vaultKey: Bytes,
  vaultId: string,
  itemId: string,
  record: ItemRecordPlain,
  itemKey: Bytes = randomBytes(KEY_BYTES),
): EncryptedItem & { itemKey: Bytes } {
  if (!Number.isSafeInteger(record.version) || record.version < 1)
    throw new TypeError('version must be an integer ≥ 1');
  if (record.prev !== '' && !HASH_RE.test(record.prev))
    throw new TypeError('prev must be an item hash or empty');
  if (!(itemKey instanceof Uint8Array) || itemKey.length !== KEY_BYTES)
    throw new TypeError('itemKey must be 32 bytes');
  let payload: SecretPayload | null = null;
  if (record.payload !== null) {
    const checked = SecretPayload.safeParse(record.payload);
    if (!checked.success) {
      const fields = [
        ...new Set(checked.error.issues.map((i) => i.path.join('.') || '(root)')),
      ].join(', ');
      throw new KeyholeError('INVALID_REQUEST', `The secret is not valid: check ${fields}.`);
    }
    payload = checked.data;
  }
  const plaintext = utf8(
    JSON.stringify({ kh: ITEM_RECORD_TAG, version: record.version, prev: record.prev, payload }),
  );
  const wrappedKey = sealEnvelope(vaultKey, itemKey, {
    purpose: 'item-key',
    ownerId: vaultId,
    itemId,
  });
  const data = sealEnvelope(itemKey, plaintext, { purpose: 'item', ownerId: vaultId, itemId });
  wipe(plaintext);
  return { wrappedKey, data, itemKey };
}

/** Opens an item's data: a versioned record, or a v1 payload (reported as version 0). */
export function decryptItemRecord(
  itemKey: Bytes,
  vaultId: string,
  itemId: string,
  data: string | Bytes,
): ItemRecordPlain {
  const plaintext = openEnvelope(itemKey, data, { purpose: 'item', ownerId: vaultId, itemId });
  let parsed: unknown;
  try {
    parsed = JSON.parse(fromUtf8(plaintext));
  } catch {
    throw decryptionFailed();
  } finally {
    wipe(plaintext);
  }
  if (typeof parsed === 'object' && parsed !== null && 'kh' in parsed) {
    const r = parsed as Record<string, unknown>;
    if (
      r.kh !== ITEM_RECORD_TAG ||
      typeof r.version !== 'number' ||
      !Number.isSafeInteger(r.version) ||
      r.version < 1 ||
      r.version > MAX_VERSION ||
      typeof r.prev !== 'string' ||
      (r.prev !== '' && !HASH_RE.test(r.prev))
    ) {
      throw decryptionFailed();
    }
    if (r.payload === null) return { version: r.version, prev: r.prev, payload: null };
    const checked = SecretPayload.safeParse(r.payload);
    if (!checked.success) throw decryptionFailed();
    return { version: r.version, prev: r.prev, payload: checked.data };
  }
  const checked = SecretPayload.safeParse(parsed);
  if (!checked.success) throw decryptionFailed();
  return { version: 0, prev: '', payload: checked.data };
}

/**
 * BLAKE2b-256 keyed with utf8("keyhole/v1/item-hash"), over the envelope's bytes (its canonical
 * b64url decoded), b64url: what manifests list. Data that is not canonical b64url (never opens
 * anyway) is hashed as its UTF-8 text, so it still has a hash and never matches a real one.
 */
export function itemHash(data: string): string {
  let bytes: Bytes;
  try {
    bytes = fromBase64url(data);
  } catch {
    bytes = concat([new Uint8Array([0xff]), utf8(data)]);
  }
  return itemHashBytes(bytes);
}

/** itemHash of already-decoded envelope bytes. */
export function itemHashBytes(bytes: Bytes): string {
  return toBase64url(lib().crypto_generichash(32, bytes, ITEM_HASH_DOMAIN));
}
