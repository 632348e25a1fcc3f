// Opens the vault for a command: reads the config and session, asks the master password, unlocks
// the cached key bundle (a session token alone decrypts nothing), loads the ciphertext cache and
// (re)logs in transparently when the session expired.
import {
  RelayClient,
  VaultStore,
  ensureSignKeys,
  loadCache,
  login,
  pullAll,
  syncVaults,
  unlockOffline,
  type Session,
  type SyncConflict,
  type VaultFailure,
} from '../shared/client/index.js';
import { initCrypto, toBase64url } from '../shared/crypto/index.js';
import { KeyholeError } from '../shared/errors.js';
import { KeyBundleSchema } from '../shared/protocol/index.js';
import {
  readCache,
  readKeys,
  readSession,
  requireConfig,
  writeCache,
  writeConfig,
  writeKeys,
  writeSession,
  type CliConfig,
} from './home.js';
import { info } from './output.js';
import { readPassword } from './password.js';

export interface OpenVault {
  config: CliConfig;
  relay: RelayClient;
  store: VaultStore;
  /** writes the ciphertext cache back to KEYHOLE_HOME */
  save(): void;
}

/** Saves what a fresh login returned (config, session, key bundle) and resets a foreign cache. */
export function saveLogin(session: Session): void {
  writeConfig({ relayUrl: session.relayUrl, email: session.email, accountId: session.accountId });
  writeSession({ token: session.token, expiresAt: session.expiresAt });
  writeKeys(session.keys);
}

export async function openVault(options: { sync: boolean }): Promise<OpenVault> {
  const config = requireConfig();
  const stored = readSession();
  if (!stored) throw new KeyholeError('NOT_CONFIGURED', `Not logged in to ${config.relayUrl}.`);
  const password = await readPassword();
  await initCrypto();

  const bundle = KeyBundleSchema.safeParse(readKeys());
  let unlocked;
  let authKey: Uint8Array | null = null;
  let token = stored.token;
  let keys;
  if (bundle.success) {
    ({ unlocked, authKey } = unlockOffline(config.accountId, password, bundle.data));
    keys = bundle.data;
  } else {
    // No cached bundle (first run after an upgrade, or a damaged file): a full login.
    const session = await login(config.relayUrl, config.email, password);
    saveLogin(session);
    unlocked = session.unlocked;
    token = session.token;
    keys = session.keys;
  }

  const relay = new RelayClient({
    baseUrl: config.relayUrl,
    token,
    onUnauthenticated: async () => {
      // The session expired: we hold the auth key already, so log in again quietly.
      if (!authKey) return null;
      const res = await new RelayClient({ baseUrl: config.relayUrl }).login({
        email: config.email,
        authKey: toBase64url(authKey),
      });
      writeSession({ token: res.token, expiresAt: res.expiresAt });
      return res.token;
    },
  });
  // An account made before signing keys gets one now (migration in place, docs/vault-format.md §15).
  if (!unlocked.signKeys) writeKeys(await ensureSignKeys(relay, unlocked, keys));
  const store = new VaultStore(unlocked, loadCache(config.accountId, readCache()));
  const save = () => writeCache(store.toCache());

  if (options.sync) {
    const report = await syncVaults(relay, store);
    reportConflicts(store, report.conflicts);
    reportFailures(report.failures ?? []);
    save();
  } else if (store.vaults().length === 0) {
    await pullAll(relay, store);
    save();
  } else {
    reportFailures(store.failures());
  }
  return { config, relay, store, save };
}

/** Names every vault that failed verification; the command goes on with the others. */
export function reportFailures(failures: VaultFailure[]): void {
  for (const f of failures) info(`! ${f.code}: ${f.message}`);
}

/** Tells the user how a conflicting change from another device was settled (nothing lost). */
export function reportConflicts(store: VaultStore, conflicts: SyncConflict[]): void {
  for (const c of conflicts) {
    const vault = vaultLabel(store, c.vaultId);
    const text: Record<SyncConflict['resolution'], string> = {
      merged: `${c.name} was changed on another device too; both changes were merged.`,
      'kept-both': `${c.name} was changed on another device too: their version stays as ${c.name}, yours was saved as ${c.copyName}.`,
      'kept-theirs': `${c.name} was changed on another device, so it was not removed; run \`keyhole secret rm ${c.name}\` again to remove it.`,
      restored: `${c.name} had been removed on another device; your version brought it back.`,
      renamed: `Two secrets were named ${c.name}; the newer one is now ${c.copyName}.`,
    };
    info(`! ${text[c.resolution]}${vault}`);
  }
}

export function vaultLabel(store: VaultStore, vaultId: string): string {
  const vault = store.vaults().find((v) => v.id === vaultId);
  return vault && vault.kind === 'team' ? ` (vault ${vault.name ?? vault.id})` : '';
}
