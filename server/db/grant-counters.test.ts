// GrantCounters: blocks reserved from a shared store never let the uses of any number of relays
// pass the limit; a crash strands a reservation (under-use), never adds to it.
import { describe, expect, it } from 'vitest';
import { blockSize, GrantCounters } from './grant-counters.js';

/** The store's conditional upsert, in memory, shared by every "relay" built on it. */
function fakeStore() {
  const rows = new Map<string, number>();
  let writes = 0;
  const reserve = (key: string, want: number, limit: number): Promise<number | null> => {
    const count = rows.get(key) ?? 0;
    if (count + want > limit) return Promise.resolve(null);
    rows.set(key, count + want);
    writes++;
    return Promise.resolve(count + want);
  };
  return { rows, reserve, writes: () => writes };
}

async function takeN(c: GrantCounters, kind: 'rate' | 'quota', limit: number, n: number) {
  let ok = 0;
  for (let i = 0; i < n; i++) if (await c.take(kind, 'k', limit, 1e15, 0)) ok++;
  return ok;
}

describe('GrantCounters', () => {
  it('one relay: exactly the limit, with one store write per block', async () => {
    const s = fakeStore();
    const c = new GrantCounters(s.reserve, true);
    expect(await takeN(c, 'quota', 10_000, 12_000)).toBe(10_000);
    expect(s.rows.get('k')).toBe(10_000);
    expect(s.writes()).toBeLessThan(10_000 / 20);
    const r = new GrantCounters(s.reserve, true);
    expect(await r.take('rate', 'r', 5, 1e15, 0)).toBe(true);
    expect(s.rows.get('r')).toBe(5); // the whole window, one write
    expect(await takeN(r, 'rate', 5, 0)).toBe(0);
  });

  it('several relays on one store never pass the limit together, interleaved or concurrent', async () => {
    for (const [kind, limit] of [
      ['quota', 1000],
      ['quota', 4],
      ['rate', 2],
      ['rate', 100],
    ] as const) {
      const s = fakeStore();
      const relays = [0, 1, 2].map(() => new GrantCounters(s.reserve, false));
      const results = await Promise.all(
        Array.from({ length: limit * 3 }, (_, i) => relays[i % 3]!.take(kind, 'k', limit, 1e15, 0)),
      );
      const served = results.filter(Boolean).length;
      expect(served, `${kind} ${limit}`).toBeLessThanOrEqual(limit);
      expect(s.rows.get('k')!).toBeLessThanOrEqual(limit);
      // Small limits are reserved one use at a time: exact across relays.
      if (limit <= 16) expect(served).toBe(limit);
    }
  });

  it('a crash loses the unused part of a reservation: fewer uses, never more', async () => {
    const s = fakeStore();
    const before = new GrantCounters(s.reserve, true);
    expect(await takeN(before, 'quota', 6400, 1)).toBe(1);
    const reserved = s.rows.get('k')!;
    expect(reserved).toBeGreaterThan(1);
    const after = new GrantCounters(s.reserve, true); // the restarted relay
    expect(await takeN(after, 'quota', 6400, 7000)).toBe(6400 - reserved);
  });

  it('a graceful shutdown gives the unused part back; another relay can use it', async () => {
    const s = fakeStore();
    const release = (key: string, unused: number) => {
      s.rows.set(key, s.rows.get(key)! - unused);
      return Promise.resolve();
    };
    const a = new GrantCounters(s.reserve, false);
    expect(await takeN(a, 'quota', 6400, 3)).toBe(3);
    expect(s.rows.get('k')).toBeGreaterThan(3);
    await a.release(release, 0);
    expect(s.rows.get('k')).toBe(3);
    expect(a.size).toBe(0);
    const b = new GrantCounters(s.reserve, false);
    expect(await takeN(b, 'quota', 6400, 7000)).toBe(6400 - 3);
  });

  it('block sizes shrink near the limit; a shared rate of 2 goes one at a time', () => {
    expect(blockSize('quota', 1_000_000_000, 0, true)).toBe(4096);
    expect(blockSize('quota', 1000, 0, false)).toBe(15);
    expect(blockSize('quota', 1000, 990, false)).toBe(1);
    expect(blockSize('quota', 4, 0, false)).toBe(1);
    expect(blockSize('rate', 60, 0, true)).toBe(60);
    expect(blockSize('rate', 2, 0, false)).toBe(1);
    expect(blockSize('rate', 1_000_000, 0, false)).toBe(64);
  });

  it('memory stays bounded; a dropped counter only strands its reservation', async () => {
    const s = fakeStore();
    const c = new GrantCounters(s.reserve, true, 10);
    for (let i = 0; i < 50; i++) expect(await c.take('rate', `v${i}`, 3, 1e15, 0)).toBe(true);
    expect(c.size).toBeLessThanOrEqual(10);
    // v0 was dropped with 2 unused units: its window is used up, not reset.
    expect(await c.take('rate', 'v0', 3, 1e15, 0)).toBe(false);
  });

  it('many new visitors do not push a quota out: its reserved units are not stranded', async () => {
    // Otherwise visitors from many addresses would drain a quota by eviction, not by use.
    const s = fakeStore();
    const c = new GrantCounters(s.reserve, true, 10);
    expect(await c.take('quota', 'q', 6400, 1e15, 0)).toBe(true); // a block of 100
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 50; i++) await c.take('rate', `v${round}-${i}`, 3, 1e15, 0);
      expect(await c.take('quota', 'q', 6400, 1e15, 0)).toBe(true);
    }
    expect(c.size).toBeLessThanOrEqual(10);
    expect(s.rows.get('q')).toBe(100); // still the first block: nothing stranded
  });
});
