// A VaultStore holding the given secrets in one personal vault, encrypted with real crypto but
// with no relay behind it: for unit tests of code that reads secrets (pre-flight, background).
import {
  encryptItem,
  generateKeyPair,
  initCrypto,
  newId,
  randomBytes,
  wrapVaultKey,
} from '../../shared/crypto/index.js';
import { VaultStore } from '../../shared/client/vault-store.js';
import type { SecretPayload } from '../../shared/protocol/secret.js';
import type { ItemRecord } from '../../shared/protocol/vault.js';

export async function memoryStore(secrets: readonly SecretPayload[]): Promise<VaultStore> {
  await initCrypto();
  const accountKey = randomBytes(32);
  const vaultId = newId();
  const vaultKey = randomBytes(32);
  const store = new VaultStore({ accountId: newId(), accountKey, keyPair: generateKeyPair() });
  store.applySummaries([
    {
      id: vaultId,
      kind: 'personal',
      name: null,
      role: 'owner',
      wrappedKey: wrapVaultKey(accountKey, vaultId, vaultKey),
      keyGeneration: 0,
      revision: secrets.length,
    },
  ]);
  const items: ItemRecord[] = secrets.map((payload, i) => {
    const id = newId();
    const { wrappedKey, data } = encryptItem(vaultKey, vaultId, id, payload);
    return {
      id,
      revision: i + 1,
      deleted: false,
      wrappedKey,
      data,
      keyGeneration: 0,
      updatedAt: 1,
    };
  });
  store.applyPull(vaultId, { items, revision: secrets.length, hasMore: false });
  return store;
}
