// The JSON a user gives for the signing and minting types: accepted forms, refusals that name the
// field and never echo a value.
import { describe, expect, it } from 'vitest';
import { GOOGLE_DEFAULT_SCOPE, parseTypedConfig } from './secret-configs.js';
import { SecretPayload } from './secret.js';

const PEM =
  '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n';

describe('parseTypedConfig', () => {
  it('takes a Google service-account file as is', () => {
    const r = parseTypedConfig('jwt', {
      type: 'service_account',
      project_id: 'p',
      private_key_id: 'k1',
      private_key: PEM,
      client_email: 'sa@p.iam.gserviceaccount.com',
      client_id: '1',
      auth_uri: 'https://accounts.google.com/o/oauth2/auth',
      token_uri: 'https://oauth2.googleapis.com/token',
    });
    expect(r).toEqual({
      ok: true,
      config: {
        jwt: {
          privateKey: PEM,
          algorithm: 'RS256',
          issuer: 'sa@p.iam.gserviceaccount.com',
          audience: 'https://oauth2.googleapis.com/token',
          tokenUrl: 'https://oauth2.googleapis.com/token',
          scope: GOOGLE_DEFAULT_SCOPE,
          keyId: 'k1',
        },
      },
    });
  });

  it('github-app ids as numbers or strings; baseUrl defaults to api.github.com', () => {
    const r = parseTypedConfig('github-app', { appId: 42, privateKey: PEM, installationId: '7' });
    expect(r).toEqual({
      ok: true,
      config: {
        githubApp: {
          appId: '42',
          privateKey: PEM,
          installationId: '7',
          baseUrl: 'https://api.github.com',
        },
      },
    });
  });

  it('refusals name the field, never the value', () => {
    const secret = 'very-secret-value-123';
    const r = parseTypedConfig('sigv4', {
      accessKeyId: 'AK',
      secretAccessKey: secret,
      region: 'Not A Region',
      service: 's3',
    });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.message).toMatch(/^region:/);
      expect(r.message).not.toContain(secret);
    }
    const h = parseTypedConfig('hmac', { key: secret, message: '{body}' });
    expect(h.ok).toBe(false);
    if (!h.ok) expect(h.message).not.toContain(secret);
  });

  it('a signing or minting item without its settings is not a valid payload', () => {
    const base = { name: 'x', allowedHosts: ['api.example.com'] };
    expect(SecretPayload.safeParse({ ...base, type: 'sigv4' }).success).toBe(false);
    expect(SecretPayload.safeParse({ ...base, type: 'github-app' }).success).toBe(false);
    expect(SecretPayload.safeParse({ ...base, type: 'plain', value: 'v' }).success).toBe(true);
  });
});
