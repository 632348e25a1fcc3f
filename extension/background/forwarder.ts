// Sends an approved call to the relay (POST /v1/forward) and streams the answer into the call's
// reply sink; polled/queued calls wait for their ticket (Skapi's poll/queue/expires).
import { KeyholeError } from '../../shared/errors.js';
import { DecodedScrubber, forwardAndPoll, payloadSecrets } from '../../shared/client/index.js';
import type { ApprovedCall, ReplySink } from './page-calls.js';
import type { VaultService } from './vault-service.js';

const HIDDEN_HEADERS = new Set(['set-cookie', 'set-cookie2']);

/** Response headers a page gets: not cookies, not the relay's own. */
export function pageHeaders(entries: Iterable<[string, string]>): [string, string][] {
  const out: [string, string][] = [];
  for (const [k, v] of entries) {
    const key = k.toLowerCase();
    if (HIDDEN_HEADERS.has(key) || key.startsWith('keyhole-')) continue;
    out.push([key, v]);
  }
  return out;
}

/**
 * The reply sink seen through a DecodedScrubber: whatever JSON.parse would decode from the body
 * (the page API's, or the page's own `response.json()`) holds none of the call's secret values.
 */
export function scrubbingSink(sink: ReplySink, secrets: string[]): ReplySink {
  const scrubber = new DecodedScrubber(secrets);
  if (!scrubber.active) return sink;
  return {
    head: (status, statusText, headers) => sink.head(status, statusText, headers),
    chunk: (bytes) => {
      const out = scrubber.push(bytes);
      if (out.length > 0) sink.chunk(out);
    },
    end: () => {
      const rest = scrubber.end();
      if (rest.length > 0) sink.chunk(rest);
      sink.end();
    },
  };
}

export async function forwardCall(
  vault: VaultService,
  call: ApprovedCall,
  pageSink: ReplySink,
  signal: AbortSignal,
): Promise<void> {
  const live = await vault.current();
  if (!live) throw new KeyholeError('VAULT_LOCKED');
  const relay = await vault.relayFor(live);
  // Exactly the relay request consent was decided on (call-plan.ts), never rebuilt here.
  const fwd = call.request;
  // The background knows the values it is about to use: it scrubs again what parsing decodes.
  const secrets = fwd.secrets.flatMap((s) =>
    payloadSecrets(live.store.payloadOf(s.vaultId, s.itemId)),
  );
  const sink = scrubbingSink(pageSink, secrets);
  if (fwd.poll !== undefined || fwd.queue !== undefined) {
    const done = await forwardAndPoll(relay, fwd, {
      signal,
      ...(fwd.poll ? { intervalMs: fwd.poll } : {}),
    });
    sink.head(done.status, '', pageHeaders(Object.entries(done.headers)));
    if (done.body) sink.chunk(new TextEncoder().encode(done.body));
    sink.end();
    return;
  }
  const res = await relay.forward(fwd, signal);
  sink.head(res.status, res.statusText, pageHeaders(res.headers.entries()));
  if (res.body) {
    const reader = res.body.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        if (value && value.byteLength > 0) sink.chunk(value);
      }
    } catch {
      if (signal.aborted) return;
      throw new KeyholeError('RELAY_UNAVAILABLE');
    } finally {
      reader.releaseLock();
    }
  }
  sink.end();
}
