// /v1/accounts: the signed-in account's public facts.
import { Hono } from 'hono';
import { KeyholeError } from '../../../shared/errors.js';
import { SetSignKeyRequest } from '../../../shared/protocol/auth.js';
import { findAccountById, setSignKey } from '../../db/accounts-repo.js';
import { readJson } from '../../http/validate.js';
import type { AppDeps } from '../../deps.js';
import type { AppEnv } from '../../http/app-env.js';
import { requireSession } from '../../middleware/session.js';

export function createAccountRoutes(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get('/me', requireSession(deps), async (c) => {
    const account = await findAccountById(deps.store.db, c.var.accountId);
    if (!account) throw new KeyholeError('UNAUTHENTICATED');
    return c.json({ accountId: account.id, email: account.email, publicKey: account.public_key });
  });
  app.post('/sign-key', requireSession(deps), async (c) => {
    const req = await readJson(c, SetSignKeyRequest);
    await setSignKey(deps.store.db, c.var.accountId, req.signPublicKey, req.wrappedSignKey);
    return c.json({ ok: true });
  });
  return app;
}
