// RelayCache: bounded, expiry checked on every use, racing fills dropped, fail closed on a lapsed lease.
import { describe, expect, it } from 'vitest';
import { decodeEvents, encodeEvent } from './cache-events.js';
import { RelayCache } from './relay-cache.js';

const limits = { sessions: 3, members: 3, items: 3, itemChars: 10, grants: 3 };

describe('RelayCache', () => {
  it('checks a session’s expiry on every use', () => {
    const c = new RelayCache(true, limits);
    c.putSession(c.epoch, 'h', { accountId: 'a', expiresAt: 1000 });
    expect(c.session('h', 999)?.accountId).toBe('a');
    expect(c.session('h', 1000)).toBeUndefined();
    expect(c.session('h', 0)).toBeUndefined(); // dropped once seen expired
  });

  it('is bounded (least recently used first) by count and by envelope size', () => {
    const c = new RelayCache(true, limits);
    for (const id of ['1', '2', '3']) c.putSession(c.epoch, id, { accountId: id, expiresAt: 9 });
    c.session('1', 0); // 1 is now the most recent
    c.putSession(c.epoch, '4', { accountId: '4', expiresAt: 9 });
    expect(c.session('2', 0)).toBeUndefined();
    expect(c.session('1', 0)).toBeDefined();
    c.putItem(c.epoch, 'v', 'a', { data: '123456', deleted: 0 });
    c.putItem(c.epoch, 'v', 'b', { data: '123456', deleted: 0 });
    expect(c.item('v', 'a')).toBeUndefined(); // 12 chars > 10
    expect(c.item('v', 'b')?.data).toBe('123456');
    c.putItem(c.epoch, 'v', 'c', { data: 'x'.repeat(11), deleted: 0 });
    expect(c.item('v', 'c')).toBeUndefined(); // larger than the whole budget: never cached
  });

  it('drops a fill whose read began before an invalidation', () => {
    const c = new RelayCache(true, limits);
    const epoch = c.epoch; // the read begins
    c.apply([{ kind: 'session', tokenHash: 'h' }]); // a logout commits meanwhile
    c.putSession(epoch, 'h', { accountId: 'a', expiresAt: 9 }); // the stale read completes
    expect(c.session('h', 0)).toBeUndefined();
  });

  it('drops by session, membership, item and account', () => {
    const c = new RelayCache(true, limits);
    c.putSession(c.epoch, 'h', { accountId: 'a', expiresAt: 9 });
    c.putMember(c.epoch, 'v', 'a');
    c.putItem(c.epoch, 'v', 'i', { data: 'x', deleted: 0 });
    c.apply([{ kind: 'item', vaultId: 'v', itemId: 'i' }]);
    expect(c.item('v', 'i')).toBeUndefined();
    expect(c.isMember('v', 'a')).toBe(true);
    c.apply([{ kind: 'account', accountId: 'a' }]);
    expect(c.isMember('v', 'a')).toBe(false);
    expect(c.session('h', 0)).toBeUndefined();
  });

  it('drops a grant by its id (cached by lookup hash), and every grant on invalidateAll', () => {
    const c = new RelayCache(true, limits);
    const g = (id: string) => ({
      id,
      account_id: 'a',
      vault_id: 'v',
      item_id: 'i',
      wrapped_item_key: 'w',
      policy: 'p',
      cors_origins: '[]',
      revoked: false,
    });
    c.putGrant(c.epoch, 'L1', g('g1'));
    c.putGrant(c.epoch, 'L2', g('g2'));
    c.apply([{ kind: 'grant', grantId: 'g1' }]);
    expect(c.grant('L1')).toBeUndefined();
    expect(c.grant('L2')?.id).toBe('g2');
    // A fill whose read began before a revocation is dropped.
    const epoch = c.epoch;
    c.apply([{ kind: 'grant', grantId: 'g1' }]);
    c.putGrant(epoch, 'L1', g('g1'));
    expect(c.grant('L1')).toBeUndefined();
    c.invalidateAll();
    expect(c.grant('L2')).toBeUndefined();
  });

  it('PostgreSQL: unusable until a listener grants a lease, and cleared when it lapses', () => {
    const c = new RelayCache(false, limits);
    expect(c.usable()).toBe(false);
    c.extendLease(performance.now(), 60_000);
    expect(c.usable()).toBe(true);
    c.putMember(c.epoch, 'v', 'a');
    const lapsed = new RelayCache(false, limits);
    lapsed.extendLease(performance.now() - 10, 5);
    lapsed.putMember(lapsed.epoch, 'v', 'a');
    expect(lapsed.usable()).toBe(false);
    expect(lapsed.size.members).toBe(0);
  });

  it('NOTIFY payloads round-trip; an unknown line drops everything', () => {
    const events = [
      { kind: 'session', tokenHash: 'ab' },
      { kind: 'member', vaultId: 'v', accountId: 'a' },
      { kind: 'item', vaultId: 'v', itemId: 'i' },
      { kind: 'account', accountId: 'a' },
      { kind: 'grant', grantId: 'g' },
    ] as const;
    expect(decodeEvents(events.map(encodeEvent).join('\n'))).toEqual(events);
    expect(decodeEvents('s ab\nzz')).toBe('all');
  });
});
