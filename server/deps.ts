// What createApp() needs from the outside world: the store, the configuration, a logger, a clock.
import type pino from 'pino';
import type { RelayConfig } from './config.js';
import type { Store } from './db/store-types.js';

export type { RelayConfig } from './config.js';
export type { Store } from './db/store-types.js';

export interface AppDeps {
  store: Store;
  config: RelayConfig;
  logger: pino.Logger;
  /** milliseconds since the epoch; tests may pin it */
  now?: () => number;
}
