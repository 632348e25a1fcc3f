// POST /v1/forward (the upstream answer streamed back, or 202 ticket for queue/poll) and
// GET /v1/forward/requests/:id (docs/forward.md). Mounted by createApp at /v1/forward.
import type { IncomingMessage } from 'node:http';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import { Hono, type Context } from 'hono';
import { initCrypto } from '../../../shared/crypto/index.js';
import { KeyholeError } from '../../../shared/errors.js';
import { ForwardRequest } from '../../../shared/protocol/forward.js';
import { hotStatements } from '../../db/hot-statements.js';
import type { AppDeps } from '../../deps.js';
import type { AppEnv } from '../../env.js';
import { parseWith } from '../../http/validate.js';
import { requireSession } from '../../middleware/session.js';
import { execute } from '../../relay/execute.js';
import { findRequest, toTicket } from '../../relay/forward-requests-repo.js';
import { createForwarder, type Forwarder } from '../../relay/forwarder.js';
import { bufferSink, nodeSink } from '../../relay/node-sink.js';
import { prepareForward, type AuditTarget } from '../../relay/prepare.js';

export interface ForwardRouteOptions {
  /** a prebuilt forwarder (tests: stub DNS); default: one per app, built on first use */
  forwarder?: Forwarder;
}

const REQUEST_ID = /^[A-Za-z0-9_-]{22}$/;

function tooLarge(max: number): KeyholeError {
  return new KeyholeError('PAYLOAD_TOO_LARGE', `The forward request is larger than ${max} bytes.`);
}

/** Reads the body straight from Node's request when nobody has touched it (no Web streams). */
function readIncoming(incoming: IncomingMessage, max: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        incoming.off('data', onData);
        incoming.resume();
        reject(tooLarge(max));
        return;
      }
      chunks.push(chunk);
    };
    incoming.on('data', onData);
    incoming.once('end', () =>
      resolve(
        chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8'),
      ),
    );
    incoming.once('error', () =>
      reject(new KeyholeError('INVALID_REQUEST', 'The request body could not be read.')),
    );
  });
}

async function readBody(c: Context<AppEnv>, max: number): Promise<string> {
  const incoming = (c.env as Partial<AppEnv['Bindings']> | undefined)?.incoming;
  const declared = Number(
    incoming ? incoming.headers['content-length'] : c.req.header('content-length'),
  );
  if (Number.isFinite(declared) && declared > max) throw tooLarge(max);
  if (
    incoming &&
    incoming.readableFlowing === null &&
    !incoming.readableEnded &&
    !incoming.destroyed
  ) {
    return readIncoming(incoming, max);
  }
  const buf = await c.req.arrayBuffer();
  if (buf.byteLength > max) throw tooLarge(max);
  return Buffer.from(buf).toString('utf8');
}

function hostOf(url: string): string {
  try {
    return new URL(url).host.slice(0, 300);
  } catch {
    return '';
  }
}

export function createForwardRoutes(
  deps: AppDeps,
  options: ForwardRouteOptions = {},
): Hono<AppEnv> {
  let built = options.forwarder;
  const fwd = (): Forwarder => (built ??= createForwarder(deps));
  let cryptoReady: Promise<void> | undefined;
  const app = new Hono<AppEnv>();
  const session = requireSession(deps);
  const hot = hotStatements(deps.store);

  app.post('/', session, async (c) => {
    const forwarder = fwd();
    const t0 = performance.now();
    const accountId = c.get('accountId');
    const text = await readBody(c, forwarder.config.maxRequestBytes);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new KeyholeError('INVALID_REQUEST', 'The request body is not valid JSON.');
    }
    const req = parseWith(ForwardRequest, json, 'body');
    await (cryptoReady ??= initCrypto());

    const targets: AuditTarget[] = [];
    const host = hostOf(req.request.url);
    const createdAt = forwarder.now();
    const record = (
      status: number | null,
      errorCode: string | null,
      durationMs = performance.now() - t0,
    ) => {
      for (const t of targets) {
        forwarder.audit.record({
          vaultId: t.vaultId,
          accountId,
          secretName: t.secretName,
          origin: req.origin ?? null,
          host,
          method: req.request.method,
          status,
          errorCode,
          durationMs,
          createdAt,
        });
      }
    };

    let prepared;
    try {
      prepared = await prepareForward(
        { hot, oauth: forwarder.oauth },
        accountId,
        req,
        targets,
      );
    } catch (err) {
      // A vault the account is not a member of is not "known": no row in someone else's log.
      if (err instanceof KeyholeError && err.code !== 'FORBIDDEN') record(null, err.code);
      throw err;
    }

    if (req.queue !== undefined || req.poll !== undefined) {
      const ticket = await forwarder.queue.submit(accountId, req, prepared, (r) =>
        record(r.status, r.errorCode, r.durationMs),
      );
      return c.json(ticket, 202);
    }

    const limits = {
      maxResponseBytes: forwarder.config.maxResponseBytes,
      totalTimeoutMs: forwarder.config.totalTimeoutMs,
    };
    const outgoing = (c.env as Partial<AppEnv['Bindings']> | undefined)?.outgoing;
    const sink = outgoing ? nodeSink(outgoing) : bufferSink();
    const run = execute(forwarder.agent, prepared.outgoing, prepared.scrub, sink, limits);
    prepared = undefined; // the secret-bearing request lives on only inside the running exchange
    void run.done.then((o) => record(o.status ?? null, o.error?.code ?? null));
    try {
      await run.started;
    } catch (err) {
      throw err instanceof KeyholeError ? err : new KeyholeError('INTERNAL');
    }
    if (outgoing) return RESPONSE_ALREADY_SENT;
    return (sink as ReturnType<typeof bufferSink>).response();
  });

  app.get('/requests/:id', session, async (c) => {
    const id = c.req.param('id');
    if (!REQUEST_ID.test(id)) throw new KeyholeError('NOT_FOUND', 'No such request.');
    const row = await findRequest(deps.store.db, id, c.get('accountId'));
    if (!row) throw new KeyholeError('NOT_FOUND', 'No such request.');
    if (Number(row.expires_at) <= fwd().now()) throw new KeyholeError('REQUEST_EXPIRED');
    return c.json(toTicket(row));
  });

  return app;
}
