// One exchange with the one retry promised for oauth, jwt and github-app (docs/forward.md,
// "Signing and minting secrets": a 401 refreshes once and retries once): when the API
// answers 401 to a token, the token is dropped from its cache, a fresh one is fetched or minted,
// and the request is sent once more. The 401 never reaches the caller unless the retry is not
// possible; the second answer, whatever it is, is passed on.
import type { Dispatcher } from 'undici';
import { KeyholeError } from '../../shared/errors.js';
import { execute, type AnswerSink, type ExecuteLimits, type ExecuteOutcome } from './execute.js';
import type { OutgoingRequest } from './substitute.js';
import { toKeyholeError } from './upstream-errors.js';

export interface Refreshable {
  outgoing: OutgoingRequest;
  scrub: string[];
  refresh?: () => Promise<{ outgoing: OutgoingRequest; scrub: string[] }>;
}

type Run = { started: Promise<void>; done: Promise<ExecuteOutcome> };

/**
 * A body can be sent again only if the relay holds all of it. Forward bodies always arrive whole
 * inside the ForwardRequest (a string): a streamed upload, if one is ever added, would not be
 * replayable and its 401 would be passed on as it is.
 */
export function isReplayable(body: unknown): boolean {
  return body === null || typeof body === 'string';
}

function failed(err: unknown): Run {
  const error = toKeyholeError(err);
  const started = Promise.reject(error);
  started.catch(() => undefined);
  return { started, done: Promise.resolve({ started: false, error }) };
}

export function executeWithRefresh(
  dispatcher: Dispatcher,
  prepared: Refreshable,
  sink: AnswerSink,
  limits: ExecuteLimits,
): Run {
  const refresh = prepared.refresh;
  const canRetry = refresh !== undefined && isReplayable(prepared.outgoing.body);
  const first = execute(dispatcher, prepared.outgoing, prepared.scrub, sink, limits, {
    holdUnauthorized: canRetry,
  });
  if (!canRetry) return first;
  const second: Promise<Run | null> = first.done.then(async (outcome) => {
    if (!outcome.unauthorized) return null;
    try {
      const next = await refresh();
      return execute(dispatcher, next.outgoing, next.scrub, sink, limits);
    } catch (err) {
      return failed(err instanceof KeyholeError ? err : toKeyholeError(err));
    }
  });
  const started = first.started.catch(async (err: unknown) => {
    const run = await second;
    if (!run) throw err;
    return run.started;
  });
  started.catch(() => undefined);
  const done = first.done.then(async (outcome) => {
    const run = await second;
    return run ? run.done : outcome;
  });
  return { started, done };
}
