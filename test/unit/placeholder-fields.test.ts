// The client's placeholder pre-flight (shared/policy assertPlaceholderFillable) agrees with what the
// relay substitutes (server/forward/values.ts secretValues + the lookup in prepare.ts).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assertPlaceholderFillable } from '../../shared/policy/index.js';
import type { SecretPayload } from '../../shared/protocol/secret.js';
import type { MintedTokens } from '../../server/forward/minted-tokens.js';
import type { OAuthTokens } from '../../server/forward/oauth.js';
import { secretValues } from '../../server/forward/values.js';

const oauth = { accessToken: () => Promise.resolve('tok') } as unknown as OAuthTokens;
const minted = { accessToken: () => Promise.resolve('tok') } as unknown as MintedTokens;
const base = { name: 's', allowedHosts: ['api.example.com'], allowedOrigins: [], description: '' };
const OAUTH = {
  grant: 'client_credentials',
  tokenUrl: 'https://api.example.com/token',
  clientId: 'id',
  clientSecret: 'cs',
} as const;

const code = async (fn: () => unknown): Promise<string | null> => {
  try {
    await fn();
    return null;
  } catch (err) {
    return (err as { code?: string }).code ?? 'THROWN';
  }
};

/** What the relay answers for one placeholder of this secret (prepare.ts's lookup). */
async function relayAnswer(p: SecretPayload, field: string | undefined): Promise<string | null> {
  return code(async () => {
    const v = await secretValues(
      { name: p.name, vaultId: 'v', itemId: 'i', payload: p, keyHash: 'h' },
      { oauth, minted },
    );
    if (field === undefined) {
      if (v.value === undefined) throw Object.assign(new Error(), { code: 'INVALID_REQUEST' });
    } else if (!Object.hasOwn(v.fields, field)) {
      throw Object.assign(new Error(), { code: 'SECRET_NOT_FOUND' });
    }
  });
}

const PAYLOADS: SecretPayload[] = [
  { ...base, type: 'plain', value: 'x' },
  { ...base, type: 'plain' },
  { ...base, type: 'bearer', value: '' },
  { ...base, type: 'bearer', value: 'x' },
  { ...base, type: 'basic', username: 'u', password: 'p' },
  { ...base, type: 'basic', password: 'p' },
  { ...base, type: 'basic', username: 'u', password: '' },
  { ...base, type: 'template', fields: { key: 'k' } },
  { ...base, type: 'template', value: '', fields: { key: 'k' } },
  { ...base, type: 'template', value: 'v' },
  { ...base, type: 'template', value: 'v', fields: { password: 'k', access_token: 't' } },
  { ...base, type: 'oauth', oauth: OAUTH },
];
const FIELDS = [
  undefined,
  'username',
  'password',
  'access_token',
  'key',
  'value',
  'fields',
  'client_secret',
  'refresh_token',
  'constructor',
  '__proto__',
  'toString',
];

describe('placeholder fields: client pre-flight = relay', () => {
  it.each(PAYLOADS.map((p) => [`${p.type} ${JSON.stringify(p)}`, p] as const))(
    '%s',
    async (_, p) => {
      for (const field of FIELDS) {
        const client = await code(() => assertPlaceholderFillable(p, field));
        expect({ field, code: client }).toEqual({ field, code: await relayAnswer(p, field) });
      }
    },
  );

  it('agrees on random template fields', async () => {
    const name = fc.stringMatching(/^[A-Za-z0-9_.-]{1,12}$/);
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(name, fc.string({ maxLength: 8 }), { maxKeys: 4 }),
        fc.option(fc.string({ maxLength: 4 }), { nil: undefined }),
        fc.option(name, { nil: undefined }),
        async (fields, value, field) => {
          const p: SecretPayload = { ...base, type: 'template', fields };
          if (value !== undefined) p.value = value;
          const asked = field ?? Object.keys(fields)[0];
          for (const f of [field, asked]) {
            const client = await code(() => assertPlaceholderFillable(p, f));
            expect(client).toBe(await relayAnswer(p, f));
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
