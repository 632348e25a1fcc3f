// The client's IP for throttling and grant rates. KEYHOLE_TRUST_PROXY names the reverse proxies
// whose X-Forwarded-For is believed (addresses, comma-separated); `1`/`true` believes the last
// entry from any peer (one proxy in front, nothing else can reach the relay). Without it the
// socket's peer is the client, whatever the headers say.
import type { IncomingMessage } from 'node:http';
import type { Context } from 'hono';
import ipaddr from 'ipaddr.js';
import type { AppEnv } from '../http/app-env.js';

/** trustProxy: believe the last X-Forwarded-For entry from anyone; trustedProxies: only from these peers */
export interface ProxyTrust {
  trustProxy: boolean;
  trustedProxies?: readonly string[];
}

function bare(address: string): string {
  const a = address.trim().toLowerCase();
  return a.startsWith('::ffff:') && a.includes('.') ? a.slice(7) : a;
}

/**
 * The peer when it is not a trusted proxy; else, walking X-Forwarded-For from the right (the
 * entry the nearest proxy wrote), the first address that is not itself a trusted proxy.
 */
export function clientIpFrom(
  remote: string | undefined,
  forwarded: string | string[] | undefined,
  trust: ProxyTrust | boolean,
): string {
  const t: ProxyTrust = typeof trust === 'boolean' ? { trustProxy: trust } : trust;
  const peer = remote ? bare(remote) : 'unknown';
  const trusted = new Set((t.trustedProxies ?? []).map(bare));
  if (!t.trustProxy && !trusted.has(peer)) return peer;
  const header = Array.isArray(forwarded) ? forwarded.join(',') : forwarded;
  const hops = (header ?? '')
    .split(',')
    .map(bare)
    .filter((h) => h.length > 0);
  if (t.trustProxy) return hops[hops.length - 1] ?? peer;
  for (let i = hops.length - 1; i >= 0; i--) if (!trusted.has(hops[i]!)) return hops[i]!;
  return hops[0] ?? peer;
}

export function clientIpOfNode(req: IncomingMessage, trust: ProxyTrust): string {
  return clientIpFrom(req.socket.remoteAddress, req.headers['x-forwarded-for'], trust);
}

export function clientIp(c: Context<AppEnv>, trust: ProxyTrust | boolean): string {
  // c.env is undefined under app.request() in unit tests.
  const incoming = (c.env as Partial<AppEnv['Bindings']> | undefined)?.incoming;
  return clientIpFrom(
    incoming?.socket.remoteAddress ?? 'unknown',
    c.req.header('x-forwarded-for'),
    trust,
  );
}

/**
 * The client as one party for per-client limits: an IPv4 address as it is, an IPv6 address as
 * its /64 (every IPv6 client holds at least that many addresses; per address, one client would
 * have 2^64 budgets); a port beside the address is dropped. Anything unparsable is kept as written.
 */
export function clientKey(ip: string): string {
  // Some proxies write `ip:port` or `[ipv6]:port`: a new connection is not a new client.
  const bare =
    /^\[([^\]]+)\](?::\d+)?$/.exec(ip)?.[1] ?? /^(\d+\.\d+\.\d+\.\d+):\d+$/.exec(ip)?.[1] ?? ip;
  let addr: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    addr = ipaddr.parse(bare);
  } catch {
    return ip;
  }
  if (addr.kind() === 'ipv4') return addr.toString();
  const v6 = addr as ipaddr.IPv6;
  if (v6.isIPv4MappedAddress()) return v6.toIPv4Address().toString();
  return `${v6.parts
    .slice(0, 4)
    .map((p) => p.toString(16))
    .join(':')}::/64`;
}
