// Bounds GET /v1/keys/:email per signed-in account, so that the email → account lookup that
// invitations need cannot be turned into a fast enumeration of the relay's users (docs/teams.md).
import {
  RateLimiterMemory,
  RateLimiterPostgres,
  RateLimiterRes,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';
import { KeyholeError } from '../../../shared/errors.js';
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
  const opts = { keyPrefix: 'key_lookup', points: limit.points, duration: limit.windowSec };
  // PostgreSQL: counted in the shared rate_limits table, so several relays share the budget.
  const rl: RateLimiterAbstract =
    store.dialect === 'postgres' && store.pgPool
      ? new RateLimiterPostgres({
          ...opts,
          storeClient: store.pgPool,
          storeType: 'pool',
          tableName: 'rate_limits',
          tableCreated: true,
          clearExpiredByTimeout: false,
        })
      : new RateLimiterMemory(opts);
  return async (accountId) => {
    try {
      await rl.consume(accountId);
    } catch (err) {
      if (err instanceof RateLimiterRes) {
        throw new KeyholeError('RATE_LIMITED', 'Too many key lookups. Try again later.', {
          retryAfter: Math.max(1, Math.ceil(err.msBeforeNext / 1000)),
        });
      }
      throw err;
    }
  };
}
