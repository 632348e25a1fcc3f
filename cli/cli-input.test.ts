// Unit tests for the CLI's input handling: secret values by type, the KDF env knob, password flags.
import { describe, expect, it } from 'vitest';
import { refusePasswordFlag } from './args.js';
import { kdfFromEnv } from './kdf-env.js';
import { parseSecretValue } from './secret-input.js';

const MIB = 1024 * 1024;

describe('parseSecretValue', () => {
  it('plain and bearer: the value, minus one trailing newline', () => {
    expect(parseSecretValue('plain', 'abc\n')).toEqual({ value: 'abc' });
    expect(parseSecretValue('bearer', 'abc\r\n')).toEqual({ value: 'abc' });
    expect(parseSecretValue('plain', ' spaced \n\n')).toEqual({ value: ' spaced \n' });
    expect(() => parseSecretValue('plain', '\n')).toThrow(
      expect.objectContaining({ code: 'INVALID_REQUEST' }) as Error,
    );
  });

  it('basic: username:password split at the first colon', () => {
    expect(parseSecretValue('basic', 'ada:pa:ss\n')).toEqual({
      username: 'ada',
      password: 'pa:ss',
    });
    expect(() => parseSecretValue('basic', 'nocolon')).toThrow();
    expect(() => parseSecretValue('basic', ':nouser')).toThrow();
  });

  it('template: key=value lines or a JSON object', () => {
    expect(parseSecretValue('template', '# comment\nkey=a=b\n\nregion = eu\n')).toEqual({
      fields: { key: 'a=b', region: ' eu' },
    });
    expect(parseSecretValue('template', '{"a":"1","b":"2"}')).toEqual({
      fields: { a: '1', b: '2' },
    });
    expect(() => parseSecretValue('template', '{"a":1}')).toThrow();
    expect(() => parseSecretValue('template', 'no equals sign')).toThrow();
  });

  it('oauth: a JSON object; errors never echo the input', () => {
    const cfg = {
      grant: 'client_credentials',
      tokenUrl: 'https://id.example/token',
      clientId: 'c',
      clientSecret: 's',
    };
    expect(parseSecretValue('oauth', JSON.stringify(cfg))).toEqual({ oauth: cfg });
    try {
      parseSecretValue('oauth', 'super-secret-not-json');
      expect.unreachable();
    } catch (err) {
      expect((err as Error).message).not.toContain('super-secret');
    }
  });
});

describe('kdfFromEnv', () => {
  it('reads MiB and passes, never below the floor', () => {
    expect(kdfFromEnv({})).toEqual({});
    expect(kdfFromEnv({ KEYHOLE_KDF_MEM: '32', KEYHOLE_KDF_OPS: '4' })).toEqual({
      memLimitBytes: 32 * MIB,
      opsLimit: 4,
    });
    expect(kdfFromEnv({ KEYHOLE_KDF_MEM: '1', KEYHOLE_KDF_OPS: '1' })).toEqual({
      memLimitBytes: 19 * MIB,
      opsLimit: 2,
    });
    expect(() => kdfFromEnv({ KEYHOLE_KDF_MEM: 'lots' })).toThrow();
  });
});

describe('refusePasswordFlag', () => {
  it('refuses any password-looking flag', () => {
    for (const flag of [
      '--password',
      '--password=x',
      '-password',
      '--pass',
      '--master-password=x',
      '--PW',
    ]) {
      expect(() => refusePasswordFlag(['login', flag]), flag).toThrow(/never accepted/);
    }
    expect(() => refusePasswordFlag(['--email', 'passwords@example.com'])).not.toThrow();
  });
});
