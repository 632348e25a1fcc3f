// The popup's forms for the secrets that sign and mint: what each form builds is an item the
// background's own check (validatePayload, the shared zod schema) accepts, a Google key file maps
// exactly as the CLI maps it, and a missing field points at that field.
import { describe, expect, it } from 'vitest';
import { checkDraft, emptyDraft, type SecretDraft } from '../../extension/popup/secret-draft.js';
import { validatePayload } from '../../shared/client/secrets.js';
import { parseTypedConfig } from '../../shared/protocol/secret-configs.js';

const PEM =
  '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n';

function draft(type: SecretDraft['type'], signing: Partial<SecretDraft['signing']>): SecretDraft {
  const d = emptyDraft('v1');
  return {
    ...d,
    name: `s-${type}`,
    type,
    hosts: 'api.example.com',
    signing: { ...d.signing, ...signing },
  };
}

function built(d: SecretDraft) {
  const r = checkDraft(d, false);
  if (!r.ok) throw new Error(`${r.problem.field}: ${r.problem.text}`);
  return validatePayload(r.secret);
}

describe('popup forms for sigv4, hmac, jwt, github-app', () => {
  it('each form builds an item the shared schema accepts', () => {
    expect(
      built(draft('sigv4', { accessKeyId: 'AKID', secretAccessKey: 'sk', sessionToken: 'st' }))
        .sigv4,
    ).toEqual({
      accessKeyId: 'AKID',
      secretAccessKey: 'sk',
      sessionToken: 'st',
      region: 'us-east-1',
      service: 's3',
    });
    const hmac = built(
      draft('hmac', {
        hmacKey: 'k',
        message: '{query}{body}',
        signatureIn: 'query',
        signatureName: 'signature',
        timestampIn: 'query',
        timestampName: 'timestamp',
        timestampUnit: 'ms',
        hmacFields: 'apiKey=abc',
      }),
    ).hmac;
    expect(hmac).toMatchObject({
      signatureQuery: 'signature',
      timestampQuery: 'timestamp',
      timestampUnit: 'ms',
      fields: { apiKey: 'abc' },
    });
    expect(
      built(
        draft('jwt', {
          jwtMode: 'key',
          privateKey: PEM,
          jwtAlgorithm: 'ES256',
          issuer: 'i',
          audience: 'a',
          tokenUrl: 'https://auth.example.com/token',
        }),
      ).jwt,
    ).toMatchObject({ algorithm: 'ES256', issuer: 'i' });
    expect(
      built(draft('github-app', { appId: '12', installationId: '34', appPrivateKey: PEM }))
        .githubApp,
    ).toEqual({
      appId: '12',
      installationId: '34',
      privateKey: PEM,
      baseUrl: 'https://api.github.com',
    });
  });

  it('a pasted Google key file maps exactly as the CLI maps it', () => {
    const file = {
      type: 'service_account',
      project_id: 'p',
      private_key_id: 'k1',
      private_key: PEM,
      client_email: 'sa@p.iam.gserviceaccount.com',
      token_uri: 'https://oauth2.googleapis.com/token',
    };
    const cli = parseTypedConfig('jwt', { ...file, scope: 'https://x/scope' });
    expect(cli.ok).toBe(true);
    const popup = built(
      draft('jwt', { googleJson: JSON.stringify(file), scope: 'https://x/scope' }),
    ).jwt;
    expect(popup).toEqual(cli.ok ? (cli.config as { jwt: unknown }).jwt : null);
  });

  it('a missing field points at that field; an untouched edit keeps the stored settings', () => {
    const r = checkDraft(draft('hmac', { hmacKey: 'k', signatureName: '' }), false);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problem.field).toBe('hmac-signature-name');
    const g = checkDraft(draft('jwt', { googleJson: '{"type":"user"}' }), false);
    if (!g.ok) expect(g.problem.field).toBe('jwt-google-json');
    else throw new Error('accepted a non service-account file');
    const edit = checkDraft(draft('sigv4', {}), true);
    expect(edit.ok && edit.secret.sigv4 === undefined).toBe(true);
  });
});
