// The relay's one outbound HTTP client: a keep-alive undici Agent whose connector vets every new
// connection with the SSRF guard and connects to the vetted address (no second DNS lookup).
import { isIP } from 'node:net';
import { Agent, buildConnector } from 'undici';
import { KeyholeError } from '../../shared/errors.js';
import type { SsrfGuard } from './ssrf.js';

export interface OutboundOptions {
  guard: SsrfGuard;
  connectTimeoutMs: number;
  /** idle keep-alive sockets are closed after this long */
  keepAliveTimeoutMs?: number;
  /** cap of sockets per origin */
  connectionsPerOrigin?: number;
}

function refusingLookup(): never {
  // The guard hands the connector an IP address, so Node never needs a lookup; if it ever asks,
  // something bypassed the guard.
  throw new KeyholeError('HOST_NOT_ALLOWED', 'Unvetted DNS lookup refused.');
}

/** An undici connector that vets (hostname, port) first and dials the vetted address. */
export function guardedConnector(
  guard: SsrfGuard,
  connectTimeoutMs: number,
): buildConnector.connector {
  const base = buildConnector({ timeout: connectTimeoutMs, lookup: refusingLookup as never });
  return (opts, callback) => {
    const port = Number(opts.port) || (opts.protocol === 'https:' ? 443 : 80);
    guard.vet(opts.hostname, port).then(
      ({ address }) => {
        const servername =
          opts.servername ?? (isIP(opts.hostname) === 0 ? opts.hostname : undefined);
        const next: buildConnector.Options = { ...opts, hostname: address };
        if (servername !== undefined) next.servername = servername;
        base(next, callback);
      },
      (err: unknown) => callback(err instanceof Error ? err : new Error(String(err)), null),
    );
  };
}

export function createOutboundAgent(options: OutboundOptions): Agent {
  return new Agent({
    connect: guardedConnector(options.guard, options.connectTimeoutMs),
    keepAliveTimeout: options.keepAliveTimeoutMs ?? 10_000,
    keepAliveMaxTimeout: 60_000,
    connections: options.connectionsPerOrigin ?? 256,
    pipelining: 1,
  });
}
