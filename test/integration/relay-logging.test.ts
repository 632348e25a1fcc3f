// What the relay logs: one line per request, and never a token, key or ciphertext
// (docs/security-tests.md §3).
import { describe, expect, it } from 'vitest';
import { spawnRelay } from '../support/relay-process.js';
import { fakeAccount } from '../support/account.js';
import { call } from '../support/http.js';
import { newId, write } from '../support/relay-fixtures.js';

describe('relay logging', () => {
  it('logs each request without tokens, keys or envelopes', async () => {
    const relay = await spawnRelay();
    const account = fakeAccount();
    const secrets: string[] = [account.authKey];
    const keys = account.signup.keys as { wrappedAccountKey: string; wrappedPrivateKey: string };
    secrets.push(
      keys.wrappedAccountKey,
      keys.wrappedPrivateKey,
      (account.signup.personalVault as { wrappedKey: string }).wrappedKey,
    );
    let token = '';
    try {
      expect(
        (await call(relay.url, 'POST', '/v1/auth/signup', { body: account.signup })).status,
      ).toBe(201);
      const login = await call(relay.url, 'POST', '/v1/auth/login', {
        body: { email: account.email, authKey: account.authKey },
      });
      token = login.json.token as string;
      secrets.push(token);
      const w = write(newId(), 0);
      secrets.push(w.data, w.wrappedKey);
      expect(
        (
          await call(relay.url, 'POST', `/v1/vaults/${account.vaultId}/items`, {
            token,
            body: { writes: [w] },
          })
        ).status,
      ).toBe(200);
      const stale = write(w.id, 0);
      secrets.push(stale.data, stale.wrappedKey);
      expect(
        (
          await call(relay.url, 'POST', `/v1/vaults/${account.vaultId}/items`, {
            token,
            body: { writes: [stale] },
          })
        ).status,
      ).toBe(409);
      await call(relay.url, 'POST', '/v1/auth/login', {
        body: { email: account.email, authKey: 'x'.repeat(43) },
      });
      await call(relay.url, 'GET', `/v1/vaults/${account.vaultId}/items?since=0`, { token });
      await call(relay.url, 'POST', '/v1/auth/logout', { token });
    } finally {
      await relay.stop();
    }
    // SIGTERM: a clean shutdown
    expect(await relay.exited).toBe(0);
    const out = relay.output();
    expect(out).toContain('shutting down');
    for (const s of secrets) expect(out.includes(s), 'a secret value reached the log').toBe(false);
    const lines = out
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const requests = lines.filter((l) => l.msg === 'request');
    expect(requests.length).toBe(7);
    expect(requests[0]).toMatchObject({ method: 'POST', path: '/v1/auth/signup', status: 201 });
    expect(typeof requests[0]?.ms).toBe('number');
    expect(requests.some((l) => String(l.path).includes('?'))).toBe(false);
  });
});
