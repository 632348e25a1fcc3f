// What each placeholder stands for, per secret type, and every value the scrubber must catch
// (docs/forward.md, "Secret types").
import { KeyholeError } from '../../shared/errors.js';
import type { HmacConfig, Sigv4Config } from '../../shared/protocol/secret-configs.js';
import type { MintedTokens } from './minted-tokens.js';
import type { OAuthTokens, TokenSource } from './oauth.js';
import type { OpenedSecret } from './secrets.js';

export interface SecretValues {
  /** substituted for $CLIENT_SECRET / $(secret:NAME); undefined when the type has none */
  value?: string;
  /** $(secret:NAME.field) */
  fields: Record<string, string>;
  /** every value to scrub from the answer (the scrubber derives their encoded forms) */
  scrub: string[];
  /** sigv4 / hmac: the relay signs the request with these settings instead of substituting */
  signer?: { kind: 'sigv4'; cfg: Sigv4Config } | { kind: 'hmac'; cfg: HmacConfig };
  /** oauth / jwt / github-app: where the token came from (dropped from its cache on a 401) */
  minted?: { source: TokenSource; token: string; cache: 'oauth' | 'minted' };
}

export interface TokenCaches {
  oauth: OAuthTokens;
  minted: MintedTokens;
}

function need(value: string | undefined, what: string): string {
  if (value === undefined || value === '')
    throw new KeyholeError('INVALID_REQUEST', `The secret has no ${what}.`);
  return value;
}

/** Computes the values of one secret (fetching or minting a token for oauth, jwt, github-app). */
export async function secretValues(
  secret: OpenedSecret,
  { oauth, minted }: TokenCaches,
): Promise<SecretValues> {
  const p = secret.payload;
  const scrub: string[] = [];
  const add = (v: string | undefined) => {
    if (v) scrub.push(v);
  };
  const addKey = (pem: string | undefined) => {
    if (!pem) return;
    add(pem);
    for (const line of pem.split(/\r?\n/))
      if (line.length >= 16 && !line.startsWith('-----')) scrub.push(line);
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
      const source = tokenSource(secret);
      const token = await oauth.accessToken(source);
      add(token);
      add(p.oauth?.clientSecret);
      add(p.oauth?.refreshToken);
      return {
        value: token,
        fields: { access_token: token },
        scrub,
        minted: { source, token, cache: 'oauth' },
      };
    }
    case 'jwt':
    case 'github-app': {
      const source = tokenSource(secret);
      const token = await minted.accessToken(source);
      add(token);
      // The key never leaves the relay; scrubbed anyway, with every line of its PEM body.
      addKey(p.jwt?.privateKey ?? p.githubApp?.privateKey);
      return {
        value: token,
        fields: { access_token: token },
        scrub,
        minted: { source, token, cache: 'minted' },
      };
    }
    case 'sigv4': {
      const cfg = p.sigv4;
      if (!cfg) throw new KeyholeError('INVALID_REQUEST', 'The sigv4 secret has no settings.');
      add(cfg.secretAccessKey);
      add(cfg.sessionToken);
      return { fields: {}, scrub, signer: { kind: 'sigv4', cfg } };
    }
    case 'hmac': {
      const cfg = p.hmac;
      if (!cfg) throw new KeyholeError('INVALID_REQUEST', 'The hmac secret has no settings.');
      add(cfg.key);
      if (cfg.keyEncoding !== 'utf8') add(Buffer.from(cfg.key, cfg.keyEncoding).toString('hex'));
      const fields = { ...(cfg.fields ?? {}) };
      for (const v of Object.values(fields)) add(v);
      return { fields, scrub, signer: { kind: 'hmac', cfg } };
    }
    default:
      throw new KeyholeError('INVALID_REQUEST', 'Unknown secret type.');
  }
}

function tokenSource(secret: OpenedSecret): TokenSource {
  return {
    vaultId: secret.vaultId,
    itemId: secret.itemId,
    keyHash: secret.keyHash,
    payload: secret.payload,
  };
}
