// Invariant 3 on SQLite and PostgreSQL: after a full flow through the client SDK (signup, login,
// secrets of every type, forwards incl. polled and failing ones, a team share, an update, logout)
// the relay's stdout/stderr and EVERY byte of its database (SQLite main + -wal + -shm, while it runs
// and after it stops; a pg_dump of the test schema) contain no secret value (raw, base64,
// base64url, URL-encoded, JSON-escaped), no item key, vault/account/private key, master key,
// password, auth key or session token. Positive controls prove each scan reads real data.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  RelayClient,
  VaultStore,
  addSecret,
  buildForwardRequest,
  login,
  pullAll,
  signup,
  updateSecret,
  type Session,
} from '../../shared/client/index.js';
import { createTeam, inviteMember, lookupPublicKey } from '../../shared/client/team.js';
import {
  deriveLoginKeys,
  deriveMasterKey,
  initCrypto,
  randomBytes,
  toBase64url,
} from '../../shared/crypto/index.js';
import { KeyholeError } from '../../shared/errors.js';
import type { ForwardRequest } from '../../shared/protocol/forward.js';
import type { SecretPayload } from '../../shared/protocol/secret.js';
import { startMockApi, type MockApi } from '../support/mock-api.js';
import { freshPostgresUrl, isPostgresAvailable, TEST_PG_URL } from '../support/postgres.js';
import { FAST_KDF } from '../support/fast-kdf.js';
import { spawnRelay, type RelayProcess } from '../support/relay-process.js';
import {
  findNeedles,
  keyForms,
  sleep,
  textForms,
  settledTicket,
  type Needle,
} from './invariant-world.js';

const PASSWORD = 'Inv3 master password – ünïcødé 7731';
const PASSWORD_B = 'Inv3 second member password 5519';

const V = {
  plain: 'inv3-plain-value-4c2a9e71b0',
  bearer: 'inv3-bearer/value+with=chars 88',
  basicPw: 'inv3-basic-pässword-3f81',
  tplField: 'inv3-template-field-d07a55',
  tplValue: 'inv3-template-value-61bb2c',
  oauthCs: 'inv3-oauth-client-secret-7e19',
  oauthRt: 'inv3-oauth-refresh-token-2a6f',
  team: 'inv3-team-secret-value-90cd1e',
  updated: 'inv3-plain-updated-value-55f0aa',
  crlf: 'inv3-crlf\r\nX-Evil: 1',
};

/** POST /v1/forward through the SDK; a relay error comes back as its code (the SDK throws it). */
async function send(
  relay: RelayClient,
  req: ForwardRequest,
): Promise<{ status: number; text: string; code?: string }> {
  try {
    const res = await relay.forward(req);
    return { status: res.status, text: await res.text() };
  } catch (err) {
    if (err instanceof KeyholeError) return { status: 0, text: '', code: err.code };
    throw err;
  }
}

interface Flow {
  needles: Needle[];
  /** what MUST be found (proves the scans read the data they claim to read) */
  controls: { label: string; bytes: Buffer; where: 'db' | 'log' }[];
}

async function runFlow(relay: RelayProcess, api: MockApi): Promise<Flow> {
  await initCrypto();
  const needles: Needle[] = [];
  const controls: Flow['controls'] = [];
  const host = `http://${api.hostPort}`;
  const suffix = toBase64url(randomBytes(4)).toLowerCase();

  // Signup (A and B), then a real login of A with the password (prelogin → argon2id → login).
  const a0 = await signup(relay.url, `inv3-a-${suffix}@example.test`, PASSWORD, { kdf: FAST_KDF });
  const b0 = await signup(relay.url, `inv3-b-${suffix}@example.test`, PASSWORD_B, {
    kdf: FAST_KDF,
  });
  const a = await login(relay.url, a0.email, PASSWORD);
  const sessions: Session[] = [a0, b0, a];
  for (const [label, pw, s] of [
    ['password A', PASSWORD, a0],
    ['password B', PASSWORD_B, b0],
  ] as const) {
    needles.push(...textForms(label, pw));
    const { authKey, wrappingKey } = deriveLoginKeys(pw, s.keys.kdf);
    needles.push(...keyForms(`${label}: auth key`, authKey));
    needles.push(...keyForms(`${label}: wrapping key`, wrappingKey));
    needles.push(...keyForms(`${label}: master key`, deriveMasterKey(pw, s.keys.kdf)));
    needles.push(...keyForms(`${label}: account key`, s.unlocked.accountKey));
    needles.push(...keyForms(`${label}: private key`, s.unlocked.keyPair.privateKey));
  }
  for (const [i, s] of sessions.entries()) {
    needles.push(...textForms(`session token ${i}`, s.token));
    // Only its SHA-256 is stored: finding the hash proves the sessions table was scanned.
    controls.push({
      label: `sha256(session token ${i})`,
      bytes: Buffer.from(createHash('sha256').update(s.token).digest('hex')),
      where: 'db',
    });
  }

  const relayA = new RelayClient({ baseUrl: a.relayUrl, token: a.token });
  const storeA = new VaultStore(a.unlocked);
  await pullAll(relayA, storeA);
  const personal = storeA.resolveVault().id;
  const base = { allowedOrigins: [], description: '', allowedHosts: [host] };
  const payloads: SecretPayload[] = [
    { ...base, name: 'plain', type: 'plain', value: V.plain },
    { ...base, name: 'bearer', type: 'bearer', value: V.bearer },
    { ...base, name: 'basic', type: 'basic', username: 'inv3user', password: V.basicPw },
    { ...base, name: 'tpl', type: 'template', value: V.tplValue, fields: { f: V.tplField } },
    {
      ...base,
      name: 'oauth',
      type: 'oauth',
      oauth: {
        grant: 'client_credentials',
        tokenUrl: `${api.url}/oauth/token`,
        clientId: 'inv3-client',
        clientSecret: V.oauthCs,
      },
    },
    {
      ...base,
      name: 'oauthrt',
      type: 'oauth',
      oauth: {
        grant: 'refresh_token',
        tokenUrl: `${api.url}/oauth/token`,
        clientId: 'inv3-client',
        clientSecret: V.oauthCs,
        refreshToken: V.oauthRt,
      },
    },
    { ...base, name: 'crlf', type: 'plain', value: V.crlf },
  ];
  for (const p of payloads) await addSecret(relayA, storeA, personal, p);
  for (const [k, v] of Object.entries(V)) needles.push(...textForms(`value ${k}`, v));
  needles.push(
    ...textForms('basic pair', `inv3user:${V.basicPw}`),
    ...textForms('basic header value', Buffer.from(`inv3user:${V.basicPw}`).toString('base64')),
  );

  const forward = async (
    name: string,
    header: string,
    extra: Record<string, unknown> = {},
    path = '/reflect',
  ) => {
    const req = buildForwardRequest(storeA, {
      clientSecretName: name,
      url: `${api.url}${path}`,
      method: 'POST',
      headers: { authorization: header },
      data: { echo: header },
      origin: 'https://app.inv3.test',
      ...extra,
    });
    return send(relayA, req);
  };
  expect((await forward('plain', 'Bearer $CLIENT_SECRET')).status).toBe(200);
  expect(api.requests.at(-1)?.headers.authorization).toBe(`Bearer ${V.plain}`);
  expect((await forward('bearer', 'Bearer $CLIENT_SECRET')).status).toBe(200);
  expect((await forward('basic', 'Basic $CLIENT_SECRET')).status).toBe(200);
  expect((await forward('tpl', 'T $(secret:tpl.f) $CLIENT_SECRET')).status).toBe(200);
  expect(api.requests.at(-1)?.headers.authorization).toBe(`T ${V.tplField} ${V.tplValue}`);
  expect((await forward('oauth', 'Bearer $CLIENT_SECRET')).status).toBe(200);
  expect((await forward('oauthrt', 'Bearer $CLIENT_SECRET')).status).toBe(200);
  expect(api.oauth.lastGrant?.refresh_token).toBe(V.oauthRt);
  // A polled request: its scrubbed answer is stored in forward_requests.
  const polled = await forward('plain', 'Bearer $CLIENT_SECRET', { poll: 100 });
  expect(polled.status).toBe(202);
  const ticketId = (JSON.parse(polled.text) as { requestId: string }).requestId;
  const ticket = await settledTicket(relay.url, a.token, ticketId);
  expect(ticket.response?.body).toContain('[REDACTED]');
  // Failures: a CR/LF secret in a header, an upstream error, a wrong item key.
  expect((await forward('crlf', 'Bearer $CLIENT_SECRET')).code).toBe('INVALID_REQUEST');
  expect((await forward('plain', 'Bearer $CLIENT_SECRET', {}, '/reflect?status=500')).status).toBe(
    500,
  );
  const wrongKey = buildForwardRequest(storeA, {
    clientSecretName: 'plain',
    url: `${api.url}/reflect`,
    headers: { authorization: 'Bearer $CLIENT_SECRET' },
  });
  wrongKey.secrets[0]!.itemKey = toBase64url(randomBytes(32));
  expect((await send(relayA, wrongKey)).code).toBe('DECRYPTION_FAILED');

  // OAuth access tokens the relay obtained and sent upstream.
  for (const r of api.requests) {
    const auth = String(r.headers.authorization ?? '');
    if (auth.startsWith('Bearer at-'))
      needles.push(...textForms('oauth access token', auth.slice(7)));
  }

  // A team: A creates it, invites B (fingerprint checked), adds a secret; B uses it.
  const { vaultId: teamId } = await createTeam(relayA, storeA, `inv3-team-${suffix}`);
  const keyB = await lookupPublicKey(relayA, b0.email);
  await inviteMember(relayA, storeA, teamId, b0.email, {
    role: 'member',
    expectFingerprint: keyB.fingerprint,
  });
  await addSecret(relayA, storeA, teamId, {
    ...base,
    name: 'teamsecret',
    type: 'plain',
    value: V.team,
  });
  const relayB = new RelayClient({ baseUrl: b0.relayUrl, token: b0.token });
  const storeB = new VaultStore(b0.unlocked);
  await pullAll(relayB, storeB);
  const teamReq = buildForwardRequest(storeB, {
    clientSecretName: 'teamsecret',
    url: `${api.url}/reflect`,
    headers: { authorization: 'Bearer $CLIENT_SECRET' },
    vaultId: teamId,
  });
  expect((await send(relayB, teamReq)).status).toBe(200);
  expect(api.requests.at(-1)?.headers.authorization).toBe(`Bearer ${V.team}`);

  // An update (new value, new item key); the old item key is a needle too.
  needles.push(
    ...keyForms(
      'plain item key before update',
      storeA.getSecret(personal, 'plain').itemKey.slice(),
    ),
  );
  await updateSecret(relayA, storeA, personal, 'plain', { value: V.updated });
  expect((await forward('plain', 'Bearer $CLIENT_SECRET')).status).toBe(200);
  expect(api.requests.at(-1)?.headers.authorization).toBe(`Bearer ${V.updated}`);

  // Every key the clients hold: vault keys and item keys (all versions seen by either store).
  await pullAll(relayA, storeA);
  for (const [who, store] of [
    ['A', storeA],
    ['B', storeB],
  ] as const) {
    for (const v of store.vaults()) {
      needles.push(...keyForms(`${who} vault key ${v.kind}`, store.vaultKey(v.id)));
      for (const entry of store.index(v.id).byName.values()) {
        needles.push(...keyForms(`${who} item key ${entry.payload.name}`, entry.itemKey));
      }
    }
  }

  // Control: one item's ciphertext as stored must be found in the database files.
  const pulled = await relayA.pull(personal, 0);
  const envelope = pulled.items.find((i) => !i.deleted)!.data;
  controls.push({
    label: 'an item envelope',
    bytes: Buffer.from(envelope.slice(0, 64)),
    where: 'db',
  });
  controls.push({ label: 'a request log line', bytes: Buffer.from('/v1/forward'), where: 'log' });

  await relayA.logout();
  await relayB.logout();
  return { needles, controls };
}

function expectClean(blobs: Record<string, Buffer>, flow: Flow, where: 'db' | 'log') {
  expect(Object.keys(blobs).length).toBeGreaterThan(0);
  expect(flow.needles.length).toBeGreaterThan(150);
  for (const c of flow.controls.filter((x) => x.where === where)) {
    expect(
      Object.values(blobs).some((b) => b.includes(c.bytes)),
      `control "${c.label}" must be found in the ${where} scan`,
    ).toBe(true);
  }
  expect(findNeedles(blobs, flow.needles)).toEqual([]);
}

const PG = await isPostgresAvailable();

describe('invariant 3: no plaintext secret, key, password or token at rest or in logs', () => {
  let api: MockApi;
  beforeAll(async () => {
    api = await startMockApi('127.0.0.2');
  });
  afterAll(async () => {
    await api?.close();
  });

  it('SQLite: database files (main, -wal, -shm) while running and after stop; stdout/stderr', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keyhole-inv3-'));
    const relay = await spawnRelay({
      db: join(dir, 'keyhole.db'),
      env: { KEYHOLE_ALLOW_PRIVATE: api.hostPort, KEYHOLE_LOG_LEVEL: 'debug' },
    });
    try {
      const flow = await runFlow(relay, api);
      await sleep(400); // audit rows are written in 250 ms batches
      const files = () =>
        Object.fromEntries(
          readdirSync(dir)
            .filter((f) => f.startsWith('keyhole.db'))
            .map((f) => [f, readFileSync(join(dir, f))]),
        );
      const running = files();
      expect(Object.keys(running)).toEqual(
        expect.arrayContaining(['keyhole.db', 'keyhole.db-wal', 'keyhole.db-shm']),
      );
      expectClean(running, flow, 'db');
      await relay.stop();
      expect(await relay.exited).toBe(0);
      expectClean(files(), flow, 'db');
      expectClean({ output: Buffer.from(relay.output()) }, flow, 'log');
    } finally {
      await relay.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.runIf(PG)(
    'PostgreSQL: pg_dump of the schema (every table, every row); stdout/stderr',
    async () => {
      const pg = await freshPostgresUrl();
      const relay = await spawnRelay({
        db: pg.url,
        env: { KEYHOLE_ALLOW_PRIVATE: api.hostPort, KEYHOLE_LOG_LEVEL: 'debug' },
      });
      try {
        const flow = await runFlow(relay, api);
        await sleep(400);
        await relay.stop();
        const dump = execFileSync('pg_dump', ['--data-only', '-n', pg.schema, TEST_PG_URL], {
          maxBuffer: 64 * 1024 * 1024,
        });
        expect(dump.toString()).toContain('COPY');
        expectClean({ pg_dump: dump }, flow, 'db');
        expectClean({ output: Buffer.from(relay.output()) }, flow, 'log');
      } finally {
        await relay.stop();
        await pg.drop();
      }
    },
  );
});
