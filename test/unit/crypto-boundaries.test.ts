// Static checks on the crypto core's boundaries: libsodium is imported in one file only, shared/
// crypto imports nothing from Node, no key or nonce comes from libsodium's randombytes, and only
// test code passes randomness of its own (docs/vault-format.md §1).
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SKIP = new Set(['node_modules', '.output', '.wxt', 'dist', '.git', 'data']);

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    if (SKIP.has(entry.name) || entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sources(path));
    else if (/\.(ts|tsx|mts|js|mjs|vue)$/.test(entry.name)) out.push(path);
  }
  return out;
}
const IMPORTS_SODIUM = /(from\s+|import\s*\(\s*|require\s*\(\s*)['"]libsodium[-\w]*['"]/;

describe('crypto boundaries', () => {
  it('libsodium-wrappers-sumo is imported only by shared/crypto/sodium.ts', () => {
    const offenders = ['shared', 'server', 'cli', 'extension']
      .flatMap((dir) => sources(dir))
      .filter((file) => IMPORTS_SODIUM.test(readFileSync(join(ROOT, file), 'utf8')))
      .map((file) => relative(ROOT, join(ROOT, file)));
    expect(offenders).toEqual(['shared/crypto/sodium.ts']);
  });

  it('shared/crypto imports nothing from Node and takes no randomness from libsodium', () => {
    for (const file of sources('shared/crypto').filter((f) => !f.endsWith('.test.ts'))) {
      const text = readFileSync(join(ROOT, file), 'utf8');
      expect(text, file).not.toMatch(/from\s+['"]node:/);
      expect(text, file).not.toMatch(/randombytes_buf|crypto_box_keypair\(|_keygen\(/);
    }
  });

  it('the explicit-randomness twins (…With, sealEnvelopeWithNonce) serve tests only', () => {
    const crypto = sources('shared/crypto').filter((f) => !f.endsWith('.test.ts'));
    const twins = crypto.flatMap((file) =>
      [...readFileSync(join(ROOT, file), 'utf8').matchAll(/export function (\w+With\w*)\(/g)].map(
        (m) => m[1] as string,
      ),
    );
    expect(twins).toContain('sealEnvelopeWithNonce');
    expect(twins).toContain('encryptItemWith');
    const uses = new RegExp(`\\b(${twins.join('|')})\\b`);
    const offenders = ['shared', 'server', 'cli', 'extension']
      .flatMap((dir) => sources(dir))
      .filter((f) => !crypto.includes(f) && !/\.(test|spec)\.tsx?$/.test(f))
      .filter((f) => uses.test(readFileSync(join(ROOT, f), 'utf8')));
    expect(offenders).toEqual([]);
    // …nor from the crypto core's public API.
    const index = readFileSync(join(ROOT, 'shared/crypto/index.ts'), 'utf8');
    expect(index.replace(/\/\/.*$/gm, '')).not.toMatch(uses);
  });

  it('code outside the crypto core reaches it through index.ts only (no raw AEAD with a nonce of its own)', () => {
    // aead.ts's aeadEncryptInto takes any nonce and is no …With twin: only envelope.ts may call it.
    // Modules that export no key, nonce or randomness handling may be imported directly.
    const direct = new Set(['index', 'kdf', 'base64url']);
    const imports = /from\s+['"]((?:\.\.?\/)+(?:shared\/)?crypto\/([\w-]+)\.js)['"]/g;
    const offenders = ['shared', 'server', 'cli', 'extension']
      .flatMap((dir) => sources(dir))
      .filter((f) => !f.startsWith(join('shared', 'crypto')) && !/\.(test|spec)\.tsx?$/.test(f))
      .flatMap((f) =>
        [...readFileSync(join(ROOT, f), 'utf8').matchAll(imports)]
          .filter((m) => !direct.has(m[2] as string))
          .map((m) => `${f}: ${m[1]}`),
      );
    expect(offenders).toEqual([]);
    const index = readFileSync(join(ROOT, 'shared/crypto/index.ts'), 'utf8');
    expect(index.replace(/\/\/.*$/gm, '')).not.toMatch(/\baeadEncryptInto\b/);
  });
});
