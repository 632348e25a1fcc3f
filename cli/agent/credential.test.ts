// Where the local endpoint puts a secret, per type and placement (docs/cli.md, "Where the secret goes").
import { describe, expect, it } from 'vitest';
import type { SecretPayload } from '../../shared/protocol/secret.js';
import { credentialSlot } from './credential.js';
import { withQueryParam } from './endpoint.js';

function secret(type: string, extra: Record<string, unknown> = {}): SecretPayload {
  return {
    name: 's',
    type,
    value: 'v',
    allowedHosts: ['api.example.com'],
    allowedOrigins: [],
    description: '',
    ...extra,
  } as SecretPayload;
}

describe('credentialSlot', () => {
  it('puts each type in its Authorization scheme', () => {
    const auth = (type: string) => credentialSlot(secret(type), 'api.example.com');
    expect(auth('bearer')).toEqual({
      kind: 'header',
      name: 'authorization',
      value: 'Bearer $CLIENT_SECRET',
    });
    expect(auth('oauth')).toMatchObject({ value: 'Bearer $CLIENT_SECRET' });
    expect(auth('jwt')).toMatchObject({ value: 'Bearer $CLIENT_SECRET' });
    expect(auth('basic')).toMatchObject({ value: 'Basic $CLIENT_SECRET' });
    expect(auth('github-app')).toMatchObject({ value: 'token $CLIENT_SECRET' });
    expect(auth('sigv4')).toEqual({ kind: 'none' });
    expect(auth('hmac')).toEqual({ kind: 'none' });
  });

  it("keeps the caller's scheme word for a plain secret", () => {
    expect(credentialSlot(secret('plain'), 'api.example.com', 'Token dummy')).toMatchObject({
      value: 'Token $CLIENT_SECRET',
    });
    expect(credentialSlot(secret('plain'), 'api.example.com')).toMatchObject({
      value: 'Bearer $CLIENT_SECRET',
    });
  });

  it('uses x-api-key for Anthropic and the placement when the secret has one', () => {
    expect(credentialSlot(secret('plain'), 'api.anthropic.com')).toEqual({
      kind: 'header',
      name: 'x-api-key',
      value: '$CLIENT_SECRET',
    });
    expect(credentialSlot(secret('plain', { placement: ['header:X-Api-Key'] }), 'h')).toEqual({
      kind: 'header',
      name: 'X-Api-Key',
      value: '$CLIENT_SECRET',
    });
    expect(credentialSlot(secret('plain', { placement: ['body:auth', 'query:key'] }), 'h')).toEqual(
      {
        kind: 'query',
        name: 'key',
        value: '$CLIENT_SECRET',
      },
    );
    expect(() => credentialSlot(secret('plain', { placement: ['body:auth'] }), 'h')).toThrow(
      /body or the url/,
    );
  });
});

describe('withQueryParam', () => {
  it("replaces the caller's own parameter and leaves the rest as written", () => {
    expect(withQueryParam('https://h/p%2Fq?a=1&key=dummy&b=%20', 'key', '$CLIENT_SECRET')).toBe(
      'https://h/p%2Fq?a=1&b=%20&key=$CLIENT_SECRET',
    );
    expect(withQueryParam('https://h/p', 'key', '$CLIENT_SECRET')).toBe(
      'https://h/p?key=$CLIENT_SECRET',
    );
  });
});
