// Signed vault manifests (docs/vault-format.md §12): after every write, the writer signs the
// vault's whole live state — vault id, sequence, every live item's id, version and data hash.
// Readers verify it before using any item, so a relay can neither replay an old item under a new
// revision, resurrect a deleted one, nor mix states from different times.
import { z } from 'zod';
import { concat, fromBase64url, utf8 } from './bytes.js';
import { bodyHash, signBody, verificationFailed, verifyBody } from './signing.js';
import { lib } from './sodium.js';
import type { SignKeyPair } from './types.js';

export const MANIFEST_DOMAIN = 'keyhole/v1/manifest';
const VAULT_FP_DOMAIN = utf8('keyhole/v1/vault-state');

const Id = z.string().regex(/^[A-Za-z0-9_-]{22}$/);
const Hash = z.string().regex(/^[A-Za-z0-9_-]{43}$/);

/** [item id, version, item hash]: one live item. */
export type ManifestEntry = [id: string, version: number, hash: string];

export const ManifestBody = z
  .object({
    kind: z.literal('manifest'),
    v: z.literal(1),
    vaultId: Id,
    seq: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
    signer: Id,
    items: z.array(z.tuple([Id, z.number().int().min(0).max(Number.MAX_SAFE_INTEGER), Hash])),
  })
  .strict();
export type ManifestBody = z.infer<typeof ManifestBody>;

const ID_RE = /^[A-Za-z0-9_-]{22}$/;
const HASH_RE = /^[A-Za-z0-9_-]{43}$/;
const isCount = (n: unknown, min: number): n is number =>
  typeof n === 'number' && Number.isSafeInteger(n) && n >= min;

/**
 * The same rules as ManifestBody, checked by hand: zod took ~1 ms per 1,000 entries, a tenth of
 * the whole sync budget (issue #13 allows verification ≤ 10 %). The schema stays the reference.
 */
function parseBody(text: string): ManifestBody | null {
  let b: Record<string, unknown>;
  try {
    b = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return null;
  }
  if (typeof b !== 'object' || b === null || Array.isArray(b)) return null;
  const keys = Object.keys(b);
  if (
    keys.length !== 6 ||
    b.kind !== 'manifest' ||
    b.v !== 1 ||
    typeof b.vaultId !== 'string' ||
    !ID_RE.test(b.vaultId) ||
    !isCount(b.seq, 1) ||
    typeof b.signer !== 'string' ||
    !ID_RE.test(b.signer) ||
    !Array.isArray(b.items)
  ) {
    return null;
  }
  for (const e of b.items as unknown[]) {
    if (
      !Array.isArray(e) ||
      e.length !== 3 ||
      typeof e[0] !== 'string' ||
      !ID_RE.test(e[0]) ||
      !isCount(e[1], 0) ||
      typeof e[2] !== 'string' ||
      !HASH_RE.test(e[2])
    ) {
      return null;
    }
  }
  return b as ManifestBody;
}

/** What the relay stores and serves: the exact signed JSON text and its signature. */
export interface SignedManifest {
  body: string;
  signature: string;
}

/** A manifest whose signature and shape were checked. */
export interface VerifiedManifest extends ManifestBody {
  /** bodyHash: names this exact state (seen-state, vault fingerprint) */
  hash: string;
  entries: Map<string, { version: number; hash: string }>;
}

/** Signs the state `items` (any order; sorted here by id) as sequence `seq` of `vaultId`. */
export function signManifest(
  keys: SignKeyPair,
  signer: string,
  vaultId: string,
  seq: number,
  items: readonly ManifestEntry[],
): SignedManifest {
  const sorted = [...items].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]![0] === sorted[i - 1]![0]) throw new TypeError('duplicate item id in manifest');
  }
  const body = JSON.stringify({ kind: 'manifest', v: 1, vaultId, seq, signer, items: sorted });
  return { body, signature: signBody(keys, MANIFEST_DOMAIN, body) };
}

/** The manifest's claimed signer and sequence, unverified (to look the signer's key up). */
export function peekManifest(manifest: SignedManifest): { signer: string; seq: number } | null {
  try {
    const b = JSON.parse(manifest.body) as { signer?: unknown; seq?: unknown };
    return typeof b === 'object' && b !== null && typeof b.signer === 'string' && isCount(b.seq, 1)
      ? { signer: b.signer, seq: b.seq }
      : null;
  } catch {
    return null;
  }
}

/**
 * Checks the signature under `signerKey` (the signer's Ed25519 key, from a trusted source), the
 * shape, the vault id and the order of the entries. VAULT_VERIFICATION_FAILED otherwise.
 */
export function openManifest(
  manifest: SignedManifest,
  vaultId: string,
  signerKey: string | Uint8Array,
): VerifiedManifest {
  if (
    typeof manifest !== 'object' ||
    manifest === null ||
    typeof manifest.body !== 'string' ||
    typeof manifest.signature !== 'string' ||
    !verifyBody(signerKey, MANIFEST_DOMAIN, manifest.body, manifest.signature)
  ) {
    throw verificationFailed('The vault manifest is not signed by its claimed writer.');
  }
  const parsed = parseBody(manifest.body);
  if (parsed === null) throw verificationFailed('The vault manifest is malformed.');
  if (parsed.vaultId !== vaultId)
    throw verificationFailed('The vault manifest belongs to another vault.');
  const entries = new Map<string, { version: number; hash: string }>();
  let last = '';
  for (const [id, version, hash] of parsed.items) {
    if (id <= last) throw verificationFailed('The vault manifest is malformed.');
    last = id;
    entries.set(id, { version, hash });
  }
  return { ...parsed, hash: bodyHash(MANIFEST_DOMAIN, manifest.body), entries };
}

/**
 * A short, comparable name of a vault's signed state: BLAKE2b-80(domain ‖ vault id ‖ manifest
 * hash), grouped like key fingerprints. Two devices showing the same one hold the same state.
 */
export function vaultFingerprint(vaultId: string, manifestHash: string): string {
  const digest = lib().crypto_generichash(
    10,
    concat([VAULT_FP_DOMAIN, new Uint8Array([0]), utf8(vaultId), fromBase64url(manifestHash)]),
    null,
  );
  return (lib().to_hex(digest).toUpperCase().match(/.{4}/g) as string[]).join('-');
}
