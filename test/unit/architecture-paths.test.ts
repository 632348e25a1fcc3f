// docs/architecture.md is the newcomer's map: every path it names in backticks must exist, every
// document it names must be in docs/, and every "section" it points at must be a heading there —
// so a move or rename that forgets the map fails here instead of leaving it wrong.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const DOC = readFileSync(join(ROOT, 'docs/architecture.md'), 'utf8');

/** Backticked tokens that name a file or folder of the repo (not routes, commands or code). */
function repoPaths(text: string): string[] {
  const tokens = [...text.matchAll(/`([^`\n]+)`/g)].map((m) => m[1]!);
  return tokens.filter(
    (t) =>
      !/[\s<>*:…{}()=]/.test(t) &&
      !t.startsWith('/') &&
      !t.startsWith('@') &&
      (t.includes('/') || /\.(ts|tsx|js|mjs|json|md)$/.test(t)),
  );
}

describe('docs/architecture.md', () => {
  it('names only paths that exist', () => {
    const paths = repoPaths(DOC);
    expect(paths.length).toBeGreaterThan(50);
    const missing = paths.filter((p) => !existsSync(join(ROOT, p)));
    expect(missing, 'paths in docs/architecture.md that do not exist').toEqual([]);
  });

  it('names only documents in docs/, and only their real sections', () => {
    const docs = new Set([...DOC.matchAll(/(?<![\w/.-])([a-z][\w-]*\.md)\b/g)].map((m) => m[1]!));
    const missing = [...docs].filter((d) => !existsSync(join(ROOT, 'docs', d)));
    expect(missing, 'documents named in docs/architecture.md missing from docs/').toEqual([]);
    const badSections: string[] = [];
    for (const m of DOC.matchAll(/([a-z][\w-]*\.md) "([^"]+)"/g)) {
      const [, doc, section] = m as unknown as [string, string, string];
      const headings = readFileSync(join(ROOT, 'docs', doc), 'utf8')
        .split('\n')
        .filter((l) => l.startsWith('#'))
        .map((l) => l.replace(/^#+\s*/, ''));
      if (!headings.some((h) => h === section || h.startsWith(section))) {
        badSections.push(`${doc} "${section}"`);
      }
    }
    expect(badSections, 'sections named in docs/architecture.md that are not headings').toEqual([]);
  });

  it('does not call the forwarding engine relay/ (it is server/forward/)', () => {
    expect(DOC).not.toMatch(/`(server\/)?relay\/`/);
  });
});
