// POST /v1/grants/:id/forward (and its CORS preflight), answered on Node's own request and
// response like POST /v1/forward, through the same steps (routes/forward/handler.ts): the same
// body reading, then a grant as the source of authorisation — its token finds the grant and opens
// its sealed policy and item key; the grant's limits are checked here and, on exactly what will be
// sent, in beforeSend — then forwardAuthorized: items, hosts, placement, substitution, the SSRF
// guard, redirects, scrubbing and audit, unchanged. docs/protocol.md "Grants".
import { createHmac } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type pino from 'pino';
import {
  openGrantPolicy,
  parseGrantToken,
  toBase64url,
  unwrapGrantItemKey,
  wipe,
  type GrantToken,
} from '../../../shared/crypto/index.js';
import { KeyholeError } from '../../../shared/errors.js';
import { GrantForwardRequest, type GrantPolicy } from '../../../shared/protocol/grant.js';
import type { ForwardRequest } from '../../../shared/protocol/forward.js';
import { clientIpOfNode, clientKey } from '../../auth/client-ip.js';
import { GrantCounters } from '../../db/grant-counters.js';
import { grantStatements, type GrantRow, type GrantStatements } from '../../db/grant-statements.js';
import type { CachedGrant } from '../../db/relay-cache.js';
import { getOrCreateServerSecret } from '../../db/meta-repo.js';
import type { AppDeps } from '../../deps.js';
import { sendError, toRelayError } from '../../http/on-error.js';
import { parseWith } from '../../http/validate.js';
import type { ForwardCore } from '../forward/core.js';
import { forwardAuthorized } from '../forward/handler.js';
import { readBody } from '../forward/read-body.js';
import { IdTokenVerifier } from './id-token.js';
import { checkExpiry, checkMethod, checkPath, grantInvalid, originAllowed } from './policy.js';

const PATH_RE = /^\/v1\/grants\/([A-Za-z0-9_-]{22})\/forward(?:\?.*)?$/;
const TOKEN_RE = /^Bearer (khg_[A-Za-z0-9_-]{1,200})$/;
const MINUTE = 60_000;
const DAY = 86_400_000;
const PURGE_EVERY_MS = 5 * MINUTE;
/** visitor hashes remembered at once (then forgotten all together) */
const MAX_VISITORS = 10_000;

/** The grant id of a POST or OPTIONS to /v1/grants/:id/forward, else null (Hono's request). */
export function matchGrantForward(req: IncomingMessage): string | null {
  if (req.method !== 'POST' && req.method !== 'OPTIONS') return null;
  const m = PATH_RE.exec(req.url ?? '');
  return m ? m[1]! : null;
}

/** One per relay: the statements, the counters, the ID-token verifier, the visitor-hash key. */
export class GrantForwarding {
  readonly statements: GrantStatements;
  readonly counters: GrantCounters;
  readonly idTokens: IdTokenVerifier;
  /**
   * Policies already opened, per cached grant row. The row is cached by the lookup hash of the
   * token, so only the same token reaches it; a revocation or any change drops the row, and with
   * it this entry. No key is kept: the item key is unwrapped again for every request.
   */
  readonly opened = new WeakMap<CachedGrant, GrantPolicy>();
  private readonly cors = new WeakMap<CachedGrant, string[]>();
  private readonly visitors = new Map<string, string>();
  private secret: Promise<Buffer> | undefined;
  private lastPurge = 0;

  constructor(
    readonly core: ForwardCore,
    readonly deps: AppDeps,
  ) {
    this.statements = grantStatements(deps.store);
    // One relay per SQLite file (relay-lock.ts); several may share PostgreSQL.
    this.counters = new GrantCounters(this.statements.reserve, deps.store.dialect === 'sqlite');
    this.idTokens = new IdTokenVerifier(core.forwarder.agent, deps.config.allowPrivate, core.now);
  }

  /** HMAC of the visitor (IP or ID-token subject) under the relay's server secret: never the IP itself. */
  async visitorHash(value: string): Promise<string> {
    const known = this.visitors.get(value);
    if (known !== undefined) return known;
    this.secret ??= getOrCreateServerSecret(this.deps.store.db).catch((err: unknown) => {
      this.secret = undefined;
      throw err;
    });
    const key = await this.secret;
    const hash = createHmac('sha256', key)
      .update(`keyhole/v1/grant-visitor\u0000${value}`)
      .digest()
      .toString('base64url', 0, 16);
    // Recent visitors' hashes, in memory only (never stored or logged): a bounded memo.
    if (this.visitors.size >= MAX_VISITORS) this.visitors.clear();
    this.visitors.set(value, hash);
    return hash;
  }

  /** The row's clear copy of the origins, parsed once per cached row. */
  corsOf(row: CachedGrant): string[] {
    let list = this.cors.get(row);
    if (list === undefined) {
      list = originsOf(row.cors_origins);
      this.cors.set(row, list);
    }
    return list;
  }

  /** Shutdown, once no request is in flight: unused counter reservations go back to the store. */
  async close(): Promise<void> {
    await this.counters.release(
      (key, unused) =>
        this.statements.release(key, unused).catch((err: unknown) => {
          this.deps.logger.warn({ err }, 'grant counter release failed (counted as used)');
        }),
      this.core.now(),
    );
  }

  /** Old counter windows go, at most every 5 minutes, off the request path. */
  maybePurge(now: number): void {
    if (now - this.lastPurge < PURGE_EVERY_MS) return;
    this.lastPurge = now;
    this.counters.purge(now);
    this.statements.purge(now).catch((err: unknown) => {
      this.deps.logger.warn({ err }, 'grant counter purge failed');
    });
  }
}

export function handleGrantForward(
  gf: GrantForwarding,
  logger: pino.Logger,
  grantId: string,
  req: IncomingMessage,
  res: ServerResponse,
): void {
  const path = `/v1/grants/${grantId}/forward`;
  const start = performance.now();
  const run =
    req.method === 'OPTIONS' ? preflight(gf, grantId, req, res) : serve(gf, grantId, req, res);
  void run
    .catch((err: unknown) => {
      sendError(
        req,
        res,
        toRelayError(err, logger, path),
        gf.core.forwarder.config.maxRequestBytes,
      );
    })
    .finally(() => {
      if (logger.isLevelEnabled('info')) {
        const ms = Math.round((performance.now() - start) * 10) / 10;
        logger.info({ method: req.method, path, status: res.statusCode, ms }, 'request');
      }
    });
}

function allowOrigin(res: ServerResponse, origin: string): void {
  res.setHeader('access-control-allow-origin', origin);
  res.setHeader('vary', 'origin');
  res.setHeader('access-control-expose-headers', '*');
}

function originsOf(json: string): string[] {
  try {
    const list = JSON.parse(json) as unknown;
    return Array.isArray(list) ? list.filter((o): o is string => typeof o === 'string') : [];
  } catch {
    return [];
  }
}

/**
 * A preflight carries no token, so it is answered from the row's plain copy of the origins. That
 * copy only decides whether a browser may *send*; what is sent is judged against the sealed
 * policy, and only the sealed policy's origins can read an answer.
 */
async function preflight(
  gf: GrantForwarding,
  grantId: string,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const origin = req.headers.origin;
  const row = await gf.statements.corsOrigins(grantId);
  if (!row) throw grantInvalid();
  if (origin === undefined || !originsOf(row.cors_origins).includes(origin)) {
    throw new KeyholeError('ORIGIN_NOT_ALLOWED');
  }
  allowOrigin(res, origin);
  res.writeHead(204, {
    'access-control-allow-methods': 'POST',
    'access-control-allow-headers': 'authorization, content-type',
    'access-control-max-age': '600',
  });
  res.end();
}

function parseToken(header: string | undefined, grantId: string): GrantToken {
  const m = TOKEN_RE.exec(header ?? '');
  if (!m) throw grantInvalid();
  let token: GrantToken;
  try {
    token = parseGrantToken(m[1]!);
  } catch {
    throw grantInvalid();
  }
  if (token.grantId !== grantId) throw grantInvalid();
  return token;
}

/** The sealed policy, opened and checked against the row it came in (no moved or widened policy). */
function openPolicy(gf: GrantForwarding, token: GrantToken, row: CachedGrant): GrantPolicy {
  let policy: GrantPolicy;
  try {
    policy = openGrantPolicy(token.grantKey, token.grantId, row.policy);
  } catch {
    throw grantInvalid();
  }
  if (
    policy.grantId !== row.id ||
    policy.vaultId !== row.vault_id ||
    policy.itemId !== row.item_id
  ) {
    throw grantInvalid();
  }
  gf.opened.set(row, policy);
  return policy;
}

async function serve(
  gf: GrantForwarding,
  grantId: string,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const core = gf.core;
  const forwarder = core.forwarder;
  const max = forwarder.config.maxRequestBytes;
  const t0 = performance.now();
  const loading = core.ensureCrypto();
  if (loading) await loading;
  const token = parseToken(req.headers.authorization, grantId);
  const text = await readBody(req, max);
  const now = core.now();
  gf.maybePurge(now);

  const found: GrantRow | undefined = await gf.statements.findByLookup(token.lookup);
  if (!found) throw grantInvalid();
  const row = found.grant;
  const origin = req.headers.origin;
  const known = gf.opened.get(row);
  // Answers about a known grant are readable by its origins — the sealed policy's once this
  // token opened it, else the row's copy: a page learns GRANT_INVALID rather than a bare
  // network error. The headers are set once per request (they were a visible part of its cost).
  const readable =
    origin !== undefined &&
    (known !== undefined ? originAllowed(known, origin) : gf.corsOf(row).includes(origin));
  if (readable) allowOrigin(res, origin);
  if (row.revoked || found.member_id === null) throw grantInvalid();
  if (found.data === null || found.data === '' || found.deleted === 1) throw grantInvalid();
  const policy = known ?? openPolicy(gf, token, row);
  if (known === undefined && origin !== undefined) {
    // Only the sealed policy's origins read what follows.
    const allowed = originAllowed(policy, origin);
    if (readable && !allowed) res.removeHeader('access-control-allow-origin');
    else if (!readable && allowed) allowOrigin(res, origin);
  }
  checkExpiry(policy, now);

  // An IPv6 visitor is its /64 (client-ip.ts clientKey): its other addresses are no new visitor.
  let visitor = await gf.visitorHash(`ip:${clientKey(clientIpOfNode(req, gf.deps.config))}`);
  const refuse = (err: KeyholeError): never => {
    forwarder.audit.record({
      vaultId: row.vault_id,
      accountId: row.account_id,
      secretName: policy.secretName,
      origin: origin?.slice(0, 300) ?? null,
      host: '',
      method: 'POST',
      status: null,
      errorCode: err.code,
      durationMs: performance.now() - t0,
      createdAt: now,
      grantId,
      visitor,
    });
    throw err;
  };
  if (!originAllowed(policy, origin)) {
    refuse(
      new KeyholeError(
        'ORIGIN_NOT_ALLOWED',
        "This site's origin is not one of the grant's: its owner can make a grant for it (keyhole grant create --origin).",
      ),
    );
  }
  if (Buffer.byteLength(text) > policy.maxBodyBytes) {
    refuse(new KeyholeError('PAYLOAD_TOO_LARGE', 'The request is larger than this grant allows.'));
  }
  let body: GrantForwardRequest;
  try {
    body = parseWith(GrantForwardRequest, JSON.parse(text), 'body');
  } catch (err) {
    return refuse(
      err instanceof KeyholeError
        ? err
        : new KeyholeError('INVALID_REQUEST', 'The request body is not valid JSON.'),
    );
  }
  if (policy.locked) {
    try {
      visitor = await gf.visitorHash(
        `sub:${await gf.idTokens.verify(policy.locked, body.idToken)}`,
      );
    } catch (err) {
      refuse(err instanceof KeyholeError ? err : new KeyholeError('LOGIN_REQUIRED'));
    }
  }
  const template = body.request;
  try {
    checkMethod(policy, template.method);
  } catch (err) {
    refuse(err as KeyholeError);
  }
  const minute = Math.floor(now / MINUTE);
  const day = Math.floor(now / DAY);
  const rate = policy.ratePerMinute;
  if (rate !== null) {
    // Before the request is built: building may reach a token endpoint (oauth, jwt, github-app),
    // and a visitor over its rate reaches nothing — nor does one whose request cannot be built.
    const key = `r:${grantId}:${visitor}:${minute}`;
    const taken = gf.counters.take('rate', key, rate, (minute + 2) * MINUTE, now);
    if (!(taken === true || (taken !== false && (await taken)))) {
      refuse(
        new KeyholeError('RATE_LIMITED', 'Too many requests from this visitor.', {
          retryAfter: ((minute + 1) * MINUTE - now) / 1000,
        }),
      );
    }
  }

  let itemKey: Uint8Array;
  try {
    itemKey = unwrapGrantItemKey(token.grantKey, grantId, row.item_id, row.wrapped_item_key);
  } catch {
    return refuse(grantInvalid());
  } finally {
    wipe(token.grantKey);
  }
  const req2: ForwardRequest = {
    request: template,
    secrets: [
      {
        name: body.name ?? policy.secretName,
        vaultId: row.vault_id,
        itemId: row.item_id,
        itemKey: toBase64url(itemKey),
      },
    ],
  };
  wipe(itemKey);
  if (origin !== undefined) req2.origin = origin.slice(0, 300);

  const quota = policy.quotaPerDay;
  try {
    await forwardAuthorized(
      core,
      {
        accountId: row.account_id,
        req: req2,
        firstRow: { account_id: row.account_id, data: found.data, deleted: found.deleted },
      },
      res,
      t0,
      {
        audit: { grantId, visitor },
        async beforeSend(prepared) {
          // On exactly what will be sent: the substituted destination and method.
          checkMethod(policy, prepared.outgoing.method);
          checkPath(policy, prepared.outgoing.dest);
          // Counted only for what is sent, once the rate let the request through: one visitor
          // over its rate cannot use up everyone's quota.
          if (quota !== null) {
            const key = `q:${grantId}:${day}`;
            const taken = gf.counters.take('quota', key, quota, (day + 2) * DAY, now);
            if (!(taken === true || (taken !== false && (await taken)))) {
              throw new KeyholeError('RATE_LIMITED', "This grant's daily quota is used up.", {
                retryAfter: ((day + 1) * DAY - now) / 1000,
              });
            }
          }
        },
      },
    );
  } catch (err) {
    // The item changed since the grant was made (an update gives it a fresh item key).
    if (err instanceof KeyholeError && err.code === 'DECRYPTION_FAILED') throw grantInvalid();
    throw err;
  }
}
