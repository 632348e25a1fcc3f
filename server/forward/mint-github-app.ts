// `github-app` secrets: an app JWT (RS256, iss = app id, iat 60 s back for clock drift, exp within
// GitHub's 10 minutes) exchanged for an installation access token
// (POST {baseUrl}/app/installations/{id}/access_tokens).
import { SignJWT } from 'jose';
import type { Dispatcher } from 'undici';
import { KeyholeError } from '../../shared/errors.js';
import type { GithubAppConfig } from '../../shared/protocol/secret-configs.js';
import { openPrivateKey } from './private-key.js';
import type { Minted } from './token-cache.js';
import { postToken, tokenDestination } from './token-endpoint.js';

/** Installation tokens live one hour; used when the answer's expires_at is unreadable. */
const DEFAULT_LIFETIME_SEC = 3600;

export async function githubAppJwt(cfg: GithubAppConfig, nowMs: number): Promise<string> {
  const key = openPrivateKey(cfg.privateKey, 'RS256');
  const now = Math.floor(nowMs / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
    .setIssuer(cfg.appId)
    .setIssuedAt(now - 60)
    .setExpirationTime(now + 540)
    .sign(key);
}

export function installationTokenUrl(cfg: GithubAppConfig): string {
  return `${cfg.baseUrl.replace(/\/+$/, '')}/app/installations/${cfg.installationId}/access_tokens`;
}

export async function mintGithubAppToken(
  cfg: GithubAppConfig,
  allowedHosts: readonly string[],
  dispatcher: Dispatcher,
  timeoutMs: number,
  nowMs: number,
): Promise<Minted> {
  const dest = tokenDestination(installationTokenUrl(cfg), allowedHosts);
  const answer = await postToken(
    dispatcher,
    dest,
    {
      authorization: `Bearer ${await githubAppJwt(cfg, nowMs)}`,
      accept: 'application/vnd.github+json',
      'x-github-api-version': '2022-11-28',
      'user-agent': 'keyhole-relay',
    },
    '',
    timeoutMs,
    'GitHub installation token endpoint',
  );
  const token = answer.token;
  if (typeof token !== 'string' || token === '')
    throw new KeyholeError('UPSTREAM_ERROR', 'GitHub gave no installation token.');
  const expiresAt = Date.parse(String(answer.expires_at));
  const lifetimeSec = Number.isFinite(expiresAt)
    ? Math.floor((expiresAt - nowMs) / 1000)
    : DEFAULT_LIFETIME_SEC;
  return { token, lifetimeSec: lifetimeSec > 0 ? lifetimeSec : DEFAULT_LIFETIME_SEC };
}
