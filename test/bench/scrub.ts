// The response scrubber's own cost (server/forward/scrub.ts): what one forward pays for it on the
// usual small JSON answer, per SSE event, and in throughput on a large body. Medians of rounds.
import { Scrubber } from '../../server/forward/scrub.js';
import { SseScrubber } from '../../server/forward/sse-scrub.js';
import { JSON_1K } from '../support/mock-api.js';

const SECRET = 'sk-proj-Abc123Def456Ghi789Jkl012Mno345Pqr678Stu901';
const HEADERS: Record<string, string> = {
  'content-type': 'application/json',
  date: 'Thu, 03 Dec 2026 09:41:15 GMT',
  'x-request-id': 'req_8f3a2b1c9d7e6f5a4b3c2d1e0f9a8b7c',
  'openai-organization': 'user-abc123',
  'openai-processing-ms': '412',
  'openai-version': '2020-10-01',
  'x-ratelimit-limit-requests': '10000',
  'x-ratelimit-remaining-requests': '9999',
  'x-ratelimit-reset-requests': '8.64s',
  'cache-control': 'no-cache, must-revalidate',
  'access-control-allow-origin': '*',
  'cf-ray': '8e2f4a1b3c5d6e7f-AMS',
};
const SSE_EVENT = Buffer.from(
  'data: {"id":"chatcmpl-1","object":"chat.completion.chunk","choices":[{"delta":{"content":" hello"}}]}\n\n',
);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function timeUs(n: number, fn: () => void): number {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn();
  return Number(process.hrtime.bigint() - t0) / 1000 / n;
}

/** One forward's scrubbing of a 1 KB JSON answer: construct, 12 headers, one chunk, end. */
function smallAnswer(): void {
  const s = new Scrubber([SECRET]);
  for (const v of Object.values(HEADERS)) s.scrubString(v);
  s.push(JSON_1K);
  s.end();
}

export async function benchScrub(): Promise<Record<string, number>> {
  const big = Buffer.alloc(64 * 1024, 'lorem ipsum dolor sit amet, ');
  const rounds: Record<string, number[]> = {
    small: [],
    construct: [],
    sse: [],
    sseStage: [],
    bigMBs: [],
  };
  for (let r = 0; r < 7; r++) {
    rounds.small!.push(timeUs(4000, smallAnswer));
    rounds.construct!.push(timeUs(4000, () => new Scrubber([SECRET])));
    const s = new Scrubber([SECRET]);
    rounds.sse!.push(timeUs(20000, () => s.push(SSE_EVENT)));
    const t = new Scrubber([SECRET]);
    const stage = new SseScrubber(t.textForms());
    rounds.sseStage!.push(timeUs(20000, () => stage.push(t.push(SSE_EVENT))));
    const b = new Scrubber([SECRET]);
    const us = timeUs(64, () => b.push(big));
    rounds.bigMBs!.push(big.length / us);
  }
  return {
    'small answer µs (construct + 12 headers + 1 KB)': median(rounds.small!),
    'construct µs (forms of one 51-char secret)': median(rounds.construct!),
    'SSE event µs (byte scrubber)': median(rounds.sse!),
    'SSE event µs (byte scrubber + event stage)': median(rounds.sseStage!),
    'large body MB/s (64 KiB chunks)': median(rounds.bigMBs!),
  };
}
