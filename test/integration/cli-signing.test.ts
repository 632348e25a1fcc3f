// `keyhole secret add --type sigv4|hmac|jwt|github-app` (JSON on stdin), `secret list` showing the
// types, and `keyhole request` through a real relay to mock APIs that verify the signatures and
// tokens — the CLI half of issue #14. Keys and minted tokens never appear in the CLI's output or
// its KEYHOLE_HOME.
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  exchangeHmac,
  startMockSigningApis,
  type MockSigningApis,
} from '../support/mock-signing-apis.js';
import { spawnRelay, type RelayProcess } from '../support/relay-process.js';
import { readHomeFiles, removeDir, runCli, tempHome, type CliResult } from '../support/cli.js';

const PASSWORD = 'correct horse battery staple';
const EMAIL = `cli-sign-${Date.now()}@example.com`;

let relay: RelayProcess;
let m: MockSigningApis;
let home: string;
const outputs: string[] = [];

async function cli(args: string[], input?: string): Promise<CliResult> {
  const r = await runCli(args, { home, input, env: { KEYHOLE_PASSWORD: PASSWORD } });
  outputs.push(r.stdout, r.stderr);
  return r;
}

const google = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
});
const github = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
});

beforeAll(async () => {
  m = await startMockSigningApis();
  m.github.publicKey = createPublicKey(github.publicKey);
  m.google.issuers.set('cli@proj.iam.gserviceaccount.com', {
    publicKey: createPublicKey(google.publicKey),
    algorithms: ['RS256'],
    scope: 'https://www.googleapis.com/auth/cloud-platform',
  });
  relay = await spawnRelay({ env: { KEYHOLE_ALLOW_PRIVATE: m.hostPort } });
  home = tempHome();
  const signup = await cli(['signup', '--relay', relay.url, '--email', EMAIL]);
  expect(signup.code, signup.stderr).toBe(0);
});

afterAll(async () => {
  await relay?.stop();
  await m?.close();
  if (home) removeDir(home);
});

describe('keyhole CLI: secrets that sign and mint', () => {
  const host = () => `http://${m.hostPort}`;

  it('adds each type from JSON on stdin; list shows the types', async () => {
    const adds: Array<[string, string, unknown]> = [
      [
        'aws',
        'sigv4',
        {
          accessKeyId: m.aws.accessKeyId,
          secretAccessKey: m.aws.secretAccessKey,
          region: m.aws.region,
          service: 's3',
        },
      ],
      ['ex', 'hmac', exchangeHmac(m)],
      [
        'gcp',
        'jwt',
        {
          type: 'service_account',
          project_id: 'proj',
          private_key_id: 'k1',
          private_key: google.privateKey,
          client_email: 'cli@proj.iam.gserviceaccount.com',
          client_id: '1',
          token_uri: `${m.url}/google/token`,
        },
      ],
      [
        'gh',
        'github-app',
        {
          appId: Number(m.github.appId),
          privateKey: github.privateKey,
          installationId: Number(m.github.installationId),
          baseUrl: `${m.url}/github`,
        },
      ],
    ];
    for (const [name, type, json] of adds) {
      const r = await cli(
        ['secret', 'add', name, '--type', type, '--host', host()],
        JSON.stringify(json),
      );
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain(`Added ${name} (${type})`);
    }
    const list = await cli(['secret', 'list']);
    expect(list.code).toBe(0);
    for (const [name, type] of adds)
      expect(list.stdout).toMatch(new RegExp(`${name}\\s+${type}\\s`));
    const json = JSON.parse((await cli(['secret', 'list', '--json'])).stdout) as Array<{
      name: string;
      type: string;
    }>;
    expect(json.map((r) => [r.name, r.type]).sort()).toEqual(adds.map(([n, t]) => [n, t]).sort());
  });

  it('refuses bad JSON naming the field, never echoing the value', async () => {
    const r = await cli(
      ['secret', 'add', 'bad', '--type', 'sigv4', '--host', host()],
      JSON.stringify({
        accessKeyId: 'A',
        secretAccessKey: 'leak-me-9911',
        region: 'x y',
        service: 's3',
      }),
    );
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('INVALID_REQUEST');
    expect(r.stderr).toContain('region');
    expect(r.stderr).not.toContain('leak-me-9911');
    const notJson = await cli(['secret', 'add', 'bad', '--type', 'hmac', '--host', host()], 'k=v');
    expect(notJson.code).not.toBe(0);
    expect(notJson.stderr).toContain('JSON object');
  });

  it('keyhole request: signed and minted calls reach the mock APIs, which verify them', async () => {
    const s3 = await cli(['request', 'aws', '--url', `${m.url}/aws/bucket/key.txt?x=1`]);
    expect(s3.code, `${s3.stderr} ${m.refusals.at(-1)}`).toBe(0);
    expect(JSON.parse(s3.stdout).ok).toBe(true);

    const put = await cli([
      'request',
      'aws',
      '-X',
      'PUT',
      '--url',
      `${m.url}/aws/bucket/new.txt`,
      '-H',
      'Content-Type: text/plain',
      '-d',
      'hello body',
    ]);
    expect(put.code, `${put.stderr} ${m.refusals.at(-1)}`).toBe(0);

    const ex = await cli([
      'request',
      'ex',
      '--url',
      `${m.url}/exchange/api/v3/account?recvWindow=5000`,
      '-H',
      'X-MBX-APIKEY: $(secret:ex.apiKey)',
    ]);
    expect(ex.code, `${ex.stderr} ${m.refusals.at(-1)}`).toBe(0);

    const gcp = await cli([
      'request',
      'gcp',
      '--url',
      `${m.url}/google/storage/v1/b`,
      '-H',
      'Authorization: Bearer $CLIENT_SECRET',
    ]);
    expect(gcp.code, `${gcp.stderr} ${m.refusals.at(-1)}`).toBe(0);
    expect(JSON.parse(gcp.stdout).echo).toBe('Bearer [REDACTED]');

    const gh = await cli([
      'request',
      'gh',
      '-i',
      '--url',
      `${m.url}/github/installation/repositories`,
      '-H',
      'Authorization: token $CLIENT_SECRET',
    ]);
    expect(gh.code, `${gh.stderr} ${m.refusals.at(-1)}`).toBe(0);
    expect(gh.stdout).toContain('"echo":"token [REDACTED]"');
    expect(m.github.issued.length).toBe(1);
    expect(m.seen.at(-1)!.headers.authorization).toBe(`token ${m.github.issued[0]}`);
  });

  it('a plain secret still needs a placeholder; no key or token in any output or file', async () => {
    const add = await cli(
      ['secret', 'add', 'pl', '--host', host(), '--place', 'header:Authorization'],
      'plain-value-7731',
    );
    expect(add.code).toBe(0);
    const r = await cli(['request', 'pl', '--url', `${m.url}/api/x`]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('PLACEHOLDER_MISSING');

    const needles = [
      m.aws.secretAccessKey,
      m.exchange.secret,
      ...google.privateKey.split('\n').filter((l) => l.length > 40),
      ...github.privateKey.split('\n').filter((l) => l.length > 40),
      ...m.google.issued,
      ...m.github.issued,
    ];
    expect(m.google.issued.length + m.github.issued.length).toBeGreaterThan(1);
    const { text } = readHomeFiles(home);
    for (const blob of [...outputs, text, relay.output()])
      for (const needle of needles)
        expect(blob.includes(needle), 'a key or token leaked').toBe(false);
  });
});
