// Grants (docs/vault-format.md §11): the token `khg_…` (grant id + random grant key), its lookup
// hash, the item key wrapped under the grant key, and the policy sealed under it (AD-bound to the
// grant id) — plus an owner-readable copy of the policy under the vault key.
import { KeyholeError } from '../errors.js';
import { GRANT_TOKEN_PREFIX, GrantPolicy } from '../protocol/grant.js';
import { assertBytes, fromBase64url, randomBytes, toBase64url, utf8, wipe } from './bytes.js';
import type { RandomSource } from './bytes.js';
import { KEY_BYTES, NONCE_BYTES, openJson, openKey, sealEnvelopeWithNonce } from './envelope.js';
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
  return newGrantTokenWith(randomBytes);
}

/** newGrantToken with its id and key drawn from `random` (test/vectors/generate.ts). */
export function newGrantTokenWith(random: RandomSource): GrantToken & { token: string } {
  const bytes = new Uint8Array(TOKEN_BYTES);
  bytes[0] = GRANT_TOKEN_VERSION;
  bytes.set(random(ID_BYTES), 1);
  bytes.set(random(KEY_BYTES), 1 + ID_BYTES);
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
  return sealGrantWith(randomBytes, token, vaultKey, itemKey, policy);
}

/** sealGrant with its nonces drawn from `random` (test/vectors/generate.ts). */
export function sealGrantWith(
  random: RandomSource,
  token: GrantToken,
  vaultKey: Bytes,
  itemKey: Bytes,
  policy: GrantPolicy,
): SealedGrant {
  assertBytes(itemKey, KEY_BYTES, 'itemKey');
  const checked = GrantPolicy.safeParse(policy);
  if (!checked.success || checked.data.grantId !== token.grantId) {
    throw new KeyholeError('INVALID_REQUEST', 'The grant policy is not valid.');
  }
  const json = utf8(JSON.stringify(checked.data));
  const out: SealedGrant = {
    wrappedItemKey: sealEnvelopeWithNonce(
      token.grantKey,
      itemKey,
      { purpose: 'grant-item-key', ownerId: token.grantId, itemId: policy.itemId },
      random(NONCE_BYTES),
    ),
    policy: sealEnvelopeWithNonce(
      token.grantKey,
      json,
      { purpose: 'grant-policy', ownerId: token.grantId, itemId: '' },
      random(NONCE_BYTES),
    ),
    info: sealEnvelopeWithNonce(
      vaultKey,
      json,
      { purpose: 'grant-info', ownerId: policy.vaultId, itemId: token.grantId },
      random(NONCE_BYTES),
    ),
  };
  wipe(json);
  return out;
}

/** A policy opened by openJson: it must be a GrantPolicy naming this grant. */
function checkPolicy(parsed: unknown, grantId: string): GrantPolicy {
  const checked = GrantPolicy.safeParse(parsed);
  if (!checked.success || checked.data.grantId !== grantId) throw decryptionFailed();
  return checked.data;
}

/** The relay: the policy, authenticated by the grant key and bound to the grant id. */
export function openGrantPolicy(grantKey: Bytes, grantId: string, envelope: string): GrantPolicy {
  const parsed = openJson(grantKey, envelope, {
    purpose: 'grant-policy',
    ownerId: grantId,
    itemId: '',
  });
  return checkPolicy(parsed, grantId);
}

/** The relay: the item key the grant opens (bound to the grant id and the item id). */
export function unwrapGrantItemKey(
  grantKey: Bytes,
  grantId: string,
  itemId: string,
  envelope: string,
): Bytes {
  return openKey(grantKey, envelope, { purpose: 'grant-item-key', ownerId: grantId, itemId });
}

/** The owner (and the vault's members): the policy copy sealed under the vault key. */
export function openGrantInfo(
  vaultKey: Bytes,
  vaultId: string,
  grantId: string,
  envelope: string,
): GrantPolicy {
  const parsed = openJson(vaultKey, envelope, {
    purpose: 'grant-info',
    ownerId: vaultId,
    itemId: grantId,
  });
  const policy = checkPolicy(parsed, grantId);
  if (policy.vaultId !== vaultId) throw decryptionFailed();
  return policy;
}
