// Bounds GET /v1/keys/:email per signed-in account, so that the email → account lookup that
// invitations need cannot be turned into a fast enumeration of the relay's users (docs/teams.md).
import { RateLimiterRes } from 'rate-limiter-flexible';
import { rateLimited, rateLimiter } from '../../auth/throttle.js';
import type { Store } from '../../db/store-types.js';

export interface KeyLookupLimit {
  /** lookups allowed per account per window (default 60) */
  points: number;
  /** window in seconds (default 600) */
  windowSec: number;
}

export const DEFAULT_KEY_LOOKUP_LIMIT: KeyLookupLimit = { points: 60, windowSec: 600 };

export function createKeyLookupLimiter(
  store: Store,
  limit: KeyLookupLimit,
): (accountId: string) => Promise<void> {
  // PostgreSQL: counted in the shared rate_limits table, so several relays share the budget.
  const rl = rateLimiter(store, 'key_lookup', limit.points, limit.windowSec);
  return async (accountId) => {
    try {
      await rl.consume(accountId);
    } catch (err) {
      if (err instanceof RateLimiterRes) {
        throw rateLimited(err, 'Too many key lookups. Try again later.');
      }
      throw err;
    }
  };
}
