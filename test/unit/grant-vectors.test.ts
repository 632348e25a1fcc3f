// Runs test/vectors/grant.json (docs/vault-format.md §11) against shared/crypto/grant.ts.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  initCrypto,
  newGrantToken,
  openGrantInfo,
  openGrantPolicy,
  parseGrantToken,
  unwrapGrantItemKey,
} from '../../shared/crypto/index.js';
import { lib } from '../../shared/crypto/sodium.js';
import { vectorPath } from '../vectors/generate.js';
import { outcome } from '../vectors/outcome.js';

interface Case {
  name: string;
  kind: 'token' | 'item-key' | 'policy' | 'info';
  expected: string;
  [k: string]: unknown;
}
const file = JSON.parse(readFileSync(vectorPath('grant'), 'utf8')) as { cases: Case[] };
const hex = (b: Uint8Array): string => lib().to_hex(b);
const unhex = (h: unknown): Uint8Array => lib().from_hex(h as string);

beforeAll(async () => {
  await initCrypto();
});

describe('grant.json', () => {
  it('covers ok, tampered, truncated and wrong version for every kind', () => {
    for (const kind of ['token', 'item-key', 'policy', 'info']) {
      const mine = file.cases.filter((c) => c.kind === kind);
      expect(mine.some((c) => c.expected === 'ok')).toBe(true);
      expect(mine.some((c) => c.expected === 'unsupported_format')).toBe(true);
      expect(mine.filter((c) => c.expected === 'decryption_failed').length).toBeGreaterThan(0);
    }
  });

  it.each(file.cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    let got: unknown;
    const result = outcome(() => {
      if (c.kind === 'token') got = parseGrantToken(c.token as string);
      if (c.kind === 'item-key')
        got = unwrapGrantItemKey(
          unhex(c.grantKey),
          c.grantId as string,
          c.itemId as string,
          c.envelope as string,
        );
      if (c.kind === 'policy')
        got = openGrantPolicy(unhex(c.grantKey), c.grantId as string, c.envelope as string);
      if (c.kind === 'info')
        got = openGrantInfo(
          unhex(c.vaultKey),
          c.vaultId as string,
          c.grantId as string,
          c.envelope as string,
        );
    });
    expect(result).toBe(c.expected);
    if (c.expected !== 'ok') return;
    if (c.kind === 'token') {
      const t = got as { grantId: string; grantKey: Uint8Array; lookup: string };
      expect(t.grantId).toBe(c.grantId);
      expect(hex(t.grantKey)).toBe(c.grantKey);
      expect(t.lookup).toBe(c.lookup);
    }
    if (c.kind === 'item-key') expect(hex(got as Uint8Array)).toBe(c.itemKey);
    if (c.kind === 'policy' || c.kind === 'info') expect(got).toEqual(c.policy);
  });

  it('fresh tokens are 70 characters, parse back, and never repeat', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const t = newGrantToken();
      expect(t.token).toMatch(/^khg_[A-Za-z0-9_-]{66}$/);
      expect(parseGrantToken(t.token).lookup).toBe(t.lookup);
      seen.add(t.token);
    }
    expect(seen.size).toBe(200);
  });
});
