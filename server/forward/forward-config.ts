// Limits and timeouts of the forwarding endpoint (docs/forward.md, "Limits and configuration").

export interface ForwardConfig {
  /** cap on the POST /v1/forward body (the ForwardRequest JSON) */
  maxRequestBytes: number;
  /** cap on the upstream answer's body; beyond it the answer is cut off */
  maxResponseBytes: number;
  /** TCP (+TLS) connect timeout per new upstream connection */
  connectTimeoutMs: number;
  /** whole exchange: DNS, connect, request, headers and the full body */
  totalTimeoutMs: number;
  /** default lifetime of a queued/polled request record (Skapi `expires`) */
  defaultExpiresSec: number;
  /** cap on the body kept in a ticket for polling */
  ticketBodyBytes: number;
}

export const FORWARD_DEFAULTS: ForwardConfig = {
  maxRequestBytes: 1024 * 1024,
  maxResponseBytes: 50 * 1024 * 1024,
  connectTimeoutMs: 30_000,
  totalTimeoutMs: 30_000,
  defaultExpiresSec: 300,
  ticketBodyBytes: 1024 * 1024,
};

type Env = Record<string, string | undefined>;

const ENV_NAMES: Record<keyof ForwardConfig, string> = {
  maxRequestBytes: 'KEYHOLE_FORWARD_MAX_REQUEST',
  maxResponseBytes: 'KEYHOLE_FORWARD_MAX_RESPONSE',
  connectTimeoutMs: 'KEYHOLE_FORWARD_CONNECT_TIMEOUT_MS',
  totalTimeoutMs: 'KEYHOLE_FORWARD_TIMEOUT_MS',
  defaultExpiresSec: 'KEYHOLE_FORWARD_EXPIRES_SEC',
  ticketBodyBytes: 'KEYHOLE_FORWARD_TICKET_BODY',
};

/** Reads the KEYHOLE_FORWARD_* variables (positive integers); unset ones keep their defaults. */
export function loadForwardConfig(env: Env = process.env): ForwardConfig {
  const out: ForwardConfig = { ...FORWARD_DEFAULTS };
  for (const key of Object.keys(ENV_NAMES) as Array<keyof ForwardConfig>) {
    const raw = env[ENV_NAMES[key]];
    if (raw === undefined || raw === '') continue;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1)
      throw new Error(`${ENV_NAMES[key]} must be a positive integer`);
    out[key] = n;
  }
  return out;
}

export function resolveForwardConfig(partial: Partial<ForwardConfig> | undefined): ForwardConfig {
  return { ...FORWARD_DEFAULTS, ...(partial ?? {}) };
}
