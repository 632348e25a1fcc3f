// OAuth access tokens for `oauth` secrets: client_credentials or refresh_token grant against the
// item's tokenUrl (through the guarded client and the item's allowed hosts), cached in memory
// until shortly before expiry (docs/forward.md, "Secret types").
import type { Dispatcher } from 'undici';
import { KeyholeError } from '../../shared/errors.js';
import { checkDestination } from '../../shared/policy/index.js';
import type { SecretPayload } from '../../shared/protocol/secret.js';
import { TokenCache, tokenKey } from './token-cache.js';
import { postToken } from './token-endpoint.js';

type OAuthConfig = NonNullable<SecretPayload['oauth']>;

export interface TokenSource {
  vaultId: string;
  itemId: string;
  keyHash: string;
  payload: SecretPayload;
}

/** A token answer without expires_in is trusted for this long. */
const DEFAULT_LIFETIME_SEC = 300;

/** The cache key: one user's item and these exact settings (a changed secret retires its token). */
function oauthKey(source: TokenSource, cfg: OAuthConfig): string {
  const settings = [
    cfg.grant,
    cfg.tokenUrl,
    cfg.clientId,
    cfg.clientSecret,
    cfg.refreshToken ?? '',
    cfg.scope ?? '',
  ];
  return tokenKey('oauth', source.vaultId, source.itemId, source.keyHash, settings);
}

export class OAuthTokens {
  private readonly tokens: TokenCache;

  constructor(
    private readonly dispatcher: Dispatcher,
    private readonly timeoutMs: number,
    now: () => number = Date.now,
  ) {
    this.tokens = new TokenCache(now);
  }

  /** A valid access token for the secret, from the cache or freshly fetched. */
  async accessToken(source: TokenSource): Promise<string> {
    const cfg = source.payload.oauth;
    if (!cfg) throw new KeyholeError('INVALID_REQUEST', 'The oauth secret has no oauth settings.');
    return this.tokens.get(oauthKey(source, cfg), () =>
      this.fetchToken(cfg, source.payload.allowedHosts),
    );
  }

  /** Forgets `token` if it is still the cached one (the API answered 401 to it). */
  invalidate(source: TokenSource, token: string): void {
    const cfg = source.payload.oauth;
    if (cfg) this.tokens.invalidate(oauthKey(source, cfg), token);
  }

  clear(): void {
    this.tokens.clear();
  }

  private async fetchToken(
    cfg: OAuthConfig,
    allowedHosts: readonly string[],
  ): Promise<{ token: string; lifetimeSec: number }> {
    // The client secret goes to tokenUrl: it must be an allowed host of the item like any other.
    const dest = checkDestination(cfg.tokenUrl, allowedHosts);
    const form = new URLSearchParams();
    form.set('grant_type', cfg.grant);
    if (cfg.grant === 'refresh_token') {
      if (!cfg.refreshToken)
        throw new KeyholeError('INVALID_REQUEST', 'The oauth secret has no refresh token.');
      form.set('refresh_token', cfg.refreshToken);
    }
    if (cfg.scope) form.set('scope', cfg.scope);
    // RFC 6749 §2.3.1: client_secret_basic, form-encoded id and secret.
    const basic = Buffer.from(
      `${encodeURIComponent(cfg.clientId)}:${encodeURIComponent(cfg.clientSecret)}`,
    ).toString('base64');
    const parsed = await postToken(
      this.dispatcher,
      dest,
      {
        authorization: `Basic ${basic}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      form.toString(),
      this.timeoutMs,
      'oauth token endpoint',
    );
    if (typeof parsed.access_token !== 'string' || parsed.access_token === '') {
      throw new KeyholeError('UPSTREAM_ERROR', 'The oauth token endpoint gave no access_token.');
    }
    const expires = Number(parsed.expires_in);
    const lifetimeSec = Number.isFinite(expires) && expires > 0 ? expires : DEFAULT_LIFETIME_SEC;
    return { token: parsed.access_token, lifetimeSec };
  }
}
