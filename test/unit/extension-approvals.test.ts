// The approval queue: one window, questions in turn, floods capped per origin, early clicks
// ignored, closing the window answers "not now" (nothing remembered beyond a short quiet time).
import { describe, expect, it } from 'vitest';
import { ApprovalQueue, NOT_NOW_QUIET_MS } from '../../extension/background/approvals.js';
import type { ApprovalDeps, Decision } from '../../extension/background/approvals.js';

function setup(over: Partial<ApprovalDeps> = {}) {
  let t = 1_000;
  const opened: number[] = [];
  const closed: number[] = [];
  const q = new ApprovalQueue({
    now: () => t,
    openWindow: async () => {
      opened.push(opened.length + 1);
      return opened.length;
    },
    focusWindow: async () => undefined,
    closeWindow: async (id) => {
      closed.push(id);
    },
    ...over,
  });
  return {
    q,
    opened,
    closed,
    advance: (ms: number) => (t += ms),
  };
}

const prompt = (origin = 'https://a.example', secretName = 'openai') => ({
  origin,
  secretName,
  host: 'https://api.openai.com',
  method: 'POST',
});

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('ApprovalQueue', () => {
  it('opens one window and answers prompts in order', async () => {
    const { q, opened, closed, advance } = setup();
    const first = q.ask(prompt());
    const second = q.ask(prompt('https://b.example'));
    await tick();
    expect(opened).toHaveLength(1);
    const [p1, p2] = q.view().prompts;
    expect(q.decide(p2!.id, 'once')).toBe(false); // not the visible one
    advance(600);
    expect(q.decide(p1!.id, 'once')).toBe(true);
    await expect(first).resolves.toBe('once');
    advance(600);
    expect(q.decide(p2!.id, 'always')).toBe(true);
    await expect(second).resolves.toBe('always');
    expect(closed).toEqual([1]);
  });

  it('ignores clicks in the first 500 ms of a prompt (window shown, or the previous one answered)', async () => {
    const { q, advance } = setup();
    const a = q.ask(prompt());
    const b = q.ask(prompt('https://b.example'));
    await tick();
    const [p1, p2] = q.view().prompts;
    advance(100);
    expect(q.decide(p1!.id, 'once')).toBe(false);
    expect(q.view().armInMs).toBe(400);
    advance(450);
    expect(q.decide(p1!.id, 'deny')).toBe(true);
    // The next prompt just took its place: a double click must not approve it.
    expect(q.decide(p2!.id, 'once')).toBe(false);
    advance(500);
    expect(q.decide(p2!.id, 'once')).toBe(true);
    await expect(a).resolves.toBe('deny');
    await expect(b).resolves.toBe('once');
  });

  it('caps pending prompts per origin (RATE_LIMITED) without blocking other origins', async () => {
    const { q } = setup({ maxPerOrigin: 3 });
    const flood = [1, 2, 3, 4, 5].map(() =>
      q.ask(prompt('https://flood.example')).catch((e: { code: string }) => e.code),
    );
    const other = q.ask(prompt('https://fine.example'));
    await tick();
    expect(await flood[3]).toBe('RATE_LIMITED');
    expect(await flood[4]).toBe('RATE_LIMITED');
    expect(q.pendingCount()).toBe(4);
    q.windowRemoved(1);
    expect(await Promise.all(flood.slice(0, 3))).toEqual(['dismiss', 'dismiss', 'dismiss']);
    await expect(other).resolves.toBe('dismiss');
  });

  it('answers "not now" when the window is closed or the page went away', async () => {
    const { q } = setup();
    const gone = new AbortController();
    const a = q.ask(prompt(), gone.signal);
    const b = q.ask(prompt('https://b.example'));
    await tick();
    gone.abort();
    await expect(a).resolves.toBe('dismiss');
    expect(q.pendingCount()).toBe(1);
    q.windowRemoved(99); // some other window
    expect(q.pendingCount()).toBe(1);
    q.windowRemoved(1);
    await expect(b).resolves.toBe('dismiss' satisfies Decision);
  });

  it('after "not now" stays quiet about the same question for a few seconds, then asks again', async () => {
    const { q, opened, advance } = setup();
    const a = q.ask(prompt());
    await tick();
    q.windowRemoved(1);
    await expect(a).resolves.toBe('dismiss');
    await expect(q.ask(prompt())).resolves.toBe('dismiss');
    expect(opened).toHaveLength(1);
    // Another secret, or another site, is asked at once.
    void q.ask(prompt('https://a.example', 'other'));
    await tick();
    expect(opened).toHaveLength(2);
    advance(NOT_NOW_QUIET_MS);
    void q.ask(prompt());
    await tick();
    expect(q.pendingCount()).toBe(2);
  });

  it('refuses ("not now") rather than waiting forever when no window can be opened', async () => {
    const { q } = setup({
      openWindow: async () => {
        throw new Error('no display');
      },
    });
    await expect(q.ask(prompt())).resolves.toBe('dismiss');
  });
});
