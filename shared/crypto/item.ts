// Vault items (§7): a random item key wrapped by the vault key; the payload sealed by the item key.
import { KeyholeError } from '../errors.js';
import { SecretPayload } from '../protocol/secret.js';
import {
  assertBytes,
  concat,
  fromBase64url,
  randomBytes,
  toBase64url,
  utf8,
  wipe,
} from './bytes.js';
import type { RandomSource } from './bytes.js';
import { KEY_BYTES, NONCE_BYTES, openJson, openKey, sealEnvelopeWithNonce } from './envelope.js';
import { decryptionFailed } from './failures.js';
import { lib } from './sodium.js';
import type { Bytes, EncryptedItem } from './types.js';

/** A fresh item key; item key wrapped by the vault key; the payload encrypted by the item key. */
export function encryptItem(
  vaultKey: Bytes,
  vaultId: string,
  itemId: string,
  payload: SecretPayload,
  itemKey?: Bytes,
): EncryptedItem & { itemKey: Bytes } {
  return encryptItemWith(randomBytes, vaultKey, vaultId, itemId, payload, itemKey);
}

/** encryptItem with its item key (unless given) and nonces drawn from `random` (test/vectors). */
export function encryptItemWith(
  random: RandomSource,
  vaultKey: Bytes,
  vaultId: string,
  itemId: string,
  payload: SecretPayload,
  itemKey: Bytes = random(KEY_BYTES),
): EncryptedItem & { itemKey: Bytes } {
  assertBytes(itemKey, KEY_BYTES, 'itemKey');
  return sealItem(random, vaultKey, vaultId, itemId, checkedPayload(payload), itemKey);
}

/** Refuses what could never be opened again: decryptItemRecord checks the same schema. */
function checkedPayload(payload: SecretPayload): SecretPayload {
  const checked = SecretPayload.safeParse(payload);
  if (checked.success) return checked.data;
  const fields = [...new Set(checked.error.issues.map((i) => i.path.join('.') || '(root)'))];
  throw new KeyholeError('INVALID_REQUEST', `The secret is not valid: check ${fields.join(', ')}.`);
}

/** §7: the item key wrapped by the vault key, and `record` as JSON sealed by the item key. */
function sealItem(
  random: RandomSource,
  vaultKey: Bytes,
  vaultId: string,
  itemId: string,
  record: unknown,
  itemKey: Bytes,
): EncryptedItem & { itemKey: Bytes } {
  const plaintext = utf8(JSON.stringify(record));
  const wrappedKey = sealEnvelopeWithNonce(
    vaultKey,
    itemKey,
    { purpose: 'item-key', ownerId: vaultId, itemId },
    random(NONCE_BYTES),
  );
  const data = sealEnvelopeWithNonce(
    itemKey,
    plaintext,
    { purpose: 'item', ownerId: vaultId, itemId },
    random(NONCE_BYTES),
  );
  wipe(plaintext);
  return { wrappedKey, data, itemKey };
}

export function unwrapItemKey(
  vaultKey: Bytes,
  vaultId: string,
  itemId: string,
  wrappedKey: string,
): Bytes {
  return openKey(vaultKey, wrappedKey, { purpose: 'item-key', ownerId: vaultId, itemId });
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
  itemKey?: Bytes,
): EncryptedItem & { itemKey: Bytes } {
  return encryptItemRecordWith(randomBytes, vaultKey, vaultId, itemId, record, itemKey);
}

/** encryptItemRecord with its item key (unless given) and nonces drawn from `random` (test/vectors). */
export function encryptItemRecordWith(
  random: RandomSource,
  vaultKey: Bytes,
  vaultId: string,
  itemId: string,
  record: ItemRecordPlain,
  itemKey: Bytes = random(KEY_BYTES),
): EncryptedItem & { itemKey: Bytes } {
  if (!Number.isSafeInteger(record.version) || record.version < 1)
    throw new TypeError('version must be an integer ≥ 1');
  if (record.prev !== '' && !HASH_RE.test(record.prev))
    throw new TypeError('prev must be an item hash or empty');
  assertBytes(itemKey, KEY_BYTES, 'itemKey');
  const payload = record.payload === null ? null : checkedPayload(record.payload);
  const plain = { kh: ITEM_RECORD_TAG, version: record.version, prev: record.prev, payload };
  return sealItem(random, vaultKey, vaultId, itemId, plain, itemKey);
}

/** Opens an item's data: a versioned record, or a v1 payload (reported as version 0). */
export function decryptItemRecord(
  itemKey: Bytes,
  vaultId: string,
  itemId: string,
  data: string | Bytes,
): ItemRecordPlain {
  const parsed = openJson(itemKey, data, { purpose: 'item', ownerId: vaultId, itemId });
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
