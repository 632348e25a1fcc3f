// Faults on the upstream side: connection reset before an answer, half-sent headers, half-sent
// bodies (fixed length and chunked), an unresolvable name. The client must get a clear error code
// (or a visibly cut-off body once the answer has started streaming), never the secret, and the
// relay must go on serving.
import type { Check } from '../../support/check.js';
import { call } from '../../support/http.js';
import { forwardOnce, type ForwardingSetup } from '../../support/forwarding.js';

const UPSTREAM_CODES = new Set(['UPSTREAM_UNREACHABLE', 'UPSTREAM_ERROR', 'UPSTREAM_TIMEOUT']);
export const UNRESOLVABLE_HOST = 'keyhole-no-such-host.invalid';

async function relayStillServes(setup: ForwardingSetup): Promise<string | undefined> {
  const health = await call(setup.relay.url, 'GET', '/v1/health');
  if (health.status !== 200) return `health answered ${health.status}`;
  const good = await forwardOnce(setup, `${setup.api.origin}/ok`);
  if (good.status !== 200 || good.truncated || !good.body.includes('"ok":true')) {
    return `a good forward afterwards got ${good.status} ${good.code ?? good.failed ?? ''}`;
  }
  return undefined;
}

export async function checkUpstreamFaults(setup: ForwardingSetup): Promise<Check[]> {
  const checks: Check[] = [];
  const cases: Array<{ name: string; path: string; mayStream: boolean }> = [
    { name: 'upstream reset before answering', path: '/reset', mayStream: false },
    { name: 'upstream half-sent headers', path: '/half-headers', mayStream: false },
    { name: 'upstream half-sent body (content-length)', path: '/half-body', mayStream: true },
    { name: 'upstream half-sent body (chunked)', path: '/half-chunked', mayStream: true },
  ];
  for (const c of cases) {
    const out = await forwardOnce(setup, `${setup.api.origin}${c.path}`);
    const leaked = out.body.includes(setup.secret.value);
    const clearCode = out.status >= 500 && out.code !== undefined && UPSTREAM_CODES.has(out.code);
    // Once the upstream's 200 has been streamed on, the relay cannot change the status: the honest
    // signal left is to cut the client's connection too, so the client sees an incomplete body.
    const visiblyCut = c.mayStream && out.status === 200 && out.truncated;
    const survived = await relayStillServes(setup);
    const pass = (clearCode || visiblyCut) && !leaked && survived === undefined;
    const what = out.failed
      ? `request failed: ${out.failed}`
      : `${out.status}${out.code ? ` ${out.code}` : ''}${out.truncated ? ' (body cut off)' : ''}`;
    checks.push({
      name: c.name,
      pass,
      detail: `${what}${leaked ? '; SECRET LEAKED' : ''}${survived ? `; ${survived}` : '; relay serving'}`,
    });
  }
  return checks;
}

export async function checkDnsFailure(setup: ForwardingSetup): Promise<Check> {
  const out = await forwardOnce(setup, `https://${UNRESOLVABLE_HOST}/v1/x`);
  const survived = await relayStillServes(setup);
  const pass = out.status === 502 && out.code === 'UPSTREAM_UNREACHABLE' && survived === undefined;
  return {
    name: 'DNS failure → UPSTREAM_UNREACHABLE',
    pass,
    detail: `${out.status} ${out.code ?? out.failed ?? ''} in ${Math.round(out.ms)} ms${survived ? `; ${survived}` : ''}`,
  };
}
