// Three-way merge of one secret (merge.ts): nothing is ever lost, conflicts keep both versions.
import { describe, expect, it } from 'vitest';
import type { SecretPayload } from '../protocol/secret.js';
import { conflictName, mergeSecret, sameValue } from './merge.js';

const base: SecretPayload = {
  name: 'openai',
  type: 'bearer',
  value: 'v1',
  allowedHosts: ['api.openai.com'],
  allowedOrigins: [],
  description: '',
};

describe('mergeSecret', () => {
  it('does nothing when both sides made the same change', () => {
    const edit = { ...base, value: 'v2' };
    expect(mergeSecret(base, edit, { ...edit })).toEqual({ action: 'none', reason: 'same' });
  });

  it('merges changes to different fields', () => {
    const ours = { ...base, value: 'v2' };
    const theirs = { ...base, allowedHosts: ['api.openai.com', 'eu.api.openai.com'] };
    const out = mergeSecret(base, ours, theirs);
    expect(out).toEqual({
      action: 'write',
      merged: true,
      restored: false,
      payload: { ...base, value: 'v2', allowedHosts: ['api.openai.com', 'eu.api.openai.com'] },
    });
  });

  it('keeps both versions when the same field changed differently', () => {
    const ours = { ...base, value: 'ours' };
    const theirs = { ...base, value: 'theirs' };
    expect(mergeSecret(base, ours, theirs)).toEqual({ action: 'copy', copy: ours });
  });

  it('treats a conflicting host list as a conflict (no silent union)', () => {
    const ours = { ...base, allowedHosts: ['a.example'] };
    const theirs = { ...base, allowedHosts: ['b.example'] };
    expect(mergeSecret(base, ours, theirs).action).toBe('copy');
  });

  it('restores our edit over their delete', () => {
    const ours = { ...base, value: 'v2' };
    expect(mergeSecret(base, ours, null)).toEqual({
      action: 'write',
      payload: ours,
      merged: false,
      restored: true,
    });
  });

  it('keeps their edit over our delete', () => {
    expect(mergeSecret(base, null, { ...base, value: 'v2' })).toEqual({
      action: 'none',
      reason: 'kept-theirs',
    });
  });

  it('deletes when their newer version changed nothing', () => {
    expect(mergeSecret(base, null, { ...base })).toEqual({
      action: 'write',
      payload: null,
      merged: false,
      restored: false,
    });
  });

  it('both deleted: nothing to do', () => {
    expect(mergeSecret(base, null, null)).toEqual({ action: 'none', reason: 'same' });
  });

  it('a field removed on one side only is removed', () => {
    const withUser: SecretPayload = {
      ...base,
      type: 'basic',
      value: undefined,
      username: 'u',
      password: 'p',
    };
    const ours = { ...withUser, description: 'note' };
    const theirs: SecretPayload = { ...withUser, password: 'p2' };
    const out = mergeSecret(withUser, ours, theirs);
    expect(out.action).toBe('write');
    if (out.action === 'write')
      expect(out.payload).toMatchObject({ description: 'note', password: 'p2' });
  });
});

describe('conflictName', () => {
  const day = new Date('2025-03-04T10:00:00Z');

  it('is NAME.conflict-YYYY-MM-DD, a valid secret name', () => {
    expect(conflictName('openai', day, () => false)).toBe('openai.conflict-2025-03-04');
  });

  it('adds -2, -3 … when the name is taken', () => {
    const taken = new Set(['openai.conflict-2025-03-04', 'openai.conflict-2025-03-04-2']);
    expect(conflictName('openai', day, (n) => taken.has(n))).toBe('openai.conflict-2025-03-04-3');
  });

  it('stays within 64 characters', () => {
    const long = 'x'.repeat(64);
    const name = conflictName(long, day, () => false);
    expect(name.length).toBe(64);
    expect(name.endsWith('.conflict-2025-03-04')).toBe(true);
  });
});

describe('sameValue', () => {
  it('ignores key order and undefined fields', () => {
    expect(sameValue({ a: 1, b: [1, 2], c: undefined }, { b: [1, 2], a: 1 })).toBe(true);
    expect(sameValue({ a: [1, 2] }, { a: [2, 1] })).toBe(false);
  });
});
