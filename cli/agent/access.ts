// Which secrets scripts and agents may use (`keyhole serve` / `run` / `mcp`): only those the owner
// enabled with `keyhole secret update NAME --agent on`, optionally narrowed with --secret. Holds
// the unlocked vault for a long-running command and re-reads it from the relay now and then, so
// that `--agent off` or a removed secret takes effect without a restart.
import { DecodedScrubber, payloadSecrets } from '../../shared/client/decoded-scrub.js';
import { forwardAndPoll } from '../../shared/client/forward-response.js';
import { buildForwardRequest, type ClientRequestParams } from '../../shared/client/request.js';
import { pullAll } from '../../shared/client/sync.js';
import type { SecretEntry } from '../../shared/client/vault-store.js';
import { KeyholeError } from '../../shared/errors.js';
import { AGENT_ORIGIN_PREFIX } from '../../shared/protocol/forward.js';
import type { OpenVault } from '../unlock.js';

/** Re-read the vaults from the relay at most this often (on demand, before a request). */
const REFRESH_MS = 10_000;

export type AgentSurface = 'serve' | 'run' | 'mcp';

export function enableHint(name: string): string {
  return `Enable it first: keyhole secret update ${name} --agent on`;
}

/** The refusal a caller gets for a name it may not use — the same whether or not it exists. */
export function notEnabled(name: string): KeyholeError {
  return new KeyholeError(
    'AGENT_NOT_ALLOWED',
    `No secret named ${JSON.stringify(name.slice(0, 64))} is enabled for agents here. ` +
      `If it exists, its owner can enable it: keyhole secret update NAME --agent on`,
  );
}

export class AgentAccess {
  readonly origin: string;
  private lastRefresh = Date.now();
  private refreshing: Promise<void> | null = null;

  constructor(
    readonly vault: OpenVault,
    surface: AgentSurface,
    /** --secret names (null: every secret enabled for agents) */
    readonly only: ReadonlySet<string> | null,
    readonly vaultId: string | undefined,
  ) {
    this.origin = `${AGENT_ORIGIN_PREFIX}${surface}`;
  }

  /**
   * For the user at the terminal, at start: each --secret must exist and be enabled, with the
   * exact reason and the fix when not (SECRET_NOT_FOUND / AGENT_NOT_ALLOWED).
   */
  checkStartup(): SecretEntry[] {
    if (!this.only) return this.enabled();
    return [...this.only].map((name) => {
      const entry = this.vault.store.findSecret(name, this.vaultId);
      if (entry.payload.agent !== true) {
        throw new KeyholeError(
          'AGENT_NOT_ALLOWED',
          `Secret ${name} is not enabled for agents. ${enableHint(name)}`,
        );
      }
      return entry;
    });
  }

  /** Every secret this command may use now. */
  enabled(): SecretEntry[] {
    const { store } = this.vault;
    const vaults = this.vaultId ? [store.resolveVault(this.vaultId)] : store.usableVaults();
    const seen = new Set<string>();
    const out: SecretEntry[] = [];
    for (const vault of vaults) {
      for (const entry of store.listSecrets(vault.id)) {
        const name = entry.payload.name;
        if (entry.payload.agent !== true || seen.has(name)) continue;
        if (this.only && !this.only.has(name)) continue;
        // The name resolves to this entry (personal first), as requests will.
        if (store.findSecret(name, this.vaultId).itemId !== entry.itemId) continue;
        seen.add(name);
        out.push(entry);
      }
    }
    return out;
  }

  /** The secret a caller names, or AGENT_NOT_ALLOWED (unknown, not enabled or not --secret). */
  async resolve(name: string): Promise<SecretEntry> {
    await this.refresh();
    if (this.only && !this.only.has(name)) throw notEnabled(name);
    let entry: SecretEntry;
    try {
      entry = this.vault.store.findSecret(name, this.vaultId);
    } catch (err) {
      if (err instanceof KeyholeError && err.code === 'SECRET_NOT_FOUND') throw notEnabled(name);
      throw err;
    }
    if (entry.payload.agent !== true) throw notEnabled(name);
    return entry;
  }

  /** Pulls what changed on the relay, at most every REFRESH_MS; one pull at a time. */
  async refresh(force = false): Promise<void> {
    if (!force && Date.now() - this.lastRefresh < REFRESH_MS) return;
    if (!this.refreshing) {
      this.refreshing = pullAll(this.vault.relay, this.vault.store)
        .then(() => {
          this.lastRefresh = Date.now();
          this.vault.save();
        })
        .finally(() => {
          this.refreshing = null;
        });
    }
    await this.refreshing;
  }

  /**
   * Sends one request through the relay as this surface (`origin: agent:…`, audited as such).
   * Every secret the request names must be enabled for agents, not only the first.
   */
  async forward(params: ClientRequestParams, signal?: AbortSignal): Promise<Response> {
    await this.resolve(params.clientSecretName);
    const forward = buildForwardRequest(this.vault.store, {
      ...params,
      origin: this.origin,
      ...(this.vaultId ? { vaultId: this.vaultId } : {}),
    });
    for (const ref of forward.secrets.slice(1)) {
      const payload = this.vault.store.payloadOf(ref.vaultId, ref.itemId);
      if (payload?.agent !== true || (this.only && !this.only.has(ref.name))) {
        throw notEnabled(ref.name);
      }
    }
    // As the extension does for pages: what the caller's JSON.parse would decode from the answer
    // holds none of the values used (an API that writes `+` as `\u002B` escapes no form the
    // relay's byte scrub knows).
    const secrets = forward.secrets.flatMap((ref) =>
      payloadSecrets(this.vault.store.payloadOf(ref.vaultId, ref.itemId)),
    );
    if (params.queue !== undefined || params.poll !== undefined) {
      const res = await forwardAndPoll(this.vault.relay, forward, signal ? { signal } : {});
      return decodedScrubbed(
        new Response(res.status === 204 || res.status === 304 ? null : res.body, {
          status: res.status,
          headers: res.headers,
        }),
        secrets,
      );
    }
    return decodedScrubbed(await this.vault.relay.forward(forward, signal), secrets);
  }
}

/** The answer with its body passed through a DecodedScrubber (status and headers unchanged). */
export function decodedScrubbed(res: Response, secrets: string[]): Response {
  const scrubber = new DecodedScrubber(secrets);
  if (!res.body || !scrubber.active) return res;
  const body = res.body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        const out = scrubber.push(chunk);
        if (out.length > 0) controller.enqueue(out);
      },
      flush(controller) {
        const rest = scrubber.end();
        if (rest.length > 0) controller.enqueue(rest);
      },
    }),
  );
  return new Response(body, {
    status: res.status,
    statusText: res.statusText,
    headers: res.headers,
  });
}
