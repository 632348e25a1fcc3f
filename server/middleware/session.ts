// requireSession: `Authorization: Bearer <token>` → c.var.accountId and c.var.sessionTokenHash,
// or 401 UNAUTHENTICATED for a missing, malformed, unknown, expired or revoked token.
// POST /v1/forward checks the session itself, in the same statement as the membership and item
// (routes/forward/authenticate.ts), with bearerTokenHash() first.
import type { MiddlewareHandler } from 'hono';
import { KeyholeError } from '../../shared/errors.js';
import { hotStatements, type HotStatements } from '../db/hot-statements.js';
import { hashToken } from '../db/sessions-repo.js';
import type { AppDeps } from '../deps.js';
import type { AppEnv } from '../http/app-env.js';

const TOKEN = /^Bearer ([A-Za-z0-9_-]{43})$/;

export interface SessionInfo {
  accountId: string;
  tokenHash: string;
}

/** The token hash of a well-formed `Bearer` header (not yet looked up), or UNAUTHENTICATED. */
export function bearerTokenHash(header: string | undefined): string {
  const match = TOKEN.exec(header ?? '');
  if (!match?.[1]) throw new KeyholeError('UNAUTHENTICATED');
  return hashToken(match[1]);
}

/** The live session an Authorization header names, or UNAUTHENTICATED. */
export async function authenticate(
  hot: HotStatements,
  header: string | undefined,
  now: number,
): Promise<SessionInfo> {
  const tokenHash = bearerTokenHash(header);
  const session = await hot.findLiveSession(tokenHash, now);
  if (!session) throw new KeyholeError('UNAUTHENTICATED');
  return { accountId: session.account_id, tokenHash };
}

export function requireSession(deps: AppDeps): MiddlewareHandler<AppEnv> {
  const now = deps.now ?? Date.now;
  const hot = hotStatements(deps.store);
  return async (c, next) => {
    // Node's own header (when served by @hono/node-server) avoids building a Web Headers object.
    const header =
      (c.env as Partial<AppEnv['Bindings']> | undefined)?.incoming?.headers.authorization ??
      c.req.header('authorization');
    const session = await authenticate(hot, header, now());
    c.set('accountId', session.accountId);
    c.set('sessionTokenHash', session.tokenHash);
    await next();
  };
}
