// Issue #11, "no oracle": a never-approved origin gets ORIGIN_NOT_ALLOWED after the same work and in
// the same time whether or not a name exists. Measured through the real background code
// (runPageOp → planPageCall over a real encrypted store), ≥ 120 samples per name, names
// interleaved, compared by rank (the probability that an existing name's answer is slower than a
// missing one's: 0.5 means indistinguishable) — robust to load on a shared machine. A control
// injects the 0.4 ms difference with the floor off and must be told apart.
import { describe, expect, it } from 'vitest';
import { lookUpForOrigin, planPageCall } from '../../extension/background/call-plan.js';
import { runPageOp, type PageCallDeps } from '../../extension/background/page-calls.js';
import type { BackgroundReply } from '../../extension/bridge/messages.js';
import type { SecretPayload } from '../../shared/protocol/secret.js';
import { memoryStore } from '../support/memory-vault.js';

const STRANGER = 'https://never-approved.example';
const EXISTING = ['openai', 'stripe', 'github'];
const MISSING = ['openai2', 'strype', 'gh-token'];
const SAMPLES = 120;

function secret(name: string): SecretPayload {
  return {
    name,
    type: 'bearer',
    value: `value-of-${name}-0123456789`,
    allowedHosts: ['api.example.com'],
    allowedOrigins: ['https://app.example'],
    description: '',
    placement: ['header:Authorization'],
  };
}

/** P(a random x from `a` > a random y from `b`), ties half: 0.5 = no difference. */
function superiority(a: number[], b: number[]): number {
  const all = [...a.map((v) => ({ v, g: 0 })), ...b.map((v) => ({ v, g: 1 }))].sort(
    (x, y) => x.v - y.v,
  );
  let rankSumA = 0;
  for (let i = 0; i < all.length;) {
    let j = i;
    while (j < all.length && all[j]!.v === all[i]!.v) j++;
    const rank = (i + j + 1) / 2; // average rank of the tie block (1-based)
    for (let k = i; k < j; k++) if (all[k]!.g === 0) rankSumA += rank;
    i = j;
  }
  const u = rankSumA - (a.length * (a.length + 1)) / 2;
  return u / (a.length * b.length);
}

const median = (xs: number[]) => {
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.floor(s.length / 2)]!;
};

const busy = (ms: number) => {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // spin: a difference in work, as a real code path would make it
  }
};

async function measure(
  over: Partial<PageCallDeps>,
  url: string,
): Promise<{ existing: number[]; missing: number[] }> {
  const store = await memoryStore(EXISTING.map(secret));
  const deps: PageCallDeps = {
    extensionId: 'x',
    isUnlocked: async () => true,
    plan: async (origin, op) => planPageCall(store, origin, op),
    lookup: async (origin, name) => lookUpForOrigin(store, origin, name),
    ask: async () => {
      throw new Error('no window may open in this test');
    },
    allowOrigin: async () => undefined,
    // The real denied list is a chrome.storage read: give it a cost, so that a path that skips it
    // for missing names (as before issue #11) shows.
    isDenied: async () => {
      busy(0.3);
      return false;
    },
    addDenied: async () => undefined,
    forward: async () => {
      throw new Error('nothing may be forwarded in this test');
    },
    ...over,
  };
  const one = async (name: string): Promise<number> => {
    const out: BackgroundReply[] = [];
    const t0 = performance.now();
    await runPageOp(
      deps,
      STRANGER,
      {
        op: 'request',
        params: {
          clientSecretName: name,
          url,
          headers: { Authorization: 'Bearer $CLIENT_SECRET' },
        },
      },
      (r) => out.push(r),
      new AbortController().signal,
    );
    const dt = performance.now() - t0;
    expect(out).toEqual([
      { t: 'error', error: { code: 'ORIGIN_NOT_ALLOWED', message: expect.any(String) } },
    ]);
    return dt;
  };
  // Warm up (JIT, first decryption of the index), then interleave every name in each round.
  for (const name of [...EXISTING, ...MISSING]) await one(name);
  const existing: number[] = [];
  const missing: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    for (let k = 0; k < EXISTING.length; k++) {
      // Alternate which goes first, so that drift in load favours neither.
      const pair = i % 2 === 0 ? [EXISTING[k]!, MISSING[k]!] : [MISSING[k]!, EXISTING[k]!];
      for (const name of pair) {
        const dt = await one(name);
        (EXISTING.includes(name) ? existing : missing).push(dt);
      }
    }
  }
  return { existing, missing };
}

describe('no oracle: ORIGIN_NOT_ALLOWED takes the same time for an existing and a missing name', () => {
  it(
    `destination not allowed, never-approved origin: ${SAMPLES} samples per name, interleaved`,
    { timeout: 120_000 },
    async () => {
      const { existing, missing } = await measure({}, 'https://elsewhere.example/v1');
      const p = superiority(existing, missing);
      console.info(
        `no-oracle (host refused): existing median ${median(existing).toFixed(3)} ms, missing ${median(missing).toFixed(3)} ms, P(existing slower) ${p.toFixed(3)}, n=${existing.length}+${missing.length}`,
      );
      expect(p).toBeGreaterThan(0.4);
      expect(p).toBeLessThan(0.6);
      expect(Math.abs(median(existing) - median(missing))).toBeLessThan(1);
    },
  );

  it('denied before: the same', { timeout: 120_000 }, async () => {
    const { existing, missing } = await measure(
      {
        isDenied: async () => {
          busy(0.3);
          return true;
        },
      },
      'https://api.example.com/v1',
    );
    const p = superiority(existing, missing);
    console.info(
      `no-oracle (denied): existing median ${median(existing).toFixed(3)} ms, missing ${median(missing).toFixed(3)} ms, P(existing slower) ${p.toFixed(3)}`,
    );
    expect(p).toBeGreaterThan(0.4);
    expect(p).toBeLessThan(0.6);
  });

  it('control: the same measurement tells apart a 0.4 ms difference when the floor is off', async () => {
    const { existing, missing } = await measure(
      {
        refusalFloorMs: 0,
        isDenied: async (_origin, name) => {
          if (EXISTING.includes(name)) busy(0.4);
          return false;
        },
      },
      'https://elsewhere.example/v1',
    );
    const p = superiority(existing, missing);
    console.info(
      `no-oracle control (0.4 ms injected, no floor): existing median ${median(existing).toFixed(3)} ms, missing ${median(missing).toFixed(3)} ms, P(existing slower) ${p.toFixed(3)}`,
    );
    expect(p).toBeGreaterThan(0.8);
  });

  it('the work alone, floor off: decoys make it the same steps', async () => {
    const { existing, missing } = await measure(
      { refusalFloorMs: 0 },
      'https://elsewhere.example/v1',
    );
    const p = superiority(existing, missing);
    console.info(
      `no-oracle (work only, no floor): existing median ${median(existing).toFixed(3)} ms, missing ${median(missing).toFixed(3)} ms, P(existing slower) ${p.toFixed(3)}`,
    );
    expect(existing.length).toBe(SAMPLES * EXISTING.length);
    expect(p).toBeGreaterThan(0.4);
    expect(p).toBeLessThan(0.6);
  });
});
