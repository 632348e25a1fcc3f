// Login and signup throttling with rate-limiter-flexible: in memory for SQLite (one relay per
// file), in the shared rate_limits table for PostgreSQL (so several relays share the counts).
import {
  RateLimiterMemory,
  RateLimiterPostgres,
  RateLimiterRes,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';
import { KeyholeError } from '../../shared/errors.js';
import type { RelayConfig } from '../config.js';
import type { Store } from '../db/store-types.js';

/** A limiter in the shared rate_limits table on PostgreSQL, in memory on SQLite (one relay a file). */
export function rateLimiter(
  store: Store,
  keyPrefix: string,
  points: number,
  duration: number,
): RateLimiterAbstract {
  const opts = { keyPrefix, points, duration };
  if (store.dialect === 'postgres' && store.pgPool) {
    // Our migration creates the table, so the limiter does no I/O when constructed.
    return new RateLimiterPostgres({
      ...opts,
      storeClient: store.pgPool,
      storeType: 'pool',
      tableName: 'rate_limits',
      tableCreated: true,
      clearExpiredByTimeout: false,
    });
  }
  return new RateLimiterMemory(opts);
}

/** RATE_LIMITED with the seconds until the next point frees up (at least 1). */
export function rateLimited(res: RateLimiterRes, message?: string): KeyholeError {
  return new KeyholeError('RATE_LIMITED', message, {
    retryAfter: Math.max(1, Math.ceil(res.msBeforeNext / 1000)),
  });
}

async function assertUnder(rl: RateLimiterAbstract, key: string): Promise<void> {
  const res = await rl.get(key);
  if (res && res.consumedPoints >= rl.points) throw rateLimited(res);
}

async function spend(rl: RateLimiterAbstract, key: string): Promise<void> {
  try {
    await rl.consume(key);
  } catch (err) {
    if (err instanceof RateLimiterRes) return; // already over; the next attempt is refused
    throw err;
  }
}

export class Throttle {
  private readonly failsByAccount: RateLimiterAbstract;
  private readonly failsByIp: RateLimiterAbstract;
  private readonly signupsByIp: RateLimiterAbstract;

  constructor(store: Store, config: RelayConfig) {
    this.failsByAccount = rateLimiter(
      store,
      'login_acct',
      config.loginFailsPerAccount,
      config.loginWindowSec,
    );
    this.failsByIp = rateLimiter(store, 'login_ip', config.loginFailsPerIp, config.loginWindowSec);
    this.signupsByIp = rateLimiter(store, 'signup_ip', config.signupsPerIp, 3600);
  }

  /** Before any argon2 work: refuse if this email or this IP has failed too often. */
  async beforeLogin(email: string, ip: string): Promise<void> {
    await assertUnder(this.failsByIp, ip);
    // Keyed by email, known or not, so the throttle itself reveals nothing about registration.
    await assertUnder(this.failsByAccount, email);
  }

  async loginFailed(email: string, ip: string): Promise<void> {
    await Promise.all([spend(this.failsByAccount, email), spend(this.failsByIp, ip)]);
  }

  async loginSucceeded(email: string): Promise<void> {
    await this.failsByAccount.delete(email);
  }

  async signup(ip: string): Promise<void> {
    try {
      await this.signupsByIp.consume(ip);
    } catch (err) {
      if (err instanceof RateLimiterRes) throw rateLimited(err);
      throw err;
    }
  }
}
