// The bounded semaphore that caps concurrent argon2 work.
import { describe, expect, it } from 'vitest';
import { Semaphore } from './semaphore.js';

describe('Semaphore', () => {
  it('grants up to the limit, hands slots to waiters in order, and times waiters out', async () => {
    const s = new Semaphore(2, 1);
    expect(await s.acquire(0)).toBe(true);
    expect(await s.acquire(0)).toBe(true);
    expect(await s.acquire(0)).toBe(false); // no wait allowed
    const waiting = s.acquire(1000);
    expect(await s.acquire(1000)).toBe(false); // queue full (max 1 waiter)
    s.release();
    expect(await waiting).toBe(true);
    expect(s.inUse).toBe(2);
    expect(await s.acquire(20)).toBe(false); // timed out
    s.release();
    s.release();
    expect(s.inUse).toBe(0);
  });
});
