// Sends the prepared request with undici's dispatch API and streams the answer, scrubbed, into a
// sink (Node's outgoing response, or a ticket buffer). No redirect is ever followed.
import type { IncomingHttpHeaders } from 'node:http';
import type { Transform } from 'node:stream';
import { createBrotliDecompress, createGunzip, createGzip, createInflate } from 'node:zlib';
import type { Dispatcher } from 'undici';
import { KeyholeError } from '../../shared/errors.js';
import { responseHeaders } from './headers.js';
import { Scrubber } from './scrub.js';
import { SseScrubber } from './sse-scrub.js';
import type { OutgoingRequest } from './substitute.js';
import { toKeyholeError } from './upstream-errors.js';

/** Where the answer goes. `write` returns false under backpressure; `drain` is then awaited. */
export interface AnswerSink {
  start(status: number, headers: Record<string, string | string[]>): void;
  write(chunk: Buffer): boolean;
  onceDrain(resume: () => void): void;
  end(): void;
  /** the answer cannot be completed after start(): cut it off */
  abort(): void;
  /** the caller went away: stop the upstream */
  onClose(cb: () => void): void;
}

export interface ExecuteLimits {
  maxResponseBytes: number;
  totalTimeoutMs: number;
}

export interface ExecuteOutcome {
  /** upstream status once headers arrived */
  status?: number;
  /** the error, if the exchange failed (before or after the headers) */
  error?: KeyholeError;
  /** true when headers had gone to the sink before the failure */
  started: boolean;
  /** the upstream answered 401 and `holdUnauthorized` kept it from the sink (to retry) */
  unauthorized?: boolean;
}

export interface ExecuteOptions {
  /** a 401 is not passed on: the exchange ends with `unauthorized` (the caller retries once) */
  holdUnauthorized?: boolean;
}

/**
 * Runs one exchange. `onStarted` resolves once the headers went to the sink (or rejects with the
 * error when the exchange failed before that); `done` resolves at the very end.
 */
export function execute(
  dispatcher: Dispatcher,
  req: OutgoingRequest,
  scrubValues: readonly string[],
  sink: AnswerSink,
  limits: ExecuteLimits,
  options: ExecuteOptions = {},
): { started: Promise<void>; done: Promise<ExecuteOutcome> } {
  let unauthorized = false;
  const scrubber = new Scrubber(scrubValues);
  let controller: Dispatcher.DispatchController | null = null;
  let finished = false;
  let started = false;
  let status: number | undefined;
  let received = 0;
  let decoded = 0;
  let decoder: Transform | null = null;
  /** the first bytes of the (decoded) body, until we know whether it is a gzip file */
  let head: Buffer | null = Buffer.alloc(0);
  /** a gzip file in the body: decoded, scrubbed and compressed again */
  let file: { gunzip: Transform; gzip: Transform } | null = null;
  /** an event stream: pieces of a secret spread over events are cut out too (sse-scrub.ts) */
  let sse: SseScrubber | null = null;
  const scrubbed = (chunk: Buffer): Buffer => {
    const out = scrubber.push(chunk);
    return sse ? sse.push(out) : out;
  };
  let resolveStarted!: () => void;
  let rejectStarted!: (err: KeyholeError) => void;
  let resolveDone!: (o: ExecuteOutcome) => void;
  const startedP = new Promise<void>((res, rej) => {
    resolveStarted = res;
    rejectStarted = rej;
  });
  startedP.catch(() => undefined);
  const doneP = new Promise<ExecuteOutcome>((res) => (resolveDone = res));

  const timer = setTimeout(() => fail(new KeyholeError('UPSTREAM_TIMEOUT')), limits.totalTimeoutMs);

  function finish(error?: KeyholeError): void {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    const outcome: ExecuteOutcome = { started };
    if (status !== undefined) outcome.status = status;
    if (error) outcome.error = error;
    if (unauthorized) outcome.unauthorized = true;
    resolveDone(outcome);
  }

  function fail(err: unknown): void {
    if (finished) return;
    const error = toKeyholeError(err);
    if (controller && !controller.aborted) {
      try {
        controller.abort(error);
      } catch {
        // already gone
      }
    }
    decoder?.destroy();
    file?.gunzip.destroy();
    file?.gzip.destroy();
    if (started) sink.abort();
    else rejectStarted(error);
    finish(error);
  }

  /** Counts decoded bytes against the limit (a compressed answer could inflate without end). */
  function countDecoded(n: number): boolean {
    decoded += n;
    if (decoded <= limits.maxResponseBytes) return true;
    fail(
      new KeyholeError(
        'PAYLOAD_TOO_LARGE',
        'The upstream answer is larger than the allowed limit.',
      ),
    );
    return false;
  }

  function write(out: Buffer): void {
    if (out.length > 0 && !sink.write(out) && controller && !controller.paused) {
      const c = controller;
      c.pause();
      sink.onceDrain(() => c.resume());
    }
  }

  /** A body (after any Content-Encoding) that is itself a gzip file: RFC 1952 §2.3.1 magic. */
  function startFile(): void {
    const gunzip = createGunzip();
    const gzip = createGzip();
    file = { gunzip, gzip };
    gunzip.on('data', (d: Buffer) => {
      if (finished || !countDecoded(d.length)) return;
      const out = scrubber.push(d);
      if (out.length > 0) gzip.write(out);
    });
    gunzip.on('end', () => {
      if (finished) return;
      gzip.end(scrubber.end());
    });
    gunzip.on('error', () =>
      fail(new KeyholeError('UPSTREAM_ERROR', 'The upstream answer could not be decoded.')),
    );
    gzip.on('data', (c: Buffer) => {
      if (!finished) write(c);
    });
    gzip.on('end', () => {
      if (finished) return;
      sink.end();
      finish();
    });
  }

  function emit(chunk: Buffer): void {
    if (finished) return;
    if (decoder && !countDecoded(chunk.length)) return;
    if (head) {
      // Decide once three bytes are known (or at the end): gzip file, or plain bytes.
      const seen: Buffer = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
      if (seen.length < 3) {
        head = seen;
        return;
      }
      head = null;
      if (seen[0] === 0x1f && seen[1] === 0x8b && seen[2] === 0x08) startFile();
      chunk = seen;
    }
    if (file) file.gunzip.write(chunk);
    else write(scrubbed(chunk));
  }

  function complete(): void {
    if (finished) return;
    if (head) {
      const rest = head;
      head = null;
      write(scrubbed(rest));
    }
    if (file) {
      file.gunzip.end();
      return;
    }
    let rest = scrubber.end();
    if (sse) rest = Buffer.concat([sse.push(rest), sse.end()]);
    if (rest.length > 0) sink.write(rest);
    sink.end();
    finish();
  }

  sink.onClose(() => {
    if (!finished) fail(new KeyholeError('UPSTREAM_UNREACHABLE', 'The caller went away.'));
  });

  const handler: Dispatcher.DispatchHandler = {
    onRequestStart(c) {
      controller = c;
      if (finished) c.abort(new KeyholeError('UPSTREAM_TIMEOUT'));
    },
    onResponseStart(c, statusCode, headers: IncomingHttpHeaders) {
      controller = c;
      if (finished || statusCode < 200) return;
      if (statusCode === 401 && options.holdUnauthorized) {
        unauthorized = true;
        status = statusCode;
        fail(new KeyholeError('UPSTREAM_ERROR', 'The upstream answered 401.', { status: 401 }));
        return;
      }
      const declared = Number(headers['content-length']);
      if (Number.isFinite(declared) && declared > limits.maxResponseBytes) {
        fail(
          new KeyholeError(
            'PAYLOAD_TOO_LARGE',
            'The upstream answer is larger than the allowed limit.',
          ),
        );
        return;
      }
      if (
        scrubber.active &&
        /^\s*text\/event-stream\b/i.test(String(headers['content-type'] ?? ''))
      )
        sse = new SseScrubber(scrubber.textForms());
      const encoding = String(headers['content-encoding'] ?? 'identity')
        .trim()
        .toLowerCase();
      const out = responseHeaders(headers, (v) => scrubber.scrubString(v));
      if (encoding !== 'identity' && encoding !== '') {
        // Asked for identity, got compression anyway: decode so the scrubber sees the plain bytes.
        decoder = decoderFor(encoding);
        if (!decoder) {
          fail(
            new KeyholeError(
              'UPSTREAM_ERROR',
              'The upstream answer uses an unsupported content encoding.',
            ),
          );
          return;
        }
        delete out['content-encoding'];
        decoder.on('data', (chunk: Buffer) => emit(chunk));
        decoder.on('error', () =>
          fail(new KeyholeError('UPSTREAM_ERROR', 'The upstream answer could not be decoded.')),
        );
        decoder.on('end', complete);
      }
      status = statusCode;
      started = true;
      sink.start(statusCode, out);
      resolveStarted();
    },
    onResponseData(_c, chunk) {
      if (finished) return;
      received += chunk.length;
      if (received > limits.maxResponseBytes) {
        fail(
          new KeyholeError(
            'PAYLOAD_TOO_LARGE',
            'The upstream answer is larger than the allowed limit.',
          ),
        );
        return;
      }
      if (decoder) decoder.write(chunk);
      else emit(chunk);
    },
    onResponseEnd() {
      if (decoder) decoder.end();
      else complete();
    },
    onResponseError(_c, err) {
      fail(err);
    },
  };

  try {
    dispatcher.dispatch(
      {
        origin: req.dest.url.origin,
        path: req.path,
        method: req.method,
        headers: req.headers,
        body: req.body,
        headersTimeout: limits.totalTimeoutMs,
        bodyTimeout: limits.totalTimeoutMs,
      },
      handler,
    );
  } catch (err) {
    fail(err);
  }
  return { started: startedP, done: doneP };
}

function decoderFor(encoding: string): Transform | null {
  if (encoding === 'gzip' || encoding === 'x-gzip') return createGunzip();
  if (encoding === 'deflate') return createInflate();
  if (encoding === 'br') return createBrotliDecompress();
  return null;
}
