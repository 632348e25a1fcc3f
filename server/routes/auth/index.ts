// /v1/auth: prelogin, signup, login, logout (docs/protocol.md, "Auth").
import { Hono } from 'hono';
import { KeyholeError } from '../../../shared/errors.js';
import { LoginRequest, PreloginRequest, SignupRequest } from '../../../shared/protocol/auth.js';
import type {
  LoginResponse,
  PreloginResponse,
  SignupResponse,
} from '../../../shared/protocol/auth.js';
import { clientIp, clientKey } from '../../auth/client-ip.js';
import { fakeKdf } from '../../auth/fake-kdf.js';
import { createAccount, findAccountByEmail, keyBundleOf } from '../../db/accounts-repo.js';
import { createSession, revokeSession } from '../../db/sessions-repo.js';
import type { AppDeps } from '../../deps.js';
import type { AppEnv } from '../../http/app-env.js';
import { readJson } from '../../http/validate.js';
import { requireSession } from '../../middleware/session.js';
import type { Services } from '../../services.js';

export function createAuthRoutes(deps: AppDeps, services: Services): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const { db } = deps.store;

  app.post('/prelogin', async (c) => {
    const { email } = await readJson(c, PreloginRequest);
    const account = await findAccountByEmail(db, email);
    const kdf = account ? keyBundleOf(account).kdf : fakeKdf(await services.serverSecret(), email);
    return c.json({ kdf } satisfies PreloginResponse);
  });

  app.post('/signup', async (c) => {
    const req = await readJson(c, SignupRequest);
    // Throttled per client: an IPv6 client is its /64 (client-ip.ts clientKey).
    await services.throttle.signup(clientKey(clientIp(c, deps.config)));
    // Signup says when an email is taken (409): see docs/protocol.md, "Account enumeration".
    if (await findAccountByEmail(db, req.email)) throw new KeyholeError('ACCOUNT_EXISTS');
    const authHash = await services.hasher.hash(req.authKey);
    await createAccount(db, req, authHash, services.now());
    return c.json({ accountId: req.accountId } satisfies SignupResponse, 201);
  });

  app.post('/login', async (c) => {
    const { email, authKey } = await readJson(c, LoginRequest);
    const ip = clientKey(clientIp(c, deps.config));
    await services.throttle.beforeLogin(email, ip);
    const account = await findAccountByEmail(db, email);
    // Unknown email and wrong key: the same argon2 work, the same answer.
    const ok = await services.hasher.verify(account?.auth_hash, authKey);
    if (!account || !ok) {
      await services.throttle.loginFailed(email, ip);
      throw new KeyholeError('INVALID_CREDENTIALS');
    }
    await services.throttle.loginSucceeded(email);
    const session = await createSession(db, account.id, services.now(), deps.config.sessionTtlMs);
    const body: LoginResponse = {
      token: session.token,
      expiresAt: session.expiresAt,
      accountId: account.id,
      email: account.email,
      keys: keyBundleOf(account),
    };
    c.header('cache-control', 'no-store');
    return c.json(body);
  });

  app.post('/logout', requireSession(deps), async (c) => {
    await revokeSession(db, c.var.sessionTokenHash, services.now());
    return c.json({ ok: true });
  });

  return app;
}
