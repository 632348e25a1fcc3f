// buildForwardRequest's pre-flight: the placeholders it accepts are exactly the relay's (basic
// username/password, oauth access_token, template fields), with the relay's codes otherwise.
import { beforeAll, describe, expect, it } from 'vitest';
import { fromBase64url } from '../crypto/index.js';
import type { SecretPayload } from '../protocol/secret.js';
import { memoryStore } from '../../test/support/memory-vault.js';
import { buildForwardRequest, type ClientRequestParams } from './request.js';
import type { VaultStore } from './vault-store.js';

const HOSTS = ['api.example.com'];
const base = { allowedHosts: HOSTS, allowedOrigins: [], description: '' };
const SECRETS: SecretPayload[] = [
  { ...base, name: 'plain', type: 'plain', value: 'p-value' },
  { ...base, name: 'basic', type: 'basic', username: 'alice', password: 'pw' },
  {
    ...base,
    name: 'oauth',
    type: 'oauth',
    oauth: {
      grant: 'client_credentials',
      tokenUrl: 'https://api.example.com/token',
      clientId: 'id',
      clientSecret: 'cs',
    },
  },
  { ...base, name: 'tpl', type: 'template', fields: { key: 'k', region: 'eu' } },
  { ...base, name: 'tplv', type: 'template', value: 'v', fields: { key: 'k' } },
  { ...base, name: 'a.b', type: 'plain', value: 'dotted' },
  { ...base, name: 'elsewhere', type: 'plain', value: 'e', allowedHosts: ['other.example.com'] },
];

let store: VaultStore;

beforeAll(async () => {
  store = await memoryStore(SECRETS);
});

const build = (
  clientSecretName: string,
  header: string,
  extra: Partial<ClientRequestParams> = {},
) =>
  buildForwardRequest(store, {
    clientSecretName,
    url: 'https://api.example.com/v1',
    headers: { authorization: header },
    ...extra,
  });

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
    return undefined;
  } catch (err) {
    return (err as { code?: string }).code;
  }
};

describe('buildForwardRequest placeholders', () => {
  it.each([
    ['basic', '$(secret:basic.password)'],
    ['basic', '$(secret:basic.username)'],
    ['basic', 'Basic $(secret:basic)'],
    ['basic', 'Basic $CLIENT_SECRET'],
    ['oauth', 'Bearer $(secret:oauth.access_token)'],
    ['oauth', 'Bearer $CLIENT_SECRET'],
    ['tpl', '$(secret:tpl.key) $(secret:tpl.region)'],
    ['tplv', '$CLIENT_SECRET $(secret:tplv.key)'],
    ['plain', '$CLIENT_SECRET'],
    ['a.b', '$(secret:a.b)'],
  ])('accepts %s with %s', (name, header) => {
    const fwd = build(name, header);
    expect(fwd.secrets).toHaveLength(1);
    expect(fwd.secrets[0]).toMatchObject({ name });
    expect(fromBase64url(fwd.secrets[0]!.itemKey)).toHaveLength(32);
    expect(fwd.request.headers).toEqual({ authorization: header });
  });

  it('adds a basic or oauth secret named by a .field placeholder to the request', () => {
    const fwd = build('plain', '$CLIENT_SECRET', {
      url: 'https://api.example.com/v1?u=$(secret:basic.username)',
      data: { token: '$(secret:oauth.access_token)', pw: '$(secret:basic.password)' },
      method: 'POST',
    });
    expect(fwd.secrets.map((s) => s.name)).toEqual(['plain', 'basic', 'oauth']);
  });

  it.each([
    // a field the type does not have: the relay answers SECRET_NOT_FOUND
    ['basic', '$(secret:basic.token)', 'SECRET_NOT_FOUND'],
    ['oauth', '$(secret:oauth.client_secret)', 'SECRET_NOT_FOUND'],
    ['oauth', '$(secret:oauth.refresh_token)', 'SECRET_NOT_FOUND'],
    ['plain', '$(secret:plain.value)', 'SECRET_NOT_FOUND'],
    ['tpl', '$(secret:tpl.missing)', 'SECRET_NOT_FOUND'],
    ['tpl', '$(secret:tpl.constructor)', 'SECRET_NOT_FOUND'],
    ['tpl', '$(secret:tpl.__proto__)', 'SECRET_NOT_FOUND'],
    ['basic', '$(secret:basic.fields)', 'SECRET_NOT_FOUND'],
    // a template without a value has only fields
    ['tpl', '$CLIENT_SECRET', 'INVALID_REQUEST'],
    ['plain', '$(secret:tpl)', 'INVALID_REQUEST'],
    // unknown names, destinations the second secret does not allow
    ['plain', '$(secret:nope)', 'SECRET_NOT_FOUND'],
    ['plain', '$(secret:elsewhere)', 'HOST_NOT_ALLOWED'],
  ])('refuses %s with %s: %s', (name, header, code) => {
    expect(codeOf(() => build(name, header))).toBe(code);
  });

  it('does not count a .field placeholder in the data of a GET', () => {
    expect(
      codeOf(() =>
        buildForwardRequest(store, {
          clientSecretName: 'basic',
          url: 'https://api.example.com/v1',
          data: { p: '$(secret:basic.password)' },
        }),
      ),
    ).toBe('PLACEHOLDER_MISSING');
  });
});
