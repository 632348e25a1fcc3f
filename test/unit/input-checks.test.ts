// The entry checks the popup and the CLI share (shared/policy): origins, hints, template rows.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  hostHint,
  isValidSecretName,
  originHint,
  parseAllowedOrigin,
  parseTemplateFields,
} from '../../shared/policy/index.js';

describe('allowed origins', () => {
  it('accepts scheme://host[:port] and normalises it', () => {
    expect(parseAllowedOrigin('https://App.Example.com/')).toBe('https://app.example.com');
    expect(parseAllowedOrigin('http://localhost:5173')).toBe('http://localhost:5173');
    expect(parseAllowedOrigin('https://app.example.com:443')).toBe('https://app.example.com');
    expect(parseAllowedOrigin('http://[::1]:8080')).toBe('http://[::1]:8080');
  });
  it('refuses anything else', () => {
    for (const bad of [
      'localhost:5173',
      'app.example.com',
      'https://app.example.com/path',
      'https://user@app.example.com',
      'ftp://app.example.com',
      'https://*.example.com',
      'https://app.example.com?x',
      '',
      'javascript:alert(1)',
    ])
      expect(parseAllowedOrigin(bad), bad).toBeNull();
  });
  it('says how to fix a missing scheme or a path', () => {
    expect(originHint('localhost:5173')).toContain('http://localhost:5173');
    expect(originHint('https://a.example/x')).toContain('no path');
  });
});

describe('host hints', () => {
  it('name the mistake', () => {
    expect(hostHint('htp://127.0.0.1:5174')).toContain('"htp://" is not a scheme');
    expect(hostHint('api.example.com/v1')).toContain('https://api.example.com/v1');
    expect(hostHint('https://user@api.example.com')).toContain('no user name');
  });
});

describe('template rows', () => {
  it('reads key=value lines and JSON objects', () => {
    expect(parseTemplateFields('a=1\n# note\n\nb = x=y')).toEqual({ a: '1', b: ' x=y' });
    expect(parseTemplateFields('{"a":"1"}')).toEqual({ a: '1' });
  });
  it('names the bad line, never the value', () => {
    expect(() => parseTemplateFields('a=1\nsecret-without-equals')).toThrow(/^Line 2/);
    try {
      parseTemplateFields('a=1\nsk-very-secret');
    } catch (e) {
      expect((e as Error).message).not.toContain('sk-very-secret');
    }
    expect(() => parseTemplateFields('a=1\na=2')).toThrow(/twice/);
    expect(() => parseTemplateFields('')).toThrow(/at least one/);
  });
});

describe('secret names', () => {
  it('are the schema rule', () => {
    expect(isValidSecretName('openai')).toBe(true);
    expect(isValidSecretName('bad name!')).toBe(false);
  });
});

describe('scripts/ensure-chromium.mjs', () => {
  it('stops at once with one line when KEYHOLE_CHROMIUM is not a browser', () => {
    const r = spawnSync(process.execPath, ['scripts/ensure-chromium.mjs'], {
      env: { ...process.env, KEYHOLE_CHROMIUM: '/nonexistent/chromium' },
      encoding: 'utf8',
    });
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('KEYHOLE_CHROMIUM');
    expect(r.stderr).toContain('apt-get install chromium');
  });
});
