// SSRF guard: which addresses the relay may connect to, and one vetted DNS resolution per connection
// (docs/forward.md, "SSRF guard"; docs/security-tests.md §4).
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { KeyholeError } from '../../shared/errors.js';

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Every address a name resolves to. Injectable so tests can stub DNS answers (rebinding tests). */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

export const systemResolver: Resolver = async (hostname) => {
  const answers = await lookup(hostname, { all: true, verbatim: true });
  return answers.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
};

function v4Forbidden(ip: ipaddr.IPv4): boolean {
  // Only globally routable unicast passes: loopback, private, linkLocal (incl. 169.254.169.254),
  // carrierGradeNat, multicast, unspecified (0/8), broadcast, reserved, as112, amt are refused.
  return ip.range() !== 'unicast';
}

function embeddedV4(ip: ipaddr.IPv6, fromByte: number): ipaddr.IPv4 {
  const b = ip.toByteArray();
  return new ipaddr.IPv4([b[fromByte]!, b[fromByte + 1]!, b[fromByte + 2]!, b[fromByte + 3]!]);
}

function v6Forbidden(ip: ipaddr.IPv6): boolean {
  const range = ip.range();
  switch (range) {
    case 'unicast': {
      // IPv4-compatible ::a.b.c.d (RFC 4291 §2.5.5.1, deprecated): judge the embedded address.
      const p = ip.parts;
      if (p[0] === 0 && p[1] === 0 && p[2] === 0 && p[3] === 0 && p[4] === 0 && p[5] === 0) {
        return v4Forbidden(embeddedV4(ip, 12));
      }
      return false;
    }
    case 'ipv4Mapped': // ::ffff:a.b.c.d
    case 'rfc6145': // ::ffff:0:a.b.c.d
    case 'rfc6052': // NAT64 64:ff9b::a.b.c.d (and 64:ff9b:1::/48): DNS64 networks use it for everything
      return v4Forbidden(embeddedV4(ip, 12));
    case '6to4': // 2002:AABB:CCDD::/16 carries a.b.c.d in bits 16..48
      return v4Forbidden(embeddedV4(ip, 2));
    default:
      // loopback, unspecified, linkLocal, uniqueLocal (fc00::/7 incl. fd00:ec2::254), multicast,
      // teredo, discard, reserved, benchmarking, orchid, deprecatedSiteLocal, segmentRouting …
      return true;
  }
}

/** True when the relay must not connect to this address (any spelling ipaddr.js parses). */
export function isForbiddenAddress(address: string): boolean {
  const text = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  let ip: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    ip = ipaddr.parse(text);
  } catch {
    return true; // not an address we understand: refuse
  }
  if (ip.kind() === 'ipv6') {
    const v6 = ip as ipaddr.IPv6;
    if (v6.isIPv4MappedAddress()) return v4Forbidden(v6.toIPv4Address());
    return v6Forbidden(v6);
  }
  return v4Forbidden(ip as ipaddr.IPv4);
}

function hostKey(hostname: string, port: number): string {
  let host = hostname.toLowerCase();
  if (host.endsWith('.')) host = host.slice(0, -1);
  if (isIP(host) === 6) host = `[${host}]`;
  return `${host}:${port}`;
}

/** KEYHOLE_ALLOW_PRIVATE: "127.0.0.2:9000,localhost:8080,[::1]:8443" → exact host:port pairs. */
export function parseAllowPrivate(list: string | readonly string[] | undefined): Set<string> {
  const entries = typeof list === 'string' ? list.split(',') : (list ?? []);
  const out = new Set<string>();
  for (const raw of entries) {
    const entry = raw.trim();
    const at = entry.lastIndexOf(':');
    if (entry === '' || at <= 0) continue;
    const port = Number(entry.slice(at + 1));
    if (!Number.isInteger(port) || port < 1 || port > 65535) continue;
    let host = entry.slice(0, at);
    if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
    out.add(hostKey(host, port));
  }
  return out;
}

export interface SsrfGuardOptions {
  resolver?: Resolver;
  allowPrivate?: string | readonly string[];
}

/** The `reason` a refused private/loopback destination carries (clients tell it from "not listed"). */
export const PRIVATE_ADDRESS_REASON = 'PRIVATE_ADDRESS';

/**
 * Still HOST_NOT_ALLOWED (the contract's code), with a distinct reason and the fix in words: the
 * usual cause is a local API in development, reachable once listed in KEYHOLE_ALLOW_PRIVATE.
 */
function blocked(hostname: string, port: number): KeyholeError {
  const hostPort = `${hostname.includes(':') && !hostname.startsWith('[') ? `[${hostname}]` : hostname}:${port}`;
  return new KeyholeError(
    'HOST_NOT_ALLOWED',
    `The relay refuses private addresses; start it with KEYHOLE_ALLOW_PRIVATE=${hostPort} to allow this one.`,
    { details: { reason: PRIVATE_ADDRESS_REASON, host: hostPort } },
  );
}

/**
 * Vets one connection: IP literals are judged as they are (they never reach DNS); names are
 * resolved once, EVERY answer is judged, and the caller connects to the returned address — never
 * resolving again, so DNS cannot rebind between the check and the connection.
 */
export class SsrfGuard {
  private readonly resolver: Resolver;
  private readonly exempt: Set<string>;

  constructor(options: SsrfGuardOptions = {}) {
    this.resolver = options.resolver ?? systemResolver;
    this.exempt = parseAllowPrivate(options.allowPrivate);
  }

  isExempt(hostname: string, port: number): boolean {
    return this.exempt.size > 0 && this.exempt.has(hostKey(stripBrackets(hostname), port));
  }

  /** Synchronous check for an IP-literal host; returns null for a name (which needs DNS). */
  checkLiteral(hostname: string, port: number): ResolvedAddress | null {
    const host = stripBrackets(hostname);
    const family = isIP(host);
    if (family === 0) return null;
    if (!this.isExempt(host, port) && isForbiddenAddress(host)) throw blocked(hostname, port);
    return { address: host, family: family === 6 ? 6 : 4 };
  }

  async vet(hostname: string, port: number): Promise<ResolvedAddress> {
    const literal = this.checkLiteral(hostname, port);
    if (literal) return literal;
    const host = stripBrackets(hostname);
    let answers: ResolvedAddress[];
    try {
      answers = await this.resolver(host);
    } catch {
      throw new KeyholeError('UPSTREAM_UNREACHABLE', 'The destination host name does not resolve.');
    }
    if (answers.length === 0) {
      throw new KeyholeError('UPSTREAM_UNREACHABLE', 'The destination host name does not resolve.');
    }
    if (!this.isExempt(host, port)) {
      for (const answer of answers)
        if (isForbiddenAddress(answer.address)) throw blocked(host, port);
    }
    return answers[0]!;
  }
}

function stripBrackets(hostname: string): string {
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
}
