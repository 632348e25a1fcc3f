// Hosts the relay refuses unless it is started with KEYHOLE_ALLOW_PRIVATE (loopback, private,
// link-local): the form says so as the host is typed, instead of the page failing later.
import { parseAllowedHost } from '../../shared/policy/allowed-hosts.js';

function isPrivateName(host: string): boolean {
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  const v4 = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(host);
  if (v4) {
    const [a, b] = [Number(v4[1]), Number(v4[2])];
    return (
      a === 127 ||
      a === 10 ||
      a === 0 ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) ||
      (a === 169 && b === 254) ||
      (a === 100 && b >= 64 && b <= 127)
    );
  }
  if (host.startsWith('[')) {
    const h = host.slice(1, -1).toLowerCase();
    return h === '::1' || h === '::' || /^f[cd]/.test(h) || /^fe[89ab]/.test(h);
  }
  return false;
}

/** `host:port` of each listed host the relay refuses by default (empty when none). */
export function privateHosts(entries: string[]): string[] {
  const out: string[] = [];
  for (const entry of entries) {
    const rule = parseAllowedHost(entry);
    if (!rule || rule.wildcard || !isPrivateName(rule.host)) continue;
    const hostPort = `${rule.host}:${rule.port}`;
    if (!out.includes(hostPort)) out.push(hostPort);
  }
  return out;
}
