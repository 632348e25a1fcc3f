// Reading what POST /v1/forward answers: the upstream's response streamed through, or a ticket
// to poll (queue/poll). Skapi semantics: resolve with the parsed body, reject with UPSTREAM_ERROR
// (status + parsed body) on an upstream non-2xx.
import { KeyholeError, isErrorCode } from '../errors.js';
import { ForwardTicket, type ForwardRequest } from '../protocol/forward.js';
import type { RelayClient } from './relay-client.js';

/** The upstream answer as a page sees it: 2xx → parsed body, else UPSTREAM_ERROR. */
export async function readForwardResponse(res: Response): Promise<unknown> {
  const body = await parseBody(res);
  if (res.status < 200 || res.status > 299) throw upstreamError(res.status, body);
  return body;
}

/** JSON when the content type says so (and parses), else text. */
export async function parseBody(res: Response): Promise<unknown> {
  const text = await res.text();
  return parseText(text, res.headers.get('content-type'));
}

export function parseText(text: string, contentType: string | null | undefined): unknown {
  if (contentType && /[/+]json\b/i.test(contentType)) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }
  return text;
}

export function upstreamError(status: number, body: unknown): KeyholeError {
  return new KeyholeError('UPSTREAM_ERROR', `The destination API answered ${status}.`, {
    status,
    body,
  });
}

export interface PollOptions {
  /** ms between polls (default: the request's poll, at least 200 ms) */
  intervalMs?: number;
  signal?: AbortSignal;
  onTicket?: (ticket: ForwardTicket) => void;
}

/** Sends a queued/polled request and waits until its ticket is done or failed. */
export async function forwardAndPoll(
  relay: RelayClient,
  request: ForwardRequest,
  options: PollOptions = {},
): Promise<NonNullable<ForwardTicket['response']>> {
  const res = await relay.forward(request, options.signal);
  if (res.status !== 202) {
    // The relay answered directly (no ticket): present it in the ticket's shape.
    const headers: Record<string, string> = {};
    res.headers.forEach((value, key) => (headers[key] = value));
    return { status: res.status, headers, body: await res.text() };
  }
  const parsed = ForwardTicket.safeParse(await res.json().catch(() => null));
  if (!parsed.success) throw new KeyholeError('INTERNAL', 'The relay sent an unexpected ticket.');
  let ticket = parsed.data;
  const interval = Math.max(200, options.intervalMs ?? request.poll ?? 500);
  for (;;) {
    options.onTicket?.(ticket);
    if (ticket.state === 'done' && ticket.response) return ticket.response;
    if (ticket.state === 'failed' || ticket.state === 'done') {
      const code = ticket.error && isErrorCode(ticket.error.code) ? ticket.error.code : 'INTERNAL';
      throw new KeyholeError(code, ticket.error?.message);
    }
    await sleep(interval, options.signal);
    ticket = await relay.getForwardTicket(ticket.requestId);
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new KeyholeError('RELAY_UNAVAILABLE', 'Cancelled.'));
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(new KeyholeError('RELAY_UNAVAILABLE', 'Cancelled.'));
    });
  });
}
