// Locked grants: the visitor's ID token verified with `jose` against the site's JWKS, which is
// fetched through the relay's SSRF-guarded outbound client, cached, and fetched again (at most
// every 5 s) when a token names a key it does not have — so a rotated key is picked up.
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import type { Dispatcher } from 'undici';
import { KeyholeError } from '../../../shared/errors.js';
import type { LockedGrant } from '../../../shared/protocol/grant.js';

/** Asymmetric algorithms only: `none` and HS* (an HMAC keyed with the public key) never verify. */
const ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
];
const TTL_MS = 10 * 60_000;
const REFETCH_COOLDOWN_MS = 5_000;
const MAX_JWKS_BYTES = 256 * 1024;
const TIMEOUT_MS = 5_000;

interface CachedSet {
  fetchedAt: number;
  keys: ReturnType<typeof createLocalJWKSet>;
}

export function loginRequired(message?: string): KeyholeError {
  return new KeyholeError('LOGIN_REQUIRED', message);
}

export class IdTokenVerifier {
  private readonly sets = new Map<string, CachedSet>();
  private readonly loading = new Map<string, Promise<CachedSet>>();

  constructor(
    private readonly agent: Dispatcher,
    /** host:port pairs that may be reached over plain http (KEYHOLE_ALLOW_PRIVATE) */
    private readonly allowPrivate: readonly string[],
    private readonly now: () => number,
  ) {}

  /** The verified subject (`iss` + `sub`), or LOGIN_REQUIRED. */
  async verify(locked: LockedGrant, token: string | undefined): Promise<string> {
    if (typeof token !== 'string' || token.length === 0) throw loginRequired();
    let set = await this.get(locked.jwksUrl, false);
    try {
      return await this.check(set, locked, token);
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code !== 'ERR_JWKS_NO_MATCHING_KEY') throw toLogin(err);
      if (this.now() - set.fetchedAt < REFETCH_COOLDOWN_MS) throw loginRequired();
    }
    set = await this.get(locked.jwksUrl, true);
    try {
      return await this.check(set, locked, token);
    } catch (err) {
      throw toLogin(err);
    }
  }

  private async check(set: CachedSet, locked: LockedGrant, token: string): Promise<string> {
    const { payload } = await jwtVerify(token, set.keys, {
      issuer: locked.issuer,
      audience: locked.audience,
      algorithms: ALGORITHMS,
      requiredClaims: ['exp', 'sub'],
      clockTolerance: 30,
      currentDate: new Date(this.now()),
    });
    return `${payload.iss ?? ''}\u0000${payload.sub ?? ''}`;
  }

  private async get(url: string, fresh: boolean): Promise<CachedSet> {
    const cached = this.sets.get(url);
    if (cached && !fresh && this.now() - cached.fetchedAt < TTL_MS) return cached;
    let p = this.loading.get(url);
    if (!p) {
      p = this.fetchSet(url).finally(() => this.loading.delete(url));
      this.loading.set(url, p);
    }
    try {
      const set = await p;
      this.sets.set(url, set);
      return set;
    } catch (err) {
      // The identity provider is down: an older key set still verifies unexpired tokens.
      if (cached) return cached;
      throw err;
    }
  }

  private async fetchSet(raw: string): Promise<CachedSet> {
    const url = new URL(raw);
    const hostPort = `${url.hostname}:${url.port || (url.protocol === 'https:' ? 443 : 80)}`;
    if (
      url.protocol !== 'https:' &&
      !(url.protocol === 'http:' && this.allowPrivate.includes(hostPort))
    ) {
      throw new KeyholeError('HOST_NOT_ALLOWED', 'The JWKS url must be https.');
    }
    let body: string;
    try {
      const res = await this.agent.request({
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method: 'GET',
        headers: { accept: 'application/json' },
        headersTimeout: TIMEOUT_MS,
        bodyTimeout: TIMEOUT_MS,
      });
      if (res.statusCode !== 200) {
        await res.body.dump();
        throw new KeyholeError('UPSTREAM_ERROR', 'The identity provider did not serve its keys.');
      }
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of res.body) {
        size += (chunk as Buffer).length;
        if (size > MAX_JWKS_BYTES) throw new KeyholeError('PAYLOAD_TOO_LARGE');
        chunks.push(chunk as Buffer);
      }
      body = Buffer.concat(chunks).toString('utf8');
    } catch (err) {
      if (err instanceof KeyholeError) throw err;
      throw new KeyholeError('UPSTREAM_UNREACHABLE', 'The identity provider cannot be reached.');
    }
    let jwks: JSONWebKeySet;
    try {
      jwks = JSON.parse(body) as JSONWebKeySet;
      if (!Array.isArray(jwks.keys)) throw new Error('no keys');
    } catch {
      throw new KeyholeError('UPSTREAM_ERROR', 'The identity provider served no key set.');
    }
    return { fetchedAt: this.now(), keys: createLocalJWKSet(jwks) };
  }
}

function toLogin(err: unknown): KeyholeError {
  if (err instanceof KeyholeError) return err;
  return loginRequired();
}
