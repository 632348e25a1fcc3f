// The grant vectors (docs/vault-format.md §11): token, lookup hash, wrapped item key, sealed policy
// and the owner's copy — ok, tampered, truncated, wrong version, moved. Called by generate.ts.
import { toBase64url, fromBase64url } from '../../shared/crypto/index.js';
import { newIdWith, type RandomSource } from '../../shared/crypto/bytes.js';
import { NONCE_BYTES, sealEnvelopeWithNonce } from '../../shared/crypto/envelope.js';
import { newGrantTokenWith, sealGrantWith } from '../../shared/crypto/grant.js';
import { lib } from '../../shared/crypto/sodium.js';
import type { GrantPolicy } from '../../shared/protocol/grant.js';

type Expected = 'ok' | 'decryption_failed' | 'unsupported_format';

const hex = (b: Uint8Array): string => lib().to_hex(b);

function edit(b64: string, fn: (b: Uint8Array) => Uint8Array): string {
  return toBase64url(fn(Uint8Array.from(fromBase64url(b64))));
}
const flipAt =
  (index: (n: number) => number) =>
  (b: Uint8Array): Uint8Array => {
    const i = index(b.length);
    b[i] = (b[i] as number) ^ 0x01;
    return b;
  };
const setAt =
  (i: number, v: number) =>
  (b: Uint8Array): Uint8Array => {
    b[i] = v;
    return b;
  };
const tokenEdit = (token: string, fn: (b: Uint8Array) => Uint8Array): string =>
  `khg_${edit(token.slice(4), fn)}`;

/** Every key, id and nonce drawn from `random` (generate.ts's seeded stream), so every byte is reproducible. */
export function grantVectors(source: string, random: RandomSource): Record<string, unknown> {
  const newId = () => newIdWith(random);
  const { token, grantId, grantKey, lookup } = newGrantTokenWith(random);
  const other = newGrantTokenWith(random);
  const vaultKey = random(32);
  const vaultId = newId();
  const itemId = newId();
  const itemKey = random(32);
  const policy: GrantPolicy = {
    v: 1,
    grantId,
    vaultId,
    itemId,
    secretName: 'openai',
    origins: ['https://app.example', 'http://localhost:5173'],
    methods: ['POST'],
    paths: ['/v1/chat/completions'],
    ratePerMinute: 10,
    quotaPerDay: 1000,
    expiresAt: 1_900_000_000_000,
    maxBodyBytes: 262_144,
    locked: {
      jwksUrl: 'https://login.example/.well-known/jwks.json',
      issuer: 'https://login.example/',
      audience: 'app',
    },
    createdAt: 1_800_000_000_000,
  };
  const sealed = sealGrantWith(random, { grantId, grantKey, lookup }, vaultKey, itemKey, policy);
  const forOther = sealGrantWith(random, other, vaultKey, itemKey, {
    ...policy,
    grantId: other.grantId,
  });
  const wider = sealEnvelopeWithNonce(
    grantKey,
    lib().from_string(JSON.stringify({ ...policy, grantId: other.grantId })),
    { purpose: 'grant-policy', ownerId: grantId, itemId: '' },
    random(NONCE_BYTES),
  );

  const cases: Array<Record<string, unknown>> = [];
  const tok = (name: string, t: string, expected: Expected, extra: object = {}) =>
    cases.push({ name, kind: 'token', token: t, expected, ...extra });
  const ik = (name: string, envelope: string, expected: Expected, extra: object = {}) =>
    cases.push({
      name,
      kind: 'item-key',
      grantKey: hex(grantKey),
      grantId,
      itemId,
      envelope,
      expected,
      ...extra,
    });
  const pol = (name: string, envelope: string, expected: Expected, extra: object = {}) =>
    cases.push({
      name,
      kind: 'policy',
      grantKey: hex(grantKey),
      grantId,
      envelope,
      expected,
      ...extra,
    });
  const info = (name: string, envelope: string, expected: Expected, extra: object = {}) =>
    cases.push({
      name,
      kind: 'info',
      vaultKey: hex(vaultKey),
      vaultId,
      grantId,
      envelope,
      expected,
      ...extra,
    });

  tok('ok: token', token, 'ok', { grantId, grantKey: hex(grantKey), lookup });
  tok('token: wrong version', tokenEdit(token, setAt(0, 2)), 'unsupported_format');
  tok('token: truncated', token.slice(0, -1), 'decryption_failed');
  tok(
    'token: one byte short',
    tokenEdit(token, (b) => b.subarray(0, b.length - 1)),
    'decryption_failed',
  );
  tok('token: no prefix', token.slice(4), 'decryption_failed');
  tok('token: padding', `${token}=`, 'decryption_failed');

  ik('ok: item key', sealed.wrappedItemKey, 'ok', { itemKey: hex(itemKey) });
  ik(
    'item key: tampered tag',
    edit(
      sealed.wrappedItemKey,
      flipAt((n) => n - 1),
    ),
    'decryption_failed',
  );
  ik(
    'item key: tampered nonce',
    edit(
      sealed.wrappedItemKey,
      flipAt(() => 5),
    ),
    'decryption_failed',
  );
  ik(
    'item key: truncated',
    edit(sealed.wrappedItemKey, (b) => b.subarray(0, 41)),
    'decryption_failed',
  );
  ik('item key: wrong version', edit(sealed.wrappedItemKey, setAt(0, 2)), 'unsupported_format');
  ik('item key: moved to another item', sealed.wrappedItemKey, 'decryption_failed', {
    itemId: newId(),
  });
  ik('item key: of another grant', forOther.wrappedItemKey, 'decryption_failed');
  ik('item key: wrong grant key', sealed.wrappedItemKey, 'decryption_failed', {
    grantKey: hex(other.grantKey),
  });

  pol('ok: policy', sealed.policy, 'ok', { policy });
  pol(
    'policy: tampered ciphertext',
    edit(
      sealed.policy,
      flipAt(() => 30),
    ),
    'decryption_failed',
  );
  pol(
    'policy: truncated',
    edit(sealed.policy, (b) => b.subarray(0, b.length - 16)),
    'decryption_failed',
  );
  pol('policy: wrong version', edit(sealed.policy, setAt(0, 2)), 'unsupported_format');
  pol('policy: wrong algorithm', edit(sealed.policy, setAt(1, 2)), 'unsupported_format');
  pol('policy: of another grant (moved)', forOther.policy, 'decryption_failed');
  pol('policy: naming another grant inside', wider, 'decryption_failed');
  pol('policy: the owner copy in its place', sealed.info, 'decryption_failed');

  info('ok: owner copy', sealed.info, 'ok', { policy });
  info(
    'owner copy: tampered',
    edit(
      sealed.info,
      flipAt((n) => n - 3),
    ),
    'decryption_failed',
  );
  info('owner copy: moved to another grant', sealed.info, 'decryption_failed', {
    grantId: other.grantId,
  });
  info('owner copy: wrong version', edit(sealed.info, setAt(0, 0)), 'unsupported_format');

  return {
    source,
    spec: 'docs/vault-format.md §11 (grants)',
    fields:
      'kind token: token → grantId, grantKey (hex), lookup (hex); item-key: grantKey hex, envelope b64url → itemKey hex; policy: grantKey, envelope → policy; info: vaultKey, envelope → policy',
    cases,
  };
}
