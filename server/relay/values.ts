// What each placeholder stands for, per secret type, and every value the scrubber must catch
// (docs/forward.md, "Secret types").
import { KeyholeError } from '../../shared/errors.js';
import type { OAuthTokens } from './oauth.js';
import type { OpenedSecret } from './secrets.js';

export interface SecretValues {
  /** substituted for $CLIENT_SECRET / $(secret:NAME); undefined when the type has none */
  value?: string;
  /** $(secret:NAME.field) */
  fields: Record<string, string>;
  /** every value to scrub from the answer (the scrubber derives their encoded forms) */
  scrub: string[];
}

function need(value: string | undefined, what: string): string {
  if (value === undefined || value === '')
    throw new KeyholeError('INVALID_REQUEST', `The secret has no ${what}.`);
  return value;
}

/** Computes the values of one secret (fetching an oauth token when the type is oauth). */
export async function secretValues(
  secret: OpenedSecret,
  oauth: OAuthTokens,
): Promise<SecretValues> {
  const p = secret.payload;
  const scrub: string[] = [];
  const add = (v: string | undefined) => {
    if (v) scrub.push(v);
  };
  switch (p.type) {
    case 'plain':
    case 'bearer': {
      const value = need(p.value, 'value');
      add(value);
      return { value, fields: {}, scrub };
    }
    case 'basic': {
      const username = p.username ?? '';
      const password = need(p.password, 'password');
      const pair = `${username}:${password}`;
      const value = Buffer.from(pair, 'utf8').toString('base64');
      add(value);
      add(pair);
      add(password);
      return { value, fields: { username, password }, scrub };
    }
    case 'template': {
      const fields = { ...(p.fields ?? {}) };
      for (const v of Object.values(fields)) add(v);
      add(p.value);
      const out: SecretValues = { fields, scrub };
      if (p.value) out.value = p.value;
      return out;
    }
    case 'oauth': {
      const token = await oauth.accessToken({
        vaultId: secret.vaultId,
        itemId: secret.itemId,
        keyHash: secret.keyHash,
        payload: p,
      });
      add(token);
      add(p.oauth?.clientSecret);
      add(p.oauth?.refreshToken);
      return { value: token, fields: { access_token: token }, scrub };
    }
    default:
      throw new KeyholeError('INVALID_REQUEST', 'Unknown secret type.');
  }
}
