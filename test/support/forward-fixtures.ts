// Shared pieces for the forward-*.test.ts suites: a real relay process allowed to reach the mock
// APIs, an account, and real encrypted secrets pushed through the vault API.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  encryptItem,
  initCrypto,
  newId,
  randomBytes,
  toBase64url,
} from '../../shared/crypto/index.js';
import type { ForwardRequest, SecretRef } from '../../shared/protocol/forward.js';
import type { SecretPayload } from '../../shared/protocol/secret.js';
import { startMockApi, type MockApi } from './mock-api.js';
import { spawnRelay, type RelayProcess } from './relay-process.js';
import { signedIn } from './account.js';
import { call, type Reply } from './http.js';

export interface ForwardWorld {
  relay: RelayProcess;
  /** the allowed API (127.0.0.2) */
  api: MockApi;
  /** "another host" (127.0.0.3): a secret must never arrive here */
  other: MockApi;
  token: string;
  accountId: string;
  vaultId: string;
  dir: string;
  /** the SQLite file, or the postgres:// URL */
  dbPath: string;
  /** the environment the relay runs with (to start a second relay on the same database) */
  relayEnv: Record<string, string>;
  addSecret(
    payload: Omit<SecretPayload, 'allowedOrigins' | 'description'> & Partial<SecretPayload>,
    asAccount?: Account,
  ): Promise<SecretRef>;
  forward(body: unknown, token?: string): Promise<Reply>;
  stop(): Promise<void>;
}

export interface Account {
  token: string;
  accountId: string;
  vaultId: string;
}

export async function newAccountOn(relayUrl: string): Promise<Account> {
  const a = await signedIn(relayUrl);
  return { token: a.token, accountId: a.accountId, vaultId: a.vaultId };
}

/** `extraAllowPrivate`: further host:port pairs the relay may reach besides the two mock APIs. */
export async function startForwardWorld(
  env: Record<string, string> = {},
  extraAllowPrivate: string[] = [],
  db?: string,
): Promise<ForwardWorld> {
  await initCrypto();
  const api = await startMockApi('127.0.0.2');
  const other = await startMockApi('127.0.0.3');
  const dir = mkdtempSync(join(tmpdir(), 'keyhole-forward-'));
  const dbPath = db ?? join(dir, 'keyhole.db');
  const relayEnv = {
    KEYHOLE_ALLOW_PRIVATE: [api.hostPort, other.hostPort, ...extraAllowPrivate].join(','),
    KEYHOLE_LOG_LEVEL: 'debug',
    ...env,
  };
  const relay = await spawnRelay({ db: dbPath, env: relayEnv });
  const me = await newAccountOn(relay.url);
  const addSecret: ForwardWorld['addSecret'] = async (payload, asAccount = me) => {
    const itemId = newId();
    const full: SecretPayload = {
      allowedOrigins: [],
      description: '',
      ...payload,
    } as SecretPayload;
    const enc = encryptItem(randomBytes(32), asAccount.vaultId, itemId, full);
    const pushed = await call(relay.url, 'POST', `/v1/vaults/${asAccount.vaultId}/items`, {
      token: asAccount.token,
      body: {
        writes: [
          {
            id: itemId,
            baseRevision: 0,
            deleted: false,
            wrappedKey: enc.wrappedKey,
            data: enc.data,
            keyGeneration: 0,
          },
        ],
      },
    });
    if (pushed.status !== 200) throw new Error(`push failed: ${pushed.status} ${pushed.text}`);
    return {
      name: payload.name,
      vaultId: asAccount.vaultId,
      itemId,
      itemKey: toBase64url(enc.itemKey),
    };
  };
  return {
    relay,
    api,
    other,
    ...me,
    dir,
    dbPath,
    relayEnv,
    addSecret,
    forward: (body, token = me.token) => postForward(relay.url, body, token),
    async stop() {
      await relay.stop();
      await api.close();
      await other.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** POST /v1/forward (redirects are never followed: the relay returns 3xx as they are). */
export function postForward(base: string, body: unknown, token: string): Promise<Reply> {
  return call(base, 'POST', '/v1/forward', { token, body });
}

export function fwd(
  request: ForwardRequest['request'] | Record<string, unknown>,
  secrets: SecretRef[],
  extra: Partial<ForwardRequest> = {},
): Record<string, unknown> {
  return { request, secrets, ...extra };
}
