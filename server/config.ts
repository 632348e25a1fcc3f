// The relay's configuration: environment variables (docs/protocol.md, "Running the relay") → RelayConfig.
import { loadForwardConfig, type ForwardConfig } from './forward/forward-config.js';

export interface Argon2Params {
  /** KiB */
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

export interface RelayConfig {
  port: number;
  /** Interface to listen on. 127.0.0.1 by default: a relay run on a laptop is not a public service. */
  host: string;
  /** SQLite file path, or a postgres:// URL */
  db: string;
  /** host:port entries the forwarder may reach although they resolve to private addresses */
  allowPrivate: string[];
  /** cap on every request body the relay parses (bytes) */
  maxBodyBytes: number;
  sessionTtlMs: number;
  /** failed logins allowed per account (email) within loginWindowSec before 429 */
  loginFailsPerAccount: number;
  /** failed logins allowed per client IP within loginWindowSec before 429 */
  loginFailsPerIp: number;
  loginWindowSec: number;
  /** signups allowed per client IP per hour */
  signupsPerIp: number;
  /** argon2 computations (login verify, signup hash) allowed at once */
  authConcurrency: number;
  /** how long a login may wait for an argon2 slot before 429 */
  authQueueTimeoutMs: number;
  /** take the client IP from the last X-Forwarded-For entry (behind one reverse proxy) */
  trustProxy: boolean;
  /** KEYHOLE_TRUST_PROXY as a list: the proxies whose X-Forwarded-For is believed (server/auth/client-ip.ts) */
  trustedProxies?: string[];
  logLevel: string;
  argon2: Argon2Params;
  /** forwarding limits and timeouts (KEYHOLE_FORWARD_*; server/forward/forward-config.ts) */
  forward?: Partial<ForwardConfig>;
  /**
   * the in-process cache of sessions, memberships and envelopes (server/db/relay-cache.ts);
   * KEYHOLE_CACHE=off turns it off (every forward reads the store, as without it)
   */
  cache: boolean;
}

/** OWASP's argon2id minimum (19 MiB, t=2, p=1): the auth key is high-entropy, this is plenty. */
export const RELAY_ARGON2: Argon2Params = { memoryCost: 19_456, timeCost: 2, parallelism: 1 };

export const DEFAULTS: RelayConfig = {
  port: 8787,
  host: '127.0.0.1',
  db: './data/keyhole.db',
  allowPrivate: [],
  maxBodyBytes: 1024 * 1024,
  sessionTtlMs: 30 * 24 * 3600 * 1000,
  loginFailsPerAccount: 10,
  loginFailsPerIp: 100,
  loginWindowSec: 15 * 60,
  signupsPerIp: 30,
  authConcurrency: 2,
  authQueueTimeoutMs: 2000,
  trustProxy: false,
  logLevel: 'info',
  argon2: RELAY_ARGON2,
  cache: true,
};

type Env = Record<string, string | undefined>;

function int(env: Env, name: string, fallback: number, min = 0): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be an integer >= ${min}`);
  return n;
}

function list(raw: string | undefined): string[] {
  return (raw ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** Reads KEYHOLE_* variables; `overrides` (command-line flags) win over the environment. */
export function loadConfig(
  env: Env = process.env,
  overrides: Partial<RelayConfig> = {},
): RelayConfig {
  const config: RelayConfig = {
    port: int(env, 'KEYHOLE_PORT', DEFAULTS.port),
    host: env.KEYHOLE_HOST || DEFAULTS.host,
    db: env.KEYHOLE_DB || DEFAULTS.db,
    allowPrivate: list(env.KEYHOLE_ALLOW_PRIVATE),
    maxBodyBytes: int(env, 'KEYHOLE_MAX_BODY', DEFAULTS.maxBodyBytes, 1024),
    sessionTtlMs: int(env, 'KEYHOLE_SESSION_TTL_SEC', DEFAULTS.sessionTtlMs / 1000, 60) * 1000,
    loginFailsPerAccount: int(
      env,
      'KEYHOLE_LOGIN_FAILS_PER_ACCOUNT',
      DEFAULTS.loginFailsPerAccount,
      1,
    ),
    loginFailsPerIp: int(env, 'KEYHOLE_LOGIN_FAILS_PER_IP', DEFAULTS.loginFailsPerIp, 1),
    loginWindowSec: int(env, 'KEYHOLE_LOGIN_WINDOW_SEC', DEFAULTS.loginWindowSec, 1),
    signupsPerIp: int(env, 'KEYHOLE_SIGNUPS_PER_IP', DEFAULTS.signupsPerIp, 1),
    authConcurrency: int(env, 'KEYHOLE_AUTH_CONCURRENCY', DEFAULTS.authConcurrency, 1),
    authQueueTimeoutMs: int(env, 'KEYHOLE_AUTH_QUEUE_MS', DEFAULTS.authQueueTimeoutMs, 0),
    trustProxy: env.KEYHOLE_TRUST_PROXY === '1' || env.KEYHOLE_TRUST_PROXY === 'true',
    trustedProxies: ['1', 'true'].includes(env.KEYHOLE_TRUST_PROXY ?? '')
      ? []
      : list(env.KEYHOLE_TRUST_PROXY),
    logLevel: env.KEYHOLE_LOG_LEVEL || DEFAULTS.logLevel,
    argon2: RELAY_ARGON2,
    forward: loadForwardConfig(env),
    cache: !['off', '0', 'false', 'no'].includes((env.KEYHOLE_CACHE ?? '').toLowerCase()),
  };
  return { ...config, ...overrides };
}
