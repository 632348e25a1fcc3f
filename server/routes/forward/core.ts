// The work of POST /v1/forward once the body is read: parse and validate, the session checked
// together with the first secret's membership and item (one statement), prepare (decryption,
// policy, substitution), run or queue, audit.
// Called by the one handler of POST /v1/forward (node-handler.ts).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { initCrypto } from '../../../shared/crypto/index.js';
import { KeyholeError } from '../../../shared/errors.js';
import { ForwardRequest, type ForwardTicket } from '../../../shared/protocol/forward.js';
import { hotStatements, type HotStatements } from '../../db/hot-statements.js';
import type { AppDeps } from '../../deps.js';
import { parseWith } from '../../http/validate.js';
import { executeWithRefresh } from '../../forward/execute-refresh.js';
import { createForwarder, type Forwarder } from '../../forward/forwarder.js';
import { nodeSink } from '../../forward/node-sink.js';
import { prepareForward, type AuditTarget, type PreparedForward } from '../../forward/prepare.js';
import type { PrefetchedRow } from '../../forward/secrets.js';

/** One per app: the forwarder (built on first use), the prepared statements, crypto readiness. */
export class ForwardCore {
  readonly hot: HotStatements;
  readonly now: () => number;
  private built: Forwarder | undefined;
  private cryptoReady = false;
  private cryptoLoading: Promise<void> | undefined;

  constructor(
    readonly deps: AppDeps,
    forwarder?: Forwarder,
  ) {
    this.hot = hotStatements(deps.store);
    this.now = deps.now ?? Date.now;
    this.built = forwarder;
  }

  get forwarder(): Forwarder {
    return (this.built ??= createForwarder(this.deps));
  }

  /** Writes pending audit rows and closes the outbound connections (graceful shutdown). */
  async close(): Promise<void> {
    if (this.built) await this.built.close();
  }

  /** libsodium is loaded once; afterwards no await is spent on it. */
  ensureCrypto(): Promise<void> | undefined {
    if (this.cryptoReady) return undefined;
    this.cryptoLoading ??= initCrypto().then(() => {
      this.cryptoReady = true;
    });
    return this.cryptoLoading;
  }
}

export type ForwardOutcome =
  /** the upstream's answer is being streamed into the Node response */
  | { kind: 'streamed' }
  /** queue/poll: answer 202 with this ticket */
  | { kind: 'ticket'; ticket: ForwardTicket };

export function tooLarge(max: number): KeyholeError {
  return new KeyholeError('PAYLOAD_TOO_LARGE', `The forward request is larger than ${max} bytes.`);
}

/** A declared Content-Length over the cap is refused before a byte is read. */
export function checkDeclaredLength(declared: string | undefined, max: number): void {
  if (declared === undefined) return;
  const n = Number(declared);
  if (Number.isFinite(n) && n > max) throw tooLarge(max);
}

/**
 * Reads the body straight from Node's request (no Web streams), chunked or not, refusing it as
 * soon as it passes `max` bytes.
 */
export function readIncoming(incoming: IncomingMessage, max: number): Promise<string> {
  return new Promise((resolve, reject) => new BodyReader(incoming, max, resolve, reject).start());
}

class BodyReader {
  private chunks: Buffer[] = [];
  private size = 0;
  private settled = false;
  private readonly onData = (chunk: Buffer): void => this.data(chunk);
  private readonly onEnd = (): void => this.end();
  private readonly onError = (): void => this.error();

  constructor(
    private readonly incoming: IncomingMessage,
    private readonly max: number,
    private readonly resolve: (text: string) => void,
    private readonly reject: (err: KeyholeError) => void,
  ) {}

  start(): void {
    this.incoming.on('data', this.onData);
    this.incoming.once('end', this.onEnd);
    this.incoming.on('error', this.onError);
  }

  private data(chunk: Buffer): void {
    this.size += chunk.length;
    if (this.size > this.max) {
      this.detach();
      this.chunks = [];
      this.incoming.resume();
      this.reject(tooLarge(this.max));
      return;
    }
    this.chunks.push(chunk);
  }

  private end(): void {
    this.detach();
    const c = this.chunks;
    this.resolve(c.length === 1 ? c[0]!.toString('utf8') : Buffer.concat(c).toString('utf8'));
  }

  /** (stays registered: an aborted upload after the answer must not be an unhandled error) */
  private error(): void {
    if (this.settled) return;
    this.detach();
    this.reject(new KeyholeError('INVALID_REQUEST', 'The request body could not be read.'));
  }

  private detach(): void {
    this.settled = true;
    this.incoming.off('data', this.onData);
    this.incoming.off('end', this.onEnd);
  }
}

function hostOf(url: string): string {
  try {
    return new URL(url).host.slice(0, 300);
  } catch {
    return '';
  }
}

/** One audit row per secret of a forwarded request, written through the forwarder's batches. */
class AuditRecorder {
  readonly targets: AuditTarget[] = [];
  private readonly createdAt: number;

  constructor(
    private readonly forwarder: Forwarder,
    private readonly accountId: string,
    private readonly req: ForwardRequest,
    private readonly t0: number,
    /** grant forwards: which grant, and the visitor's keyed hash */
    private readonly extra?: GrantAudit,
  ) {
    this.createdAt = forwarder.now();
  }

  /** the destination's host once the url was parsed (saves parsing it again) */
  host: string | undefined;

  record(status: number | null, errorCode: string | null, durationMs?: number): void {
    if (this.targets.length === 0) return;
    const host = this.host ?? hostOf(this.req.request.url);
    const ms = durationMs ?? performance.now() - this.t0;
    for (const t of this.targets) {
      this.forwarder.audit.record({
        vaultId: t.vaultId,
        accountId: this.accountId,
        secretName: t.secretName,
        origin: this.req.origin ?? null,
        host,
        method: this.req.request.method,
        status,
        errorCode,
        durationMs: ms,
        createdAt: this.createdAt,
        grantId: this.extra?.grantId ?? null,
        visitor: this.extra?.visitor ?? null,
      });
    }
  }
}

/** JSON and schema checks of the body; every failure is INVALID_REQUEST. */
function parseForwardBody(text: string): ForwardRequest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new KeyholeError('INVALID_REQUEST', 'The request body is not valid JSON.');
  }
  return parseWith(ForwardRequest, json, 'body');
}

/**
 * The account behind the session, and its membership + item row for the first secret: one
 * statement (one SQLite read transaction, one PostgreSQL round trip) for both lookups. Only a
 * caller with a live session learns what is wrong with its body.
 */
async function authorize(
  core: ForwardCore,
  tokenHash: string,
  text: string,
): Promise<{ accountId: string; req: ForwardRequest; first: PrefetchedRow }> {
  const now = core.now();
  let req: ForwardRequest;
  try {
    req = parseForwardBody(text);
  } catch (invalid) {
    const session = await core.hot.findLiveSession(tokenHash, now);
    if (!session) throw new KeyholeError('UNAUTHENTICATED');
    throw invalid;
  }
  const ref = req.secrets[0]!;
  const row = await core.hot.findSessionMemberItem(tokenHash, now, ref.vaultId, ref.itemId);
  if (!row) throw new KeyholeError('UNAUTHENTICATED');
  const member =
    row.member_id === null
      ? undefined
      : { account_id: row.member_id, data: row.data, deleted: row.deleted };
  return { accountId: row.account_id, req, first: { row: member } };
}

/** What an authorisation source (a session, or a grant) hands the engine. */
export interface AuthorizedForward {
  /** the account the forward acts for (audited; the grant's creator for a grant) */
  accountId: string;
  req: ForwardRequest;
  /** the first secret's membership + item row, looked up with the authorisation */
  first: PrefetchedRow;
}

export interface GrantAudit {
  grantId: string;
  visitor: string | null;
}

/** Extra steps of a non-session source (grants: server/routes/grants/forward-handler.ts). */
export interface ForwardHooks {
  audit?: GrantAudit;
  /**
   * Runs on exactly what will be sent, after the secret's own policy (hosts, placement) and
   * before anything leaves; a throw refuses the request (audited, nothing sent).
   */
  beforeSend?: (prepared: PreparedForward) => void | Promise<void>;
}

/**
 * Runs one forward request: `tokenHash` is the caller's session token (checked here, with the
 * first secret's membership and item), `t0` when its handling began (for the audit's duration).
 * Errors before the upstream's headers are thrown as KeyholeError.
 */
export async function runForward(
  core: ForwardCore,
  tokenHash: string,
  text: string,
  outgoing: ServerResponse,
  t0: number,
): Promise<ForwardOutcome> {
  return forwardAuthorized(core, await authorize(core, tokenHash, text), outgoing, t0);
}

/**
 * The engine behind every source of authorisation: prepare (decryption, host policy, placement,
 * substitution), the source's own last check, then queue or send, scrub and audit.
 */
export async function forwardAuthorized(
  core: ForwardCore,
  auth: AuthorizedForward,
  outgoing: ServerResponse,
  t0: number,
  hooks?: ForwardHooks,
): Promise<ForwardOutcome> {
  const forwarder = core.forwarder;
  const { accountId, req, first } = auth;
  const loading = core.ensureCrypto();
  if (loading) await loading;

  const audit = new AuditRecorder(forwarder, accountId, req, t0, hooks?.audit);
  let prepared: PreparedForward | undefined;
  try {
    prepared = await prepareForward(
      { hot: core.hot, oauth: forwarder.oauth, minted: forwarder.minted, now: forwarder.now },
      accountId,
      req,
      audit.targets,
      first,
    );
    if (hooks?.beforeSend) await hooks.beforeSend(prepared);
  } catch (err) {
    // A vault the account is not a member of is not "known": no row in someone else's log.
    if (err instanceof KeyholeError && err.code !== 'FORBIDDEN') audit.record(null, err.code);
    throw err;
  }

  if (req.queue !== undefined || req.poll !== undefined) {
    const ticket = await forwarder.queue.submit(accountId, req, prepared, (r) =>
      audit.record(r.status, r.errorCode, r.durationMs),
    );
    return { kind: 'ticket', ticket };
  }

  audit.host = prepared.outgoing.dest.url.host.slice(0, 300);
  const sink = nodeSink(outgoing);
  const run = executeWithRefresh(forwarder.agent, prepared, sink, forwarder.limits);
  prepared = undefined; // the secret-bearing request lives on only inside the running exchange
  void run.done.then((o) => audit.record(o.status ?? null, o.error?.code ?? null));
  try {
    await run.started;
  } catch (err) {
    throw err instanceof KeyholeError ? err : new KeyholeError('INTERNAL');
  }
  return { kind: 'streamed' };
}
