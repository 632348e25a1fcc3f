// A relay, a fault API on 127.0.0.2, an account and a secret allowed for that API: the setup every
// forwarding scenario shares; plus one forward call that reports truncation honestly.
import { request } from 'undici';
import {
  addSecret,
  createAccount,
  forwardBody,
  type TestAccount,
  type TestSecret,
} from './account.js';
import { startFaultApi, type FaultApi } from './fault-api.js';
import { spawnRelay, type RelayProcess, type SpawnRelayOptions } from './relay-process.js';

export interface ForwardingSetup {
  relay: RelayProcess;
  api: FaultApi;
  account: TestAccount;
  secret: TestSecret;
  close(): Promise<void>;
}

/** The extra hosts a scenario's secret may reach (e.g. an unresolvable name for the DNS fault). */
export async function setupForwarding(
  opts: SpawnRelayOptions & { extraHosts?: string[] } = {},
): Promise<ForwardingSetup> {
  const api = await startFaultApi();
  let relay: RelayProcess | undefined;
  try {
    relay = await spawnRelay({
      ...opts,
      forLoad: true,
      allowPrivate: [api.hostPort, ...(opts.allowPrivate ?? [])],
    });
    const account = await createAccount(relay.url);
    const secret = await addSecret(relay.url, account, {
      hosts: [`http://${api.hostPort}`, ...(opts.extraHosts ?? [])],
    });
    api.expectedAuth = `Bearer ${secret.value}`;
    const r = relay;
    return {
      relay: r,
      api,
      account,
      secret,
      close: async () => {
        await r.stop();
        await api.close();
      },
    };
  } catch (err) {
    await relay?.stop();
    await api.close();
    throw err;
  }
}

export interface ForwardOutcome {
  status: number;
  code: string | undefined;
  body: string;
  /** the response body ended with an error (connection cut) rather than cleanly */
  truncated: boolean;
  /** the request itself failed (no status line) */
  failed?: string;
  ms: number;
}

/** POST /v1/forward for `url` and read the whole answer, noting a cut-off body. */
export async function forwardOnce(
  setup: Pick<ForwardingSetup, 'relay' | 'account' | 'secret'>,
  url: string,
  timeoutMs = 20_000,
): Promise<ForwardOutcome> {
  const started = performance.now();
  const body = forwardBody(setup.account, setup.secret, { url });
  try {
    const res = await request(`${setup.relay.url}/v1/forward`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${setup.account.token}`,
      },
      body: JSON.stringify(body),
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      signal: AbortSignal.timeout(timeoutMs),
    });
    const header = res.headers['keyhole-error'];
    const code = typeof header === 'string' ? header : undefined;
    let text = '';
    let truncated = false;
    try {
      for await (const chunk of res.body) text += (chunk as Buffer).toString('utf8');
    } catch {
      truncated = true;
    }
    return { status: res.statusCode, code, body: text, truncated, ms: performance.now() - started };
  } catch (err) {
    const e = err as { code?: string; name?: string };
    return {
      status: 0,
      code: undefined,
      body: '',
      truncated: false,
      failed: e.code ?? e.name ?? 'error',
      ms: performance.now() - started,
    };
  }
}
