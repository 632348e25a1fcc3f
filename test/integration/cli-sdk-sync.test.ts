// The client SDK's sync against a real relay process: two VaultStores on one account (two
// devices), incremental pulls, the 409 → pull → merge → retry loop, duplicate-name repair, the
// ciphertext-only cache, and relay errors parsed into KeyholeError.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  RelayClient,
  VaultStore,
  addSecret,
  buildForwardRequest,
  login,
  loadCache,
  pullAll,
  pushWithMerge,
  signup,
  syncVaults,
  updateSecret,
  type Session,
} from '../../shared/client/index.js';
import { KeyholeError } from '../../shared/errors.js';
import type { SecretPayload } from '../../shared/protocol/secret.js';
import { FAST_KDF } from '../support/fast-kdf.js';
import { spawnRelay, type RelayProcess } from '../support/relay-process.js';

const PASSWORD = 'sdk sync password';
let relay: RelayProcess;
let session: Session;

function device(s: Session, cache?: unknown): { relay: RelayClient; store: VaultStore } {
  return {
    relay: new RelayClient({ baseUrl: s.relayUrl, token: s.token }),
    store: new VaultStore(
      s.unlocked,
      cache === undefined ? undefined : loadCache(s.accountId, cache),
    ),
  };
}

const secret = (name: string, value: string): SecretPayload => ({
  name,
  type: 'plain',
  value,
  allowedHosts: ['api.example.com'],
  allowedOrigins: [],
  description: '',
});

beforeAll(async () => {
  relay = await spawnRelay();
  session = await signup(relay.url, `sdk-${Date.now()}@example.com`, PASSWORD, { kdf: FAST_KDF });
});

afterAll(async () => {
  await relay?.stop();
});

describe('client SDK sync', () => {
  it('refuses a wrong password and an unreachable relay with the right codes', async () => {
    await expect(login(relay.url, session.email, 'wrong password!')).rejects.toMatchObject({
      code: 'INVALID_CREDENTIALS',
    });
    await expect(login('http://127.0.0.1:9', session.email, PASSWORD)).rejects.toMatchObject({
      code: 'RELAY_UNAVAILABLE',
    });
    await expect(
      new RelayClient({ baseUrl: relay.url, token: 'bogus' }).listVaults(),
    ).rejects.toBeInstanceOf(KeyholeError);
  });

  it('round-trips through a ciphertext-only cache and pulls incrementally', async () => {
    const one = device(session);
    await pullAll(one.relay, one.store);
    const personal = one.store.resolveVault();
    await addSecret(one.relay, one.store, personal.id, secret('alpha', 'alpha-value-123'));

    const cacheText = JSON.stringify(one.store.toCache());
    expect(cacheText).not.toContain('alpha-value-123');
    expect(cacheText).not.toContain('alpha');

    const second = await login(relay.url, session.email, PASSWORD);
    const two = device(second, JSON.parse(cacheText));
    expect(two.store.listSecrets(personal.id).map((e) => e.payload.name)).toEqual(['alpha']);
    await addSecret(one.relay, one.store, personal.id, secret('beta', 'b'));
    await pullAll(two.relay, two.store);
    expect(two.store.listSecrets(personal.id).map((e) => e.payload.name)).toEqual([
      'alpha',
      'beta',
    ]);

    const fwd = buildForwardRequest(two.store, {
      clientSecretName: 'alpha',
      url: 'https://api.example.com/v1?x=$(secret:beta)',
      headers: { authorization: 'Bearer $CLIENT_SECRET' },
    });
    expect(fwd.secrets.map((s) => s.name)).toEqual(['alpha', 'beta']);
    expect(() =>
      buildForwardRequest(two.store, {
        clientSecretName: 'alpha',
        url: 'https://other.example.com/',
        headers: { a: '$CLIENT_SECRET' },
      }),
    ).toThrow(expect.objectContaining({ code: 'HOST_NOT_ALLOWED' }) as Error);
    expect(() =>
      buildForwardRequest(two.store, {
        clientSecretName: 'alpha',
        url: 'https://api.example.com/',
      }),
    ).toThrow(expect.objectContaining({ code: 'PLACEHOLDER_MISSING' }) as Error);
    expect(() =>
      buildForwardRequest(two.store, {
        clientSecretName: 'gamma',
        url: 'https://api.example.com/$CLIENT_SECRET',
      }),
    ).toThrow(expect.objectContaining({ code: 'SECRET_NOT_FOUND' }) as Error);
  });

  it('a stale write is refused by the relay and merged, never lost', async () => {
    const one = device(session);
    const two = device(await login(relay.url, session.email, PASSWORD));
    await pullAll(one.relay, one.store);
    await pullAll(two.relay, two.store);
    const vaultId = one.store.resolveVault().id;

    await updateSecret(one.relay, one.store, vaultId, 'alpha', { value: 'from-one' });
    const report = await updateSecret(two.relay, two.store, vaultId, 'alpha', {
      value: 'from-two',
    });
    expect(report.conflicts).toEqual([
      expect.objectContaining({
        name: 'alpha',
        resolution: 'kept-both',
        copyName: expect.stringMatching(/^alpha\.conflict-/) as string,
      }),
    ]);
    await pullAll(one.relay, one.store);
    const values = one.store.listSecrets(vaultId).map((e) => [e.payload.name, e.payload.value]);
    expect(values).toContainEqual(['alpha', 'from-one']);
    expect(values).toContainEqual([report.conflicts[0]?.copyName, 'from-two']);
  });

  it('two devices adding the same name: the newer one is renamed at the next sync', async () => {
    const one = device(session);
    const two = device(await login(relay.url, session.email, PASSWORD));
    await pullAll(one.relay, one.store);
    await pullAll(two.relay, two.store);
    const vaultId = one.store.resolveVault().id;
    // Both add "twin" without seeing each other (pushWithMerge directly: no pre-check pull).
    await pushWithMerge(one.relay, one.store, vaultId, [
      { itemId: one.store.newItemId(), baseRevision: 0, base: null, ours: secret('twin', 'first') },
    ]);
    await pushWithMerge(two.relay, two.store, vaultId, [
      {
        itemId: two.store.newItemId(),
        baseRevision: 0,
        base: null,
        ours: secret('twin', 'second'),
      },
    ]);
    const report = await syncVaults(one.relay, one.store);
    expect(report.conflicts).toEqual([
      expect.objectContaining({ name: 'twin', resolution: 'renamed' }),
    ]);
    const renamed = report.conflicts[0]?.copyName;
    const byName = new Map(
      one.store.listSecrets(vaultId).map((e) => [e.payload.name, e.payload.value]),
    );
    expect(byName.get('twin')).toBe('first');
    expect(byName.get(renamed!)).toBe('second');
    expect((await syncVaults(two.relay, two.store)).conflicts).toEqual([]);
  });
});
