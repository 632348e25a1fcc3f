// `jwt` secrets: an RFC 7523 JWT-bearer assertion signed with the item's private key (jose),
// exchanged at the item's tokenUrl for an access token (Google service accounts and the like).
import { SignJWT } from 'jose';
import type { Dispatcher } from 'undici';
import { KeyholeError } from '../../shared/errors.js';
import type { JwtConfig } from '../../shared/protocol/secret-configs.js';
import { openPrivateKey } from './private-key.js';
import type { Minted } from './token-cache.js';
import { postToken, tokenDestination } from './token-endpoint.js';

/** Lifetime of the assertion (Google accepts at most one hour). */
const ASSERTION_LIFETIME_SEC = 3600;
/** A token answer without expires_in is trusted for this long. */
const DEFAULT_LIFETIME_SEC = 300;
export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

/** The signed assertion (RFC 7523 §3: iss, sub, aud, exp, iat; `scope` as Google wants it). */
export async function jwtAssertion(cfg: JwtConfig, nowMs: number): Promise<string> {
  const key = openPrivateKey(cfg.privateKey, cfg.algorithm);
  const iat = Math.floor(nowMs / 1000);
  const claims: Record<string, string> = {};
  if (cfg.scope !== undefined) claims.scope = cfg.scope;
  const jwt = new SignJWT(claims)
    .setProtectedHeader({
      alg: cfg.algorithm,
      typ: 'JWT',
      ...(cfg.keyId !== undefined ? { kid: cfg.keyId } : {}),
    })
    .setIssuer(cfg.issuer)
    .setAudience(cfg.audience)
    .setIssuedAt(iat)
    .setExpirationTime(iat + ASSERTION_LIFETIME_SEC);
  if (cfg.subject !== undefined) jwt.setSubject(cfg.subject);
  return jwt.sign(key);
}

export async function mintJwtToken(
  cfg: JwtConfig,
  allowedHosts: readonly string[],
  dispatcher: Dispatcher,
  timeoutMs: number,
  nowMs: number,
): Promise<Minted> {
  const dest = tokenDestination(cfg.tokenUrl, allowedHosts);
  const form = new URLSearchParams();
  form.set('grant_type', JWT_BEARER_GRANT);
  form.set('assertion', await jwtAssertion(cfg, nowMs));
  const answer = await postToken(
    dispatcher,
    dest,
    { 'content-type': 'application/x-www-form-urlencoded' },
    form.toString(),
    timeoutMs,
    'jwt token endpoint',
  );
  const token = answer.access_token;
  if (typeof token !== 'string' || token === '')
    throw new KeyholeError('UPSTREAM_ERROR', 'The jwt token endpoint gave no access_token.');
  const expires = Number(answer.expires_in);
  return {
    token,
    lifetimeSec: Number.isFinite(expires) && expires > 0 ? expires : DEFAULT_LIFETIME_SEC,
  };
}
