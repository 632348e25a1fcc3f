// Grants (docs/vault-format.md §11): the token `khg_…` (grant id + random grant key), its lookup
// hash, the item key wrapped under the grant key, and the policy sealed under it (AD-bound to the
// grant id) — plus an owner-readable copy of the policy under the vault key.
import { KeyholeError } from '../errors.js';
import { GRANT_TOKEN_PREFIX, GrantPolicy } from '../protocol/grant.js';
import { fromBase64url, fromUtf8, randomBytes, toBase64url, utf8, wipe } from './bytes.js';
import { KEY_BYTES, openEnvelope, sealEnvelope } from './envelope.js';
import { decryptionFailed, unsupportedFormat } from './failures.js';
import { lib } from './sodium.js';
import type { Bytes } from './types.js';

export const GRANT_TOKEN_VERSION = 1;
const ID_BYTES = 16;
/** version ‖ grant id ‖ grant key */
const TOKEN_BYTES = 1 + ID_BYTES + KEY_BYTES;
const LOOKUP_DOMAIN = utf8('keyhole/v1/grant-lookup');

export interface GrantToken {
  grantId: string;
  grantKey: Bytes;
  /** hex BLAKE2b-256 of the domain and the token bytes: how the relay finds the grant */
  lookup: string;
}

/** A fresh grant: random id and key. The token is shown to the owner once and never stored. */
export function newGrantToken(): GrantToken & { token: string } {
  const bytes = new Uint8Array(TOKEN_BYTES);
  bytes[0] = GRANT_TOKEN_VERSION;
  bytes.set(randomBytes(ID_BYTES), 1);
  bytes.set(randomBytes(KEY_BYTES), 1 + ID_BYTES);
  const token = GRANT_TOKEN_PREFIX + toBase64url(bytes);
  const parsed = parseGrantToken(token);
  wipe(bytes);
  return { ...parsed, token };
}

/**
 * `khg_` ‖ b64url(0x01 ‖ id 16 B ‖ key 32 B). A wrong version byte is UNSUPPORTED_FORMAT; any
 * other malformation DECRYPTION_FAILED (the relay answers GRANT_INVALID for both).
 */
export function parseGrantToken(token: string): GrantToken {
  if (typeof token !== 'string' || !token.startsWith(GRANT_TOKEN_PREFIX)) throw decryptionFailed();
  let bytes: Bytes;
  try {
    bytes = fromBase64url(token.slice(GRANT_TOKEN_PREFIX.length));
  } catch {
    throw decryptionFailed();
  }
  if (bytes.length >= 1 && bytes[0] !== GRANT_TOKEN_VERSION) throw unsupportedFormat();
  if (bytes.length !== TOKEN_BYTES) throw decryptionFailed();
  const lookupInput = new Uint8Array(LOOKUP_DOMAIN.length + TOKEN_BYTES);
  lookupInput.set(LOOKUP_DOMAIN, 0);
  lookupInput.set(bytes, LOOKUP_DOMAIN.length);
  const lookup = lib().to_hex(lib().crypto_generichash(32, lookupInput, null));
  wipe(lookupInput);
  const grantId = toBase64url(bytes.subarray(1, 1 + ID_BYTES));
  const grantKey = bytes.slice(1 + ID_BYTES);
  wipe(bytes);
  return { grantId, grantKey, lookup };
}

export interface SealedGrant {
  wrappedItemKey: string;
  policy: string;
  info: string;
}

/** What the owner's client uploads: the item key and the policy under the grant key, the policy again under the vault key. */
export function sealGrant(
  token: GrantToken,
  vaultKey: Bytes,
  itemKey: Bytes,
  policy: GrantPolicy,
): SealedGrant {
  if (!(itemKey instanceof Uint8Array) || itemKey.length !== KEY_BYTES)
    throw new TypeError('itemKey must be 32 bytes');
  const checked = GrantPolicy.safeParse(policy);
  if (!checked.success || checked.data.grantId !== token.grantId) {
    throw new KeyholeError('INVALID_REQUEST', 'The grant policy is not valid.');
  }
  const json = utf8(JSON.stringify(checked.data));
  const out: SealedGrant = {
    wrappedItemKey: sealEnvelope(token.grantKey, itemKey, {
      purpose: 'grant-item-key',
      ownerId: token.grantId,
      itemId: policy.itemId,
    }),
    policy: sealEnvelope(token.grantKey, json, {
      purpose: 'grant-policy',
      ownerId: token.grantId,
      itemId: '',
    }),
    info: sealEnvelope(vaultKey, json, {
      purpose: 'grant-info',
      ownerId: policy.vaultId,
      itemId: token.grantId,
    }),
  };
  wipe(json);
  return out;
}

function parsePolicy(plaintext: Bytes, grantId: string): GrantPolicy {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fromUtf8(plaintext));
  } catch {
    throw decryptionFailed();
  } finally {
    wipe(plaintext);
  }
  const checked = GrantPolicy.safeParse(parsed);
  if (!checked.success || checked.data.grantId !== grantId) throw decryptionFailed();
  return checked.data;
}

/** The relay: the policy, authenticated by the grant key and bound to the grant id. */
export function openGrantPolicy(grantKey: Bytes, grantId: string, envelope: string): GrantPolicy {
  const plaintext = openEnvelope(grantKey, envelope, {
    purpose: 'grant-policy',
    ownerId: grantId,
    itemId: '',
  });
  return parsePolicy(plaintext, grantId);
}

/** The relay: the item key the grant opens (bound to the grant id and the item id). */
export function unwrapGrantItemKey(
  grantKey: Bytes,
  grantId: string,
  itemId: string,
  envelope: string,
): Bytes {
  const key = openEnvelope(grantKey, envelope, {
    purpose: 'grant-item-key',
    ownerId: grantId,
    itemId,
  });
  if (key.length !== KEY_BYTES) {
    wipe(key);
    throw decryptionFailed();
  }
  return key;
}

/** The owner (and the vault's members): the policy copy sealed under the vault key. */
export function openGrantInfo(
  vaultKey: Bytes,
  vaultId: string,
  grantId: string,
  envelope: string,
): GrantPolicy {
  const plaintext = openEnvelope(vaultKey, envelope, {
    purpose: 'grant-info',
    ownerId: vaultId,
    itemId: grantId,
  });
  const policy = parsePolicy(plaintext, grantId);
  if (policy.vaultId !== vaultId) throw decryptionFailed();
  return policy;
}
