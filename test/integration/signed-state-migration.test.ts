// Migration in place (issue #13, docs/vault-format.md §15): an account and a vault written before
// signing keys, versions and manifests are signed at the next unlock and sync — nothing lost, no
// user action — and from then on every device verifies them. Real relay, SQLite and PostgreSQL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  RelayClient,
  VaultStore,
  ensureSignKeys,
  login,
  syncVaults,
  updateSecret,
} from '../../shared/client/index.js';
import {
  createAccountKeys,
  encryptItem,
  initCrypto,
  newId,
  newKdfParams,
  randomBytes,
  toBase64url,
  wrapVaultKey,
} from '../../shared/crypto/index.js';
import { FAST_KDF } from '../support/fast-kdf.js';
import type { RelayProcess } from '../support/relay-process.js';
import { call } from '../support/http.js';
import { STORES, relayOn } from '../support/relay-fixtures.js';

const PASSWORD = 'migrate me in place please';

const secret = (name: string, value: string) => ({
  name,
  type: 'plain' as const,
  value,
  allowedHosts: ['api.example.com'],
  allowedOrigins: [],
  description: '',
});

for (const store of STORES) {
  describe(`migration of pre-#13 state on ${store.name}`, () => {
    let relay: RelayProcess;
    let teardown: () => Promise<void>;

    beforeAll(async () => {
      await initCrypto();
      const target = await store.setup();
      teardown = target.teardown;
      relay = await relayOn(target.db);
    });
    afterAll(async () => {
      await relay?.stop();
      await teardown?.();
    });

    it('signs a legacy account and vault at the next unlock and sync; nothing is lost', async () => {
      // What an older client left behind: a bundle without a signing key, format-1 items pushed
      // without a manifest, and a tombstone without ciphertext.
      const email = `legacy-${store.name}-${Date.now()}@example.test`;
      const accountId = newId();
      const vaultId = newId();
      const { authKey, bundle, unlocked } = createAccountKeys(accountId, PASSWORD, {
        ...newKdfParams(),
        ...FAST_KDF,
      });
      const { signPublicKey: _p, wrappedSignKey: _w, ...legacyBundle } = bundle;
      const vaultKey = randomBytes(32);
      const signup = await call(relay.url, 'POST', '/v1/auth/signup', {
        body: {
          accountId,
          email,
          authKey: toBase64url(authKey),
          keys: legacyBundle,
          personalVault: {
            id: vaultId,
            wrappedKey: wrapVaultKey(unlocked.accountKey, vaultId, vaultKey),
          },
        },
      });
      expect(signup.status).toBe(201);
      const token = (
        await call(relay.url, 'POST', '/v1/auth/login', {
          body: { email, authKey: toBase64url(authKey) },
        })
      ).json.token as string;
      const ids = { a: newId(), b: newId(), gone: newId() };
      const writes = (['a', 'b', 'gone'] as const).map((name) => {
        const item = encryptItem(vaultKey, vaultId, ids[name], secret(name, `${name}-legacy`));
        return { id: ids[name], baseRevision: 0, deleted: false, ...item, keyGeneration: 0 };
      });
      expect(
        (await call(relay.url, 'POST', `/v1/vaults/${vaultId}/items`, { token, body: { writes } }))
          .status,
      ).toBe(200);
      const tombstone = {
        id: ids.gone,
        baseRevision: 3,
        deleted: true,
        wrappedKey: '',
        data: '',
        keyGeneration: 0,
      };
      expect(
        (
          await call(relay.url, 'POST', `/v1/vaults/${vaultId}/items`, {
            token,
            body: { writes: [tombstone] },
          })
        ).status,
      ).toBe(200);

      // The new client: login, signing key added once, vault signed at sync.
      const session = await login(relay.url, email, PASSWORD);
      expect(session.unlocked.signKeys).toBeUndefined();
      const client = new RelayClient({ baseUrl: relay.url, token: session.token });
      const keys = await ensureSignKeys(client, session.unlocked, session.keys);
      expect(keys.signPublicKey).toBeDefined();
      expect(session.unlocked.signKeys).toBeDefined();
      const device = new VaultStore(session.unlocked);
      const report = await syncVaults(client, device);
      expect(report.failures).toEqual([]);
      expect(device.manifestOf(vaultId)?.seq).toBe(1);
      const values = device.listSecrets(vaultId).map((e) => [e.payload.name, e.payload.value]);
      expect(values).toEqual([
        ['a', 'a-legacy'],
        ['b', 'b-legacy'],
      ]);
      expect(device.index(vaultId).byName.get('a')?.version).toBe(0); // format 1, not re-encrypted

      // A second device logs in with the migrated bundle and verifies the signed state.
      const again = await login(relay.url, email, PASSWORD);
      expect(again.unlocked.signKeys).toBeDefined();
      const other = new VaultStore(again.unlocked);
      const otherClient = new RelayClient({ baseUrl: relay.url, token: again.token });
      expect((await syncVaults(otherClient, other)).failures).toEqual([]);
      expect(other.vaultFingerprint(vaultId)).toBe(device.vaultFingerprint(vaultId));

      // The next edit writes version 1 inside the ciphertext and the next manifest.
      await updateSecret(client, device, vaultId, 'a', { value: 'a-new' });
      expect(device.index(vaultId).byName.get('a')?.version).toBe(1);
      expect(device.manifestOf(vaultId)?.seq).toBe(2);
      await syncVaults(otherClient, other);
      expect(other.getSecret(vaultId, 'a').payload.value).toBe('a-new');

      // The relay now refuses an unsigned write to the signed vault.
      const unsigned = await call(relay.url, 'POST', `/v1/vaults/${vaultId}/items`, {
        token,
        body: { writes: [{ ...writes[1], baseRevision: other.getSecret(vaultId, 'b').revision }] },
      });
      expect(unsigned.json.error.code).toBe('INVALID_REQUEST');
    });
  });
}
