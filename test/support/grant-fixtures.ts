// Shared pieces for the grant suites: a grant sealed the way the owner's client seals it, made on
// a real relay, and grant forwards sent from Node with whatever Origin a non-browser likes.
import { request } from 'undici';
import { newGrantToken, randomBytes, sealGrant, fromBase64url } from '../../shared/crypto/index.js';
import type { GrantPolicy } from '../../shared/protocol/grant.js';
import type { SecretRef } from '../../shared/protocol/forward.js';
import { addSecret, pullAll, removeSecret } from '../../shared/client/index.js';
import { createGrant } from '../../shared/client/grants.js';
import { inviteMember, removeMember as removeTeamMember } from '../../shared/client/team.js';
import { call, type Reply } from './http.js';
import { makeTeam, newDevice, type Device } from './team-fixtures.js';

export interface MadeGrant {
  id: string;
  token: string;
  grantKey: Uint8Array;
  lookup: string;
  policy: GrantPolicy;
}

export async function makeGrant(
  relayUrl: string,
  sessionToken: string,
  ref: SecretRef,
  overrides: Partial<GrantPolicy> = {},
): Promise<MadeGrant> {
  const t = newGrantToken();
  const grantKey = Uint8Array.from(t.grantKey);
  const policy: GrantPolicy = {
    v: 1,
    grantId: t.grantId,
    vaultId: ref.vaultId,
    itemId: ref.itemId,
    secretName: ref.name,
    origins: ['https://app.example'],
    methods: [],
    paths: [],
    ratePerMinute: null,
    quotaPerDay: null,
    expiresAt: null,
    maxBodyBytes: 262_144,
    locked: null,
    createdAt: Date.now(),
    ...overrides,
  };
  // The vault key only seals the owner's copy, which the relay never opens.
  const sealed = sealGrant(t, randomBytes(32), fromBase64url(ref.itemKey), policy);
  const made = await call(relayUrl, 'POST', '/v1/grants', {
    token: sessionToken,
    body: {
      id: t.grantId,
      vaultId: ref.vaultId,
      itemId: ref.itemId,
      lookup: t.lookup,
      ...sealed,
      corsOrigins: policy.origins,
    },
  });
  if (made.status !== 201) throw new Error(`grant create failed: ${made.status} ${made.text}`);
  return { id: t.grantId, token: t.token, grantKey, lookup: t.lookup, policy };
}

export interface GrantReply extends Reply {
  code: string | undefined;
  acao: string | undefined;
}

/** A grant forward from Node: any Origin (or none), any X-Forwarded-For. */
export async function grantForward(
  relayUrl: string,
  grant: { id: string; token: string },
  body: unknown,
  opts: { origin?: string | null; xff?: string; method?: string; raw?: string } = {},
): Promise<GrantReply> {
  const headers: Record<string, string> = {
    authorization: `Bearer ${grant.token}`,
    'content-type': 'application/json',
  };
  if (opts.origin !== null) headers.origin = opts.origin ?? 'https://app.example';
  if (opts.xff) headers['x-forwarded-for'] = opts.xff;
  const res = await request(`${relayUrl}/v1/grants/${grant.id}/forward`, {
    method: (opts.method ?? 'POST') as 'POST',
    headers,
    body: opts.raw ?? JSON.stringify(body),
  });
  const text = await res.body.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const h = new Headers();
  for (const [k, v] of Object.entries(res.headers)) {
    if (typeof v === 'string') h.set(k, v);
    else if (Array.isArray(v)) h.set(k, v.join(', '));
  }
  return {
    status: res.statusCode,
    headers: h,
    text,
    json,
    code: h.get('keyhole-error') ?? undefined,
    acao: h.get('access-control-allow-origin') ?? undefined,
  };
}

export async function preflight(
  relayUrl: string,
  grantId: string,
  origin: string,
): Promise<{ status: number; acao: string | undefined }> {
  const res = await request(`${relayUrl}/v1/grants/${grantId}/forward`, {
    method: 'OPTIONS',
    headers: {
      origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization, content-type',
    },
  });
  await res.body.dump();
  const acao = res.headers['access-control-allow-origin'];
  return { status: res.statusCode, acao: typeof acao === 'string' ? acao : undefined };
}

/**
 * A team whose `member` made a grant of a team secret with the real client (the owner's side of
 * a grant, docs/protocol.md "Grants"): for the ends of a grant that other writes cause — the secret deleted, the
 * member removed — made through a relay, as users make them.
 */
export async function teamGrant(
  relayUrl: string,
  allowedHost: string,
  origin = 'https://app.example',
): Promise<{
  owner: Device;
  member: Device;
  vaultId: string;
  grant: { id: string; token: string };
  deleteSecret: () => Promise<void>;
  removeMember: () => Promise<void>;
  /** the owner invites the removed member again */
  readdMember: () => Promise<void>;
}> {
  const owner = await newDevice(relayUrl, 'grant-owner');
  const member = await newDevice(relayUrl, 'grant-member');
  const vaultId = await makeTeam(owner, `grants-${Date.now().toString(36)}`, [[member, 'member']]);
  await addSecret(member.relay, member.store, vaultId, {
    name: 'team-api',
    type: 'bearer',
    value: 'sk-team-grant-77aa01',
    allowedHosts: [allowedHost],
    allowedOrigins: [],
    description: '',
  });
  const made = await createGrant(member.relay, member.store, vaultId, 'team-api', {
    origins: [origin],
  });
  return {
    owner,
    member,
    vaultId,
    grant: { id: made.id, token: made.token },
    deleteSecret: async () => {
      await removeSecret(member.relay, member.store, vaultId, 'team-api');
    },
    removeMember: async () => {
      await pullAll(owner.relay, owner.store);
      await removeTeamMember(owner.relay, owner.store, vaultId, member.email);
    },
    readdMember: async () => {
      await inviteMember(owner.relay, owner.store, vaultId, member.email, { role: 'member' });
    },
  };
}
