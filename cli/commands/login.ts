// `keyhole login --relay URL --email E`: prelogin → derive → login → unlock, then sync the vaults.
import { ensureSignKeys, login as loginAccount } from '../../shared/client/account.js';
import { VaultStore, emptyCache, loadCache } from '../../shared/client/vault-store.js';
import { syncVaults } from '../../shared/client/sync.js';
import { RelayClient } from '../../shared/client/relay-client.js';
import { parse, refusePasswordFlag, required } from '../args.js';
import type { Command } from '../command.js';
import { clearSessionState, readCache, readConfig, writeCache, writeKeys } from '../home.js';
import { EXIT_OK, info } from '../output.js';
import { readPassword } from '../password.js';
import { reportConflicts, reportFailures, saveLogin } from '../unlock.js';

export const login: Command = {
  help: `Usage: keyhole login [--relay URL] [--email E]

Logs in and downloads your vaults (ciphertext only) into KEYHOLE_HOME.

Options:
  --relay URL   the relay (default: the last one used)
  --email E     your email (default: the last one used)

The master password is read from KEYHOLE_PASSWORD or a hidden prompt, never from an argument.

Example:
  keyhole login --relay http://localhost:8787 --email ada@example.com`,

  async run(argv) {
    refusePasswordFlag(argv);
    const { values } = parse(
      argv,
      { relay: { type: 'string' }, email: { type: 'string' } },
      'login',
    );
    const previous = readConfig();
    const relayUrl = required(values.relay ?? previous?.relayUrl, '--relay', 'login');
    const email = required(values.email ?? previous?.email, '--email', 'login');
    const password = await readPassword();
    info('Deriving keys…');
    const session = await loginAccount(relayUrl, email, password);
    const sameAccount =
      previous?.accountId === session.accountId && previous.relayUrl === session.relayUrl;
    if (!sameAccount) clearSessionState();
    saveLogin(session);

    const relay = new RelayClient({ baseUrl: session.relayUrl, token: session.token });
    if (!session.unlocked.signKeys)
      writeKeys(await ensureSignKeys(relay, session.unlocked, session.keys));
    const cache = sameAccount
      ? loadCache(session.accountId, readCache())
      : emptyCache(session.accountId);
    const store = new VaultStore(session.unlocked, cache);
    const report = await syncVaults(relay, store);
    writeCache(store.toCache());
    reportConflicts(store, report.conflicts);
    reportFailures(report.failures ?? []);
    const usable = store.usableVaults();
    const count = usable.reduce((n, v) => n + store.listSecrets(v.id).length, 0);
    const vaults = usable.length;
    info(
      `✓ Logged in as ${session.email} (${count} secret${count === 1 ? '' : 's'} in ${vaults} vault${vaults === 1 ? '' : 's'})`,
    );
    if (count === 0) info('Next: `keyhole secret add NAME --host HOST` (value on stdin).');
    return EXIT_OK;
  },
};
