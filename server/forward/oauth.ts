// OAuth access tokens for `oauth` secrets: client_credentials or refresh_token grant against the
// item's tokenUrl (through the guarded client and the item's allowed hosts), cached in memory
// until shortly before expiry (docs/forward.md, "Secret types").
import type { Dispatcher } from 'undici';
import { KeyholeError } from '../../shared/errors.js';
import { checkDestination } from '../../shared/policy/index.js';
import type { SecretPayload } from '../../shared/protocol/secret.js';
import { TokenCache, tokenKey } from './token-cache.js';
import { toKeyholeError } from './upstream-errors.js';

type OAuthConfig = NonNullable<SecretPayload['oauth']>;

export interface TokenSource {
  vaultId: string;
  itemId: string;
  keyHash: string;
  payload: SecretPayload;
}

const MAX_TOKEN_ANSWER = 64 * 1024;
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
    let res: Dispatcher.ResponseData;
    try {
      res = await this.dispatcher.request({
        origin: dest.url.origin,
        path: `${dest.url.pathname}${dest.url.search}`,
        method: 'POST',
        headers: {
          authorization: `Basic ${basic}`,
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
          'accept-encoding': 'identity',
        },
        body: form.toString(),
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw toKeyholeError(err);
    }
    let text = '';
    try {
      for await (const chunk of res.body) {
        text += (chunk as Buffer).toString('utf8');
        if (text.length > MAX_TOKEN_ANSWER)
          throw new KeyholeError('UPSTREAM_ERROR', 'The token endpoint answer is too large.');
      }
    } catch (err) {
      res.body.destroy();
      throw err instanceof KeyholeError ? err : toKeyholeError(err);
    }
    if (res.statusCode < 200 || res.statusCode > 299) {
      // The answer body is not passed on: a token endpoint may echo what it was sent.
      throw new KeyholeError(
        'UPSTREAM_ERROR',
        `The oauth token endpoint answered ${res.statusCode}.`,
        { status: res.statusCode },
      );
    }
    let parsed: { access_token?: unknown; expires_in?: unknown };
    try {
      parsed = JSON.parse(text) as typeof parsed;
    } catch {
      throw new KeyholeError('UPSTREAM_ERROR', 'The oauth token endpoint did not answer JSON.');
    }
    if (typeof parsed.access_token !== 'string' || parsed.access_token === '') {
      throw new KeyholeError('UPSTREAM_ERROR', 'The oauth token endpoint gave no access_token.');
    }
    const expires = Number(parsed.expires_in);
    const lifetimeSec = Number.isFinite(expires) && expires > 0 ? expires : DEFAULT_LIFETIME_SEC;
    return { token: parsed.access_token, lifetimeSec };
  }
}
