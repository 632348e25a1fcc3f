// The approval queue: one window, questions in turn, floods capped per origin, early clicks
// ignored, closing the window answers "not now" (nothing remembered beyond a short quiet time).
import { describe, expect, it } from 'vitest';
import { ApprovalQueue, NOT_NOW_QUIET_MS } from '../../extension/background/approvals.js';
import type { ApprovalDeps, Decision } from '../../extension/background/approvals.js';
import { siteOf } from '../../extension/background/site.js';

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

  it('after "not now" stays quiet about the same site for a few seconds, then asks again', async () => {
    const { q, opened, advance } = setup();
    const a = q.ask(prompt());
    await tick();
    q.windowRemoved(1);
    await expect(a).resolves.toBe('dismiss');
    await expect(q.ask(prompt())).resolves.toBe('dismiss');
    // Another secret of the same site, or a fresh subdomain of it, is quiet too (issue #11).
    await expect(q.ask(prompt('https://a.example', 'other'))).resolves.toBe('dismiss');
    await expect(q.ask(prompt('https://x1.a.example'))).resolves.toBe('dismiss');
    expect(opened).toHaveLength(1);
    // Another site is asked at once.
    void q.ask(prompt('https://b.example', 'other'));
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

// Issue #11: the queue is shared fairly per site; re-prompts after a close or deny are limited per
// site; the window learns the top-level page.
describe('ApprovalQueue: fairness and re-prompt limits per site', () => {
  const settleAll = () => new Promise((r) => setTimeout(r, 0));

  it('7 attacker frames (fresh subdomains) cannot fill the queue: a legitimate site still gets asked', async () => {
    const { q } = setup();
    const codes: Array<Promise<unknown>> = [];
    for (let i = 0; i < 7; i++)
      for (let j = 0; j < 3; j++)
        codes.push(
          q
            .ask({
              ...prompt(`https://f${i}.attacker.example`),
              topOrigin: 'https://attacker.example',
            })
            .catch((e: { code: string }) => e.code),
        );
    const legit = q.ask(prompt('https://app.legit.example'));
    let legitRejected: string | undefined;
    legit.catch((e: { code: string }) => (legitRejected = e.code));
    await settleAll();
    expect(legitRejected).toBeUndefined();
    expect(q.pendingCount()).toBe(4); // 3 for the attacker's site, 1 for the legitimate one
    expect(q.view().prompts.map((p) => p.origin)).toContain('https://app.legit.example');
    expect((await Promise.all(codes.slice(3))).every((c) => c === 'RATE_LIMITED')).toBe(true);
  });

  it('7 attacker sites (distinct domains) filling all 20 places: a newcomer takes the place of the biggest', async () => {
    const { q } = setup();
    const refused: string[] = [];
    for (let i = 0; i < 7; i++)
      for (let j = 0; j < 3; j++)
        void q
          .ask(prompt(`https://evil${i}.example`))
          .catch((e: { code: string }) => refused.push(e.code));
    await settleAll();
    expect(q.pendingCount()).toBe(20);
    const legit = q.ask(prompt('https://legit.example'));
    let legitRejected: string | undefined;
    legit.catch((e: { code: string }) => (legitRejected = e.code));
    await settleAll();
    expect(legitRejected).toBeUndefined();
    expect(q.pendingCount()).toBe(20);
    // Shown in turn: within the first 8 questions (one per site), not after the 19 others.
    const order = q.view().prompts.map((p) => p.origin);
    expect(order.indexOf('https://legit.example')).toBeLessThan(8);
    // the 21st question, then the newest of the biggest site's, to make room
    expect(refused).toEqual(['RATE_LIMITED', 'RATE_LIMITED']);
  });

  it('a close quiets the site: a fresh subdomain 0.8 s later gets no window; the quiet doubles', async () => {
    const { q, opened, advance } = setup();
    void q.ask(prompt('https://s1.attacker.example'));
    await settleAll();
    q.windowRemoved(1);
    advance(800);
    await expect(q.ask(prompt('https://s2.attacker.example'))).resolves.toBe('dismiss');
    expect(opened).toHaveLength(1);
    advance(NOT_NOW_QUIET_MS);
    void q.ask(prompt('https://s3.attacker.example'));
    await settleAll();
    expect(opened).toHaveLength(2);
    q.windowRemoved(2);
    advance(NOT_NOW_QUIET_MS + 800); // second close: 10 s
    await expect(q.ask(prompt('https://s4.attacker.example'))).resolves.toBe('dismiss');
    expect(opened).toHaveLength(2);
    advance(NOT_NOW_QUIET_MS);
    void q.ask(prompt('https://s5.attacker.example'));
    await settleAll();
    expect(opened).toHaveLength(3);
  });

  it('a deny quiets the site too (another secret, another subdomain)', async () => {
    const { q, opened, advance } = setup();
    const a = q.ask(prompt('https://a.site.example'));
    await settleAll();
    advance(600);
    expect(q.decide(q.view().prompts[0]!.id, 'deny')).toBe(true);
    await expect(a).resolves.toBe('deny');
    await expect(q.ask(prompt('https://b.site.example', 'other'))).resolves.toBe('dismiss');
    expect(opened).toHaveLength(1);
  });

  it('a deny quiets a whole IPv6 /48: the next address of the same network gets no window (review)', async () => {
    // An IPv6 host has 2^64 addresses for free: one address per prompt must not be a fresh site.
    const { q, opened, advance } = setup();
    const a = q.ask(prompt('http://[2001:db8:1:2::1]'));
    await settleAll();
    advance(600);
    expect(q.decide(q.view().prompts[0]!.id, 'deny')).toBe(true);
    await expect(a).resolves.toBe('deny');
    await expect(q.ask(prompt('http://[2001:db8:1:2::2]'))).resolves.toBe('dismiss');
    await expect(q.ask(prompt('http://[2001:db8:1:ffff:1::9]:8080'))).resolves.toBe('dismiss');
    expect(opened).toHaveLength(1);
  });

  it('a frame quiets the top-level page it is in, and the other way round', async () => {
    const { q } = setup();
    void q.ask({ ...prompt('https://ads.example'), topOrigin: 'https://news.example' });
    await settleAll();
    q.windowRemoved(1);
    await expect(q.ask(prompt('https://news.example'))).resolves.toBe('dismiss');
    await expect(q.ask(prompt('https://ads.example'))).resolves.toBe('dismiss');
  });

  it('the view names the top-level page when the caller is a frame of another page', async () => {
    const { q } = setup();
    void q.ask({ ...prompt('https://frame.example'), topOrigin: 'https://top.example' });
    void q.ask({ ...prompt('https://same.example'), topOrigin: 'https://same.example' });
    await settleAll();
    const [a, b] = q.view().prompts;
    expect(a!.topOrigin).toBe('https://top.example');
    expect(b!.topOrigin).toBeUndefined();
  });
});

describe('siteOf (registrable domain, approximated)', () => {
  it.each([
    ['https://a.b.example.com', 'example.com'],
    ['https://example.com:8443', 'example.com'],
    ['http://x.y.example.co.uk', 'example.co.uk'],
    ['https://shop.example.com.au', 'example.com.au'],
    ['https://alice.github.io', 'alice.github.io'],
    ['https://x.alice.github.io', 'alice.github.io'],
    ['https://my-app.vercel.app', 'my-app.vercel.app'],
    ['http://127.0.0.1:3000', '127.0.0.1'],
    ['http://[::1]:8080', '[::1]'],
    ['http://[2001:db8:1:2::7]', '[2001:db8:1::/48]'],
    ['http://[2001:db8:1:ffff:ffff::1]:81', '[2001:db8:1::/48]'],
    ['http://[2001:db8:2::7]', '[2001:db8:2::/48]'],
    ['http://localhost:5173', 'localhost'],
    ['https://example.io', 'example.io'],
    ['https://a.example.io.', 'example.io'],
  ])('%s → %s', (origin, site) => {
    expect(siteOf(origin)).toBe(site);
  });
});
