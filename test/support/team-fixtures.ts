// Shared pieces for the team-*.test.ts suites: SDK "devices" for signed-up accounts, a team with
// members in given roles, raw relay calls, and forwarding a team secret to a mock API.
import {
  RelayClient,
  VaultStore,
  addSecret,
  buildForwardRequest,
  pullAll,
  signup,
  type Session,
} from '../../shared/client/index.js';
import { createTeam, inviteMember, lookupPublicKey } from '../../shared/client/team.js';
import type { SecretPayload } from '../../shared/protocol/secret.js';
import type { Role } from '../../shared/protocol/vault.js';
import { FAST_KDF } from './fast-kdf.js';
import { call, type Reply } from './http.js';

export const PASSWORD = 'team suite password';
export { FAST_KDF };

export interface Device {
  session: Session;
  relay: RelayClient;
  store: VaultStore;
  email: string;
  token: string;
}

let counter = 0;
export function uniqueEmail(label: string): string {
  counter += 1;
  return `${label}-${Date.now().toString(36)}-${counter}@example.test`;
}

export async function newDevice(relayUrl: string, label: string): Promise<Device> {
  const session = await signup(relayUrl, uniqueEmail(label), PASSWORD, { kdf: FAST_KDF });
  return deviceOf(session);
}

/** Another device of the same account (its own, empty cache). */
export function deviceOf(session: Session): Device {
  const relay = new RelayClient({ baseUrl: session.relayUrl, token: session.token });
  return {
    session,
    relay,
    store: new VaultStore(session.unlocked),
    email: session.email,
    token: session.token,
  };
}

export function secret(name: string, value: string, host = 'api.example.com'): SecretPayload {
  return { name, type: 'plain', value, allowedHosts: [host], allowedOrigins: [], description: '' };
}

/** A team owned by `owner` with the others invited in the given roles (fingerprints checked). */
export async function makeTeam(
  owner: Device,
  name: string,
  members: [Device, Role][] = [],
): Promise<string> {
  const { vaultId } = await createTeam(owner.relay, owner.store, name);
  for (const [device, role] of members) {
    const key = await lookupPublicKey(owner.relay, device.email);
    await inviteMember(owner.relay, owner.store, vaultId, device.email, {
      role,
      expectFingerprint: key.fingerprint,
    });
    await pullAll(device.relay, device.store);
  }
  return vaultId;
}

export async function addTeamSecret(
  device: Device,
  vaultId: string,
  payload: SecretPayload,
): Promise<string> {
  const { itemId } = await addSecret(device.relay, device.store, vaultId, payload);
  return itemId;
}

export function raw(
  base: string,
  method: string,
  path: string,
  token: string,
  body?: unknown,
): Promise<Reply> {
  return call(base, method, path, body === undefined ? { token } : { token, body });
}

/** DELETE /v1/teams/:vaultId/members/:accountId by `by`, straight to the relay (no SDK checks). */
export function rawRemove(
  by: Device,
  vaultId: string,
  accountId: string,
  body: unknown,
): Promise<Reply> {
  return raw(
    by.session.relayUrl,
    'DELETE',
    `/v1/teams/${vaultId}/members/${accountId}`,
    by.token,
    body,
  );
}

export function errorCode(reply: Reply): string | undefined {
  return (reply.json as { error?: { code?: string } } | undefined)?.error?.code;
}

/** Forwards `$CLIENT_SECRET` of `name` in team `vaultId` to `url` as a bearer header. */
export async function forwardWith(
  device: Device,
  vaultId: string,
  name: string,
  url: string,
): Promise<Response> {
  const request = buildForwardRequest(device.store, {
    clientSecretName: name,
    url,
    headers: { authorization: 'Bearer $CLIENT_SECRET' },
    vaultId,
    origin: 'https://app.example.test',
  });
  return device.relay.forward(request);
}
