// Summarises a .cpuprofile: self time per function (top N), and inclusive time of functions whose
// name or url matches a filter.   node --import tsx test/bench/profile-top.ts FILE [N] [FILTER]
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount: number;
  children?: number[];
}
const [file, nArg = '40', filter] = process.argv.slice(2);
if (!file) throw new Error('usage: profile-top.ts FILE [N] [FILTER]');
const prof = JSON.parse(readFileSync(file, 'utf8')) as { nodes: Node[] };
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const total = prof.nodes.reduce((s, n) => s + n.hitCount, 0);
const idle = prof.nodes
  .filter((n) => ['(idle)', '(program)'].includes(n.callFrame.functionName))
  .reduce((s, n) => s + n.hitCount, 0);
const label = (n: Node) =>
  `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.split('/').slice(-2).join('/')}:${n.callFrame.lineNumber + 1}`;
const self = new Map<string, number>();
for (const n of prof.nodes) self.set(label(n), (self.get(label(n)) ?? 0) + n.hitCount);
const busy = total - idle;
console.log(`samples ${total}, busy ${busy} (idle+program ${idle})`);
const pct = (h: number) => ((100 * h) / busy).toFixed(1).padStart(5);
for (const [name, h] of [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(nArg)))
  console.log(`${pct(h)}%  ${name}`);
if (filter) {
  // inclusive time: the samples of every node under a matching frame (counted once per stack)
  const re = new RegExp(filter);
  const incl = new Map<string, number>();
  const walk = (id: number, seen: Set<string>) => {
    const n = byId.get(id)!;
    const l = label(n);
    const add = re.test(l) && !seen.has(l);
    const next = add ? new Set([...seen, l]) : seen;
    for (const s of next) incl.set(s, (incl.get(s) ?? 0) + n.hitCount);
    for (const c of n.children ?? []) walk(c, next);
  };
  walk(prof.nodes[0]!.id, new Set());
  console.log(`-- inclusive (${filter})`);
  for (const [name, h] of [...incl].sort((a, b) => b[1] - a[1]).slice(0, Number(nArg)))
    console.log(`${pct(h)}%  ${name}`);
}
