// Per-client limits (grant rates, login and signup throttles) count one client once: an IPv6
// client is its /64, and a port a proxy wrote beside the address is not part of the client
// (server/auth/client-ip.ts clientKey).
import { describe, expect, it } from 'vitest';
import { clientKey } from '../../server/auth/client-ip.js';

describe('clientKey', () => {
  it('keeps an IPv4 address; maps IPv4-mapped IPv6 to it', () => {
    expect(clientKey('203.0.113.7')).toBe('203.0.113.7');
    expect(clientKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
  });

  it('counts every address of one IPv6 /64 as one client, whatever the spelling', () => {
    const one = clientKey('2001:db8:1:2::1');
    for (const a of ['2001:db8:1:2::ffff', '2001:DB8:1:2:0:0:0:3', '2001:0db8:0001:0002:ab::9'])
      expect(clientKey(a)).toBe(one);
    expect(clientKey('2001:db8:1:3::1')).not.toBe(one);
  });

  it('drops a port a proxy wrote beside the address (ip:port, [ipv6]:port)', () => {
    expect(clientKey('203.0.113.7:51234')).toBe('203.0.113.7');
    expect(clientKey('[2001:db8:1:2::1]:443')).toBe(clientKey('2001:db8:1:2::77'));
  });

  it('keeps what it cannot parse as written', () => {
    expect(clientKey('unknown')).toBe('unknown');
  });
});
