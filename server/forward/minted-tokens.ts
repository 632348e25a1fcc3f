// Access tokens of `jwt` and `github-app` secrets: minted on first use, cached per item and user,
// refreshed before expiry, and dropped when an API answers 401 to them.
import type { Dispatcher } from 'undici';
import { KeyholeError } from '../../shared/errors.js';
import { mintGithubAppToken } from './mint-github-app.js';
import { mintJwtToken } from './mint-jwt.js';
import type { TokenSource } from './oauth.js';
import { TokenCache, tokenKey } from './token-cache.js';

export class MintedTokens {
  private readonly cache: TokenCache;

  constructor(
    private readonly dispatcher: Dispatcher,
    private readonly timeoutMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.cache = new TokenCache(now);
  }

  private key(source: TokenSource): string {
    const p = source.payload;
    const settings = p.type === 'jwt' ? p.jwt : p.githubApp;
    return tokenKey(p.type, source.vaultId, source.itemId, source.keyHash, settings ?? null);
  }

  async accessToken(source: TokenSource): Promise<string> {
    const p = source.payload;
    if (p.type === 'jwt' && p.jwt) {
      const cfg = p.jwt;
      return this.cache.get(this.key(source), () =>
        mintJwtToken(cfg, p.allowedHosts, this.dispatcher, this.timeoutMs, this.now()),
      );
    }
    if (p.type === 'github-app' && p.githubApp) {
      const cfg = p.githubApp;
      return this.cache.get(this.key(source), () =>
        mintGithubAppToken(cfg, p.allowedHosts, this.dispatcher, this.timeoutMs, this.now()),
      );
    }
    throw new KeyholeError('INVALID_REQUEST', 'The secret has no token settings.');
  }

  invalidate(source: TokenSource, token: string): void {
    this.cache.invalidate(this.key(source), token);
  }

  clear(): void {
    this.cache.clear();
  }
}
