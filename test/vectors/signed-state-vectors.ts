// The signed-state vectors (docs/vault-format.md §12–15): versioned item records, vault manifests
// checked against what a device has seen, and team membership chains — valid, tampered, replayed,
// rolled back and forged member. Called by generate.ts with a seeded random stream.
import {
  fromBase64url,
  generateSignKeyPair,
  itemHash,
  signManifest,
  signStatement,
  statementHash,
  toBase64url,
  type ManifestEntry,
  type SignedManifest,
  type SignedStatement,
  type SignKeyPair,
  type StatementInput,
} from '../../shared/crypto/index.js';
import { newIdWith, type RandomSource } from '../../shared/crypto/bytes.js';
import { encryptItemRecordWith } from '../../shared/crypto/item.js';
import { lib } from '../../shared/crypto/sodium.js';
import type { SecretPayload } from '../../shared/protocol/secret.js';

type Expected = 'ok' | 'decryption_failed' | 'verification_failed';
const hex = (b: Uint8Array): string => lib().to_hex(b);
const AT = 1_780_000_000_000;

const payload = (name: string, value: string): SecretPayload => ({
  name,
  type: 'bearer',
  value,
  allowedHosts: ['api.example.com'],
  allowedOrigins: [],
  description: '',
});

function itemRecordCases(random: RandomSource, vaultKey: Uint8Array, vaultId: string) {
  const itemId = newIdWith(random);
  const itemKey = random(32);
  const v1 = encryptItemRecordWith(
    random,
    vaultKey,
    vaultId,
    itemId,
    {
      version: 1,
      prev: '',
      payload: payload('alpha', 'sk-v1'),
    },
    itemKey,
  );
  const v2Key = random(32);
  const v2 = encryptItemRecordWith(
    random,
    vaultKey,
    vaultId,
    itemId,
    {
      version: 2,
      prev: itemHash(v1.data),
      payload: payload('alpha', 'sk-v2'),
    },
    v2Key,
  );
  const tombKey = random(32);
  const tomb = encryptItemRecordWith(
    random,
    vaultKey,
    vaultId,
    itemId,
    {
      version: 3,
      prev: itemHash(v2.data),
      payload: null,
    },
    tombKey,
  );
  const tampered = fromBase64url(v2.data).slice();
  tampered[30] = (tampered[30] as number) ^ 1;
  const cases: Array<Record<string, unknown> & { name: string; expected: Expected }> = [
    {
      name: 'record v1 (first version)',
      itemId,
      itemKey: hex(itemKey),
      data: v1.data,
      version: 1,
      prev: '',
      deleted: false,
      dataHash: itemHash(v1.data),
      expected: 'ok',
    },
    {
      name: 'record v2 chained to v1',
      itemId,
      itemKey: hex(v2Key),
      data: v2.data,
      version: 2,
      prev: itemHash(v1.data),
      deleted: false,
      dataHash: itemHash(v2.data),
      expected: 'ok',
    },
    {
      name: 'tombstone v3 (authenticated deletion)',
      itemId,
      itemKey: hex(tombKey),
      data: tomb.data,
      version: 3,
      prev: itemHash(v2.data),
      deleted: true,
      dataHash: itemHash(tomb.data),
      expected: 'ok',
    },
    {
      name: 'record tampered',
      itemId,
      itemKey: hex(v2Key),
      data: toBase64url(tampered),
      expected: 'decryption_failed',
    },
    {
      name: 'record moved to another item',
      itemId: newIdWith(random),
      itemKey: hex(v2Key),
      data: v2.data,
      expected: 'decryption_failed',
    },
  ];
  return { cases, records: { v1: v1.data, v2: v2.data }, itemId };
}

function manifestCases(
  random: RandomSource,
  writer: SignKeyPair,
  writerId: string,
  relay: SignKeyPair,
  vaultId: string,
) {
  const a = newIdWith(random);
  const b = newIdWith(random);
  const [first, second] = [a, b].sort();
  const dataA1 = `${toBase64url(random(90))}`;
  const dataA2 = `${toBase64url(random(90))}`;
  const dataB1 = `${toBase64url(random(90))}`;
  const entries = (aVersion: number, aData: string): ManifestEntry[] => [
    [a, aVersion, itemHash(aData)],
    [b, 1, itemHash(dataB1)],
  ];
  const m2 = signManifest(writer, writerId, vaultId, 2, entries(1, dataA1));
  const m3 = signManifest(writer, writerId, vaultId, 3, entries(2, dataA2));
  const m4old = signManifest(writer, writerId, vaultId, 4, entries(1, dataA1));
  const m3fork = signManifest(writer, writerId, vaultId, 3, [
    [a, 2, itemHash(dataA1)],
    [b, 1, itemHash(dataB1)],
  ]);
  const forged = signManifest(relay, writerId, vaultId, 5, entries(2, dataA2));
  const otherVault = signManifest(writer, writerId, newIdWith(random), 3, entries(2, dataA2));
  const tamperedBody: SignedManifest = { ...m3, body: m3.body.replace('"seq":3', '"seq":9') };
  const sigBytes = fromBase64url(m3.signature).slice();
  sigBytes[0] = (sigBytes[0] as number) ^ 1;
  const tamperedSig: SignedManifest = { ...m3, signature: toBase64url(sigBytes) };
  const records = (
    aData: string,
    extra: Array<{ id: string; data: string; deleted?: boolean }> = [],
  ) => [
    { id: a, data: aData, deleted: false },
    { id: b, data: dataB1, deleted: false },
    ...extra.map((r) => ({ deleted: false, ...r })),
  ];
  const seenAt3 = {
    seq: 3,
    hash: '',
    items: { [a]: [2, itemHash(dataA2)], [b]: [1, itemHash(dataB1)] },
  };
  const resurrected = newIdWith(random);
  const cases = [
    {
      name: 'valid state, first sight',
      manifest: m3,
      records: records(dataA2),
      seen: null,
      expected: 'ok',
    },
    {
      name: 'valid newer state after seen',
      manifest: m3,
      records: records(dataA2),
      seen: { seq: 2, hash: '', items: { [a]: [1, itemHash(dataA1)], [b]: [1, itemHash(dataB1)] } },
      expected: 'ok',
    },
    {
      name: 'tampered body',
      manifest: tamperedBody,
      records: records(dataA2),
      seen: null,
      expected: 'verification_failed',
    },
    {
      name: 'tampered signature',
      manifest: tamperedSig,
      records: records(dataA2),
      seen: null,
      expected: 'verification_failed',
    },
    {
      name: 'forged: signed by a key that is not the writer',
      manifest: forged,
      records: records(dataA2),
      seen: null,
      expected: 'verification_failed',
    },
    {
      name: 'manifest of another vault',
      manifest: otherVault,
      records: records(dataA2),
      seen: null,
      expected: 'verification_failed',
    },
    {
      name: 'replayed: an older genuine state after a newer one was seen',
      manifest: m2,
      records: records(dataA1),
      seen: seenAt3,
      expected: 'verification_failed',
    },
    {
      name: 'rolled back item under a new sequence',
      manifest: m4old,
      records: records(dataA1),
      seen: seenAt3,
      expected: 'verification_failed',
    },
    {
      name: 'fork: same sequence, other content',
      manifest: m3fork,
      records: records(dataA1),
      seen: { ...seenAt3, hash: 'x' },
      expected: 'verification_failed',
    },
    {
      name: 'item replayed: old ciphertext under the current state',
      manifest: m3,
      records: records(dataA1),
      seen: null,
      expected: 'verification_failed',
    },
    {
      name: 'item resurrected: a row the state does not list',
      manifest: m3,
      records: records(dataA2, [{ id: resurrected, data: dataA1 }]),
      seen: null,
      expected: 'verification_failed',
    },
    {
      name: 'item withheld: a listed item is missing',
      manifest: m3,
      records: [{ id: b, data: dataB1, deleted: false }],
      seen: null,
      expected: 'verification_failed',
    },
    {
      name: 'a deleted row (tombstone) is not live',
      manifest: m3,
      records: records(dataA2, [{ id: resurrected, data: dataA1, deleted: true }]),
      seen: null,
      expected: 'ok',
    },
  ];
  return { cases, first, second };
}

function chainCases(random: RandomSource, vaultId: string) {
  const owner = {
    id: newIdWith(random),
    sign: generateSignKeyPair(random(32)),
    box: toBase64url(random(32)),
  };
  const admin = {
    id: newIdWith(random),
    sign: generateSignKeyPair(random(32)),
    box: toBase64url(random(32)),
  };
  const member = {
    id: newIdWith(random),
    sign: generateSignKeyPair(random(32)),
    box: toBase64url(random(32)),
  };
  const relay = {
    id: newIdWith(random),
    sign: generateSignKeyPair(random(32)),
    box: toBase64url(random(32)),
  };
  type P = typeof owner;
  const pk = (p: P) => toBase64url(p.sign.publicKey);
  const build = (
    steps: Array<{ by: P; input: Omit<StatementInput, 'vaultId' | 'seq' | 'prev' | 'by' | 'at'> }>,
    brokenPrevAt = -1,
  ): SignedStatement[] => {
    const out: SignedStatement[] = [];
    for (const [seq, step] of steps.entries()) {
      const prev =
        seq === 0
          ? ''
          : seq === brokenPrevAt
            ? statementHash(out[0]!)
            : statementHash(out[seq - 1]!);
      out.push(
        signStatement(step.by.sign, {
          ...step.input,
          vaultId,
          seq,
          prev,
          by: step.by.id,
          at: AT + seq,
        }),
      );
    }
    return out;
  };
  const create = {
    by: owner,
    input: {
      action: 'create' as const,
      subject: owner.id,
      role: 'owner' as const,
      boxKey: owner.box,
      signKey: pk(owner),
    },
  };
  const addAdmin = {
    by: owner,
    input: {
      action: 'add' as const,
      subject: admin.id,
      role: 'admin' as const,
      boxKey: admin.box,
      signKey: pk(admin),
    },
  };
  const adminAddsMember = {
    by: admin,
    input: {
      action: 'add' as const,
      subject: member.id,
      role: 'member' as const,
      boxKey: member.box,
      signKey: pk(member),
    },
  };
  const roleChange = {
    by: owner,
    input: {
      action: 'role' as const,
      subject: member.id,
      role: 'user' as const,
      boxKey: null,
      signKey: null,
    },
  };
  const removeMember = {
    by: admin,
    input: {
      action: 'remove' as const,
      subject: member.id,
      role: null,
      boxKey: null,
      signKey: null,
    },
  };
  const valid = build([create, addAdmin, adminAddsMember, roleChange, removeMember]);
  const relayAdds = {
    by: relay,
    input: {
      action: 'add' as const,
      subject: relay.id,
      role: 'member' as const,
      boxKey: relay.box,
      signKey: pk(relay),
    },
  };
  const forgedMember = [...valid.slice(0, 2), build([create, addAdmin, relayAdds])[2]!];
  const memberAdds = {
    by: member,
    input: {
      action: 'add' as const,
      subject: relay.id,
      role: 'member' as const,
      boxKey: relay.box,
      signKey: pk(relay),
    },
  };
  const adminMakesOwner = {
    by: admin,
    input: {
      action: 'add' as const,
      subject: relay.id,
      role: 'owner' as const,
      boxKey: relay.box,
      signKey: pk(relay),
    },
  };
  const cases = [
    {
      name: 'valid chain: create, add admin, admin adds member, role change, removal',
      statements: valid,
      expected: 'ok',
      members: [
        [owner.id, 'owner'],
        [admin.id, 'admin'],
      ],
    },
    {
      name: 'valid prefix (membership as of statement 2)',
      statements: valid.slice(0, 3),
      expected: 'ok',
      members: [
        [owner.id, 'owner'],
        [admin.id, 'admin'],
        [member.id, 'member'],
      ],
    },
    {
      name: 'forged member: an add signed by a key not in the chain',
      statements: forgedMember,
      expected: 'verification_failed',
    },
    {
      name: 'forged member: a plain member adds someone',
      statements: build([create, addAdmin, adminAddsMember, memberAdds]),
      expected: 'verification_failed',
    },
    {
      name: 'an admin grants owner',
      statements: build([create, addAdmin, adminMakesOwner]),
      expected: 'verification_failed',
    },
    {
      name: 'broken hash chain',
      statements: build([create, addAdmin, adminAddsMember], 2),
      expected: 'verification_failed',
    },
    {
      name: 'tampered statement',
      statements: [valid[0]!, { ...valid[1]!, body: valid[1]!.body.replace('"admin"', '"owner"') }],
      expected: 'verification_failed',
    },
    {
      name: 'a chain that does not start with its owner creating it',
      statements: valid.slice(1),
      expected: 'verification_failed',
    },
    {
      name: 'rolled back: shorter than the chain already seen',
      statements: valid.slice(0, 3),
      seen: { genesis: statementHash(valid[0]!), chain: [4, statementHash(valid[4]!)] },
      expected: 'verification_failed',
    },
  ];
  return cases;
}

/** Every key, id and nonce drawn from `random` (generate.ts's seeded stream). */
export function signedStateVectors(source: string, random: RandomSource) {
  const vaultId = newIdWith(random);
  const vaultKey = random(32);
  const writerId = newIdWith(random);
  const writer = generateSignKeyPair(random(32));
  const relay = generateSignKeyPair(random(32));
  const items = itemRecordCases(random, vaultKey, vaultId);
  const manifests = manifestCases(random, writer, writerId, relay, vaultId);
  return {
    source,
    description:
      "Signed vault state: item records (version and previous hash inside the AEAD), vault manifests checked against a device's seen-state, and team membership chains. Expected classes: ok, decryption_failed, verification_failed (VAULT_VERIFICATION_FAILED).",
    vaultId,
    vaultKey: hex(vaultKey),
    manifestWriter: {
      accountId: writerId,
      signPublicKey: toBase64url(writer.publicKey),
      seed: hex(writer.seed),
    },
    cases: [
      ...items.cases.map((c) => ({ kind: 'item-record', ...c })),
      ...manifests.cases.map((c) => ({ kind: 'manifest', ...c })),
      ...chainCases(random, vaultId).map((c) => ({ kind: 'chain', ...c })),
    ],
  };
}
