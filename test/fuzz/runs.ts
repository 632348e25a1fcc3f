// Fuzz budget and bookkeeping shared by the fast-check files: how many runs, and a tally of the
// cases tried that `npm run test:reliability` adds up ("bad inputs tried").
import { appendFileSync } from 'node:fs';

/** Runs per property: 500 in `npm test`, 100,000 in `npm run test:slow` (KEYHOLE_FUZZ_RUNS). */
export function fuzzRuns(): number {
  const runs = Number(process.env.KEYHOLE_FUZZ_RUNS ?? 500);
  return Number.isFinite(runs) && runs > 0 ? Math.floor(runs) : 500;
}

/** Record that a property tried `cases` inputs (only when the reliability runner asks for it). */
export function recordCases(property: string, cases: number): void {
  const file = process.env.KEYHOLE_FUZZ_COUNT_FILE;
  if (!file) return;
  appendFileSync(file, `${JSON.stringify({ property, cases })}\n`);
}

/** Throw if `text` contains any of `secrets` (a secret must never reach an error message or body). */
export function assertNoSecret(text: string, secrets: readonly string[], where: string): void {
  for (const secret of secrets) {
    if (secret.length >= 6 && text.includes(secret)) {
      throw new Error(`a secret value appeared in ${where}`);
    }
  }
}

/** Per-test timeout that grows with the budget (the unit project's 20 s is for 500 runs). */
export function fuzzTimeout(msPerRun = 0.5): number {
  return 20_000 + Math.ceil(fuzzRuns() * msPerRun);
}
