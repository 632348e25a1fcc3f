// One POST to a token endpoint (jwt bearer grant, GitHub installation tokens) through the relay's
// guarded outbound client, and the checks on where that endpoint may be (docs/forward.md,
// "Signing and minting secrets").
import type { Dispatcher } from 'undici';
import { KeyholeError } from '../../shared/errors.js';
import {
  isDestinationAllowed,
  parseDestination,
  type Destination,
} from '../../shared/policy/index.js';
import { toKeyholeError } from './upstream-errors.js';

const MAX_TOKEN_ANSWER = 64 * 1024;

/**
 * A token endpoint comes from inside the authenticated item (never from the request), so it is an
 * explicit destination of that item: https is accepted as written; plain http only where the
 * item's allowed hosts name that http origin (local development). Url shape rules and the SSRF
 * guard apply as for any destination.
 */
export function tokenDestination(url: string, allowedHosts: readonly string[]): Destination {
  const dest = parseDestination(url);
  if (dest.scheme !== 'https' && !isDestinationAllowed(dest, allowedHosts)) {
    throw new KeyholeError(
      'HOST_NOT_ALLOWED',
      'A plain-http token endpoint must be in the secret’s allowed hosts.',
    );
  }
  return dest;
}

/** POSTs and returns the JSON answer; a non-2xx is UPSTREAM_ERROR with its status only. */
export async function postToken(
  dispatcher: Dispatcher,
  dest: Destination,
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
  what: string,
): Promise<Record<string, unknown>> {
  let res: Dispatcher.ResponseData;
  try {
    res = await dispatcher.request({
      origin: dest.url.origin,
      path: `${dest.url.pathname}${dest.url.search}`,
      method: 'POST',
      headers: { accept: 'application/json', 'accept-encoding': 'identity', ...headers },
      body,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    throw toKeyholeError(err);
  }
  let text = '';
  try {
    for await (const chunk of res.body) {
      text += (chunk as Buffer).toString('utf8');
      if (text.length > MAX_TOKEN_ANSWER)
        throw new KeyholeError('UPSTREAM_ERROR', `The ${what} answer is too large.`);
    }
  } catch (err) {
    res.body.destroy();
    throw err instanceof KeyholeError ? err : toKeyholeError(err);
  }
  if (res.statusCode < 200 || res.statusCode > 299) {
    // The answer is not passed on: a token endpoint may echo what it was sent.
    throw new KeyholeError('UPSTREAM_ERROR', `The ${what} answered ${res.statusCode}.`, {
      status: res.statusCode,
    });
  }
  try {
    const parsed = JSON.parse(text) as unknown;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed))
      return parsed as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new KeyholeError('UPSTREAM_ERROR', `The ${what} did not answer a JSON object.`);
}
