// Per-app helpers built from AppDeps without I/O: the argon2 verifier, the throttle, the server secret.
import { AuthHasher } from './auth/auth-hash.js';
import { Throttle } from './auth/throttle.js';
import { getOrCreateServerSecret } from './db/meta-repo.js';
import type { AppDeps } from './deps.js';

export interface Services {
  hasher: AuthHasher;
  throttle: Throttle;
  /** loaded (or created) on first use, then cached */
  serverSecret(): Promise<Buffer>;
  now(): number;
}

export function createServices(deps: AppDeps): Services {
  let secret: Promise<Buffer> | undefined;
  return {
    hasher: new AuthHasher(
      deps.config.argon2,
      deps.config.authConcurrency,
      deps.config.authQueueTimeoutMs,
    ),
    throttle: new Throttle(deps.store, deps.config),
    serverSecret() {
      secret ??= getOrCreateServerSecret(deps.store.db).catch((err: unknown) => {
        secret = undefined;
        throw err;
      });
      return secret;
    },
    now: deps.now ?? Date.now,
  };
}
