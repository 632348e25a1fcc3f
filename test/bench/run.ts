// `npm run bench`: every benchmark in one run — a table per part and one JSON line at the end.
export {};
// Ratios are measured against baselines taken in the same run (these machines are noisy).
type Bench = () => Promise<Record<string, number>>;

const parts: Array<[string, () => Promise<Bench>]> = [
  ['crypto', async () => (await import('./crypto.js')).benchCrypto],
  ['relay', async () => (await import('./relay.js')).benchRelay],
  ['extension', async () => (await import('./extension.js')).benchExtension],
  ['vault', async () => (await import('./vault.js')).benchVault],
  ['scrub', async () => (await import('./scrub.js')).benchScrub],
];

const only = process.argv.slice(2);
const results: Record<string, Record<string, number> | { error: string }> = {};
for (const [name, load] of parts) {
  if (only.length > 0 && !only.includes(name)) continue;
  console.error(`bench: ${name}…`);
  try {
    const run = await load();
    const figures = await run();
    results[name] = figures;
    console.table(figures);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    results[name] = { error: message };
    console.error(`bench: ${name} failed: ${message}`);
  }
}
console.log(JSON.stringify({ bench: results }));
