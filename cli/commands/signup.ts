// `keyhole signup --relay URL --email E`: create the account (keys made here), log in, save state.
import { signup as signupAccount } from '../../shared/client/account.js';
import { parse, refusePasswordFlag, required } from '../args.js';
import type { Command } from '../command.js';
import { clearSessionState, readConfig, writeCache } from '../home.js';
import { kdfFromEnv } from '../kdf-env.js';
import { EXIT_OK, info } from '../output.js';
import { readPassword } from '../password.js';
import { saveLogin } from '../unlock.js';

export const signup: Command = {
  help: `Usage: keyhole signup --relay URL --email E

Creates an account on the relay. Every key is made on this machine from your master password;
the relay stores only a hash of a derived auth key and ciphertext.

Options:
  --relay URL   the relay, e.g. https://relay.example.com (default: the one in KEYHOLE_HOME)
  --email E     your email (the account name)

The master password is read from KEYHOLE_PASSWORD, or asked twice at a hidden prompt.
It is never accepted as an argument. KEYHOLE_KDF_MEM (MiB) and KEYHOLE_KDF_OPS set the argon2id
cost of the new account (never below 19 MiB, 2 passes; default 64 MiB, 3 passes).

Example:
  keyhole signup --relay http://localhost:8787 --email ada@example.com`,

  async run(argv) {
    refusePasswordFlag(argv);
    const { values } = parse(
      argv,
      { relay: { type: 'string' }, email: { type: 'string' } },
      'signup',
    );
    const previous = readConfig();
    const relayUrl = required(values.relay ?? previous?.relayUrl, '--relay', 'signup');
    const email = required(values.email, '--email', 'signup');
    const kdf = kdfFromEnv();
    const password = await readPassword({ confirm: true, prompt: 'Choose a master password: ' });
    info('Deriving keys…');
    const session = await signupAccount(relayUrl, email, password, { kdf });
    clearSessionState();
    saveLogin(session);
    writeCache({ version: 1, accountId: session.accountId, vaults: {} });
    info(`✓ Signed up and logged in as ${session.email} on ${session.relayUrl}`);
    info('Next: store a secret (the value is read from stdin), e.g.');
    info(
      '  printf %s "$OPENAI_KEY" | keyhole secret add openai --host api.openai.com --type bearer',
    );
    return EXIT_OK;
  },
};
