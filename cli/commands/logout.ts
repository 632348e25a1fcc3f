// `keyhole logout`: revoke the session on the relay and forget the local session, keys and cache.
import { RelayClient } from '../../shared/client/relay-client.js';
import { KeyholeError } from '../../shared/errors.js';
import { parse } from '../args.js';
import type { Command } from '../command.js';
import { clearSessionState, readConfig, readSession } from '../home.js';
import { EXIT_OK, info } from '../output.js';

export const logout: Command = {
  help: `Usage: keyhole logout

Ends the session on the relay and removes the session token, the encrypted key bundle and the
vault cache from KEYHOLE_HOME (config.json keeps the relay URL and email for the next login).`,

  async run(argv) {
    parse(argv, {}, 'logout');
    const config = readConfig();
    const session = readSession();
    if (!config || !session) {
      clearSessionState();
      info('Not logged in.');
      return EXIT_OK;
    }
    try {
      await new RelayClient({ baseUrl: config.relayUrl, token: session.token }).logout();
    } catch (err) {
      // An expired session is as good as revoked; an unreachable relay must not keep us logged in.
      if (
        !(err instanceof KeyholeError) ||
        !['UNAUTHENTICATED', 'RELAY_UNAVAILABLE'].includes(err.code)
      )
        throw err;
      if (err.code === 'RELAY_UNAVAILABLE')
        info('! The relay could not be reached; the session was forgotten locally.');
    }
    clearSessionState();
    info(`✓ Logged out ${config.email}`);
    return EXIT_OK;
  },
};
