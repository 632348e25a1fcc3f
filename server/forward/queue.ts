// Queued and polled requests (Skapi `queue` / `poll` / `expires`): the accepting relay keeps the
// prepared request in memory (it alone holds the secret), waits for its turn in the database's
// order, runs it and stores the scrubbed answer for polling (docs/forward.md, "Queue and poll").
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type pino from 'pino';
import type { Dispatcher } from 'undici';
import { KeyholeError } from '../../shared/errors.js';
import type { ForwardRequest, ForwardTicket } from '../../shared/protocol/forward.js';
import type { Database } from '../db/schema.js';
import type { AnswerSink } from './execute.js';
import { executeWithRefresh } from './execute-refresh.js';
import type { ForwardConfig } from './forward-config.js';
import {
  claimTurn,
  finishRequest,
  insertRequest,
  newRequestId,
  purgeExpired,
  renewLeases,
} from '../db/forward-requests-repo.js';
import type { PreparedForward } from './build-request.js';

const LEASE_MS = 30_000;
const RENEW_MS = 10_000;
const POLL_MS = 50;
const PURGE_EVERY_MS = 10_000;

export interface RunResult {
  status: number | null;
  errorCode: string | null;
  durationMs: number;
}

/** Same account, method, url as templated and queue name → one queue (Skapi's rule, per account). */
export function queueKey(accountId: string, req: ForwardRequest): string | null {
  if (req.queue === undefined) return null;
  return createHash('sha256')
    .update(JSON.stringify([accountId, req.request.method, req.request.url, req.queue]))
    .digest('hex');
}

/** Collects an answer in memory for a ticket (the upstream is cut off past `cap`). */
class TicketSink implements AnswerSink {
  status = 0;
  headers: Record<string, string> = {};
  private chunks: Buffer[] = [];
  start(status: number, headers: Record<string, string | string[]>): void {
    this.status = status;
    for (const [k, v] of Object.entries(headers))
      this.headers[k] = Array.isArray(v) ? v.join(', ') : v;
  }
  write(chunk: Buffer): boolean {
    this.chunks.push(chunk);
    return true;
  }
  onceDrain(): void {}
  end(): void {}
  abort(): void {}
  onClose(): void {}
  body(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

export class ForwardQueue {
  private readonly live = new Set<string>();
  private readonly waiters = new Set<() => void>();
  private renewTimer: NodeJS.Timeout | null = null;
  private lastPurge = 0;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly dispatcher: Dispatcher,
    private readonly config: ForwardConfig,
    private readonly logger: pino.Logger,
    private readonly now: () => number,
  ) {}

  /** Records the request and starts it in the background; answers the 202 ticket. */
  async submit(
    accountId: string,
    req: ForwardRequest,
    prepared: PreparedForward,
    onDone: (result: RunResult) => void,
  ): Promise<ForwardTicket> {
    const now = this.now();
    await this.maybePurge(now);
    const id = newRequestId();
    const key = queueKey(accountId, req);
    const expiresAt = now + (req.expires ?? this.config.defaultExpiresSec) * 1000;
    const seq = await insertRequest(this.db, {
      id,
      accountId,
      queueKey: key,
      now,
      expiresAt,
      leaseUntil: now + LEASE_MS,
    });
    this.live.add(id);
    this.ensureRenewal();
    void this.run(id, key, seq, expiresAt, prepared, onDone);
    return { requestId: id, state: 'queued', expiresAt };
  }

  private async run(
    id: string,
    key: string | null,
    seq: number,
    expiresAt: number,
    prepared: PreparedForward,
    onDone: (r: RunResult) => void,
  ): Promise<void> {
    const t0 = performance.now();
    try {
      while (!(await claimTurn(this.db, id, key, seq, this.now(), this.now() + LEASE_MS))) {
        if (this.now() >= expiresAt) throw new KeyholeError('REQUEST_EXPIRED');
        await this.waitForChange();
      }
      const sink = new TicketSink();
      const limits = {
        maxResponseBytes: Math.min(this.config.maxResponseBytes, this.config.ticketBodyBytes),
        totalTimeoutMs: this.config.totalTimeoutMs,
      };
      const outcome = await executeWithRefresh(this.dispatcher, prepared, sink, limits).done;
      if (outcome.error) throw outcome.error;
      await finishRequest(this.db, id, this.now(), {
        state: 'done',
        status: sink.status,
        headers: sink.headers,
        body: sink.body(),
      });
      onDone({ status: sink.status, errorCode: null, durationMs: performance.now() - t0 });
    } catch (err) {
      const e = err instanceof KeyholeError ? err : new KeyholeError('INTERNAL');
      if (!(err instanceof KeyholeError)) this.logger.error({ err }, 'queued forward failed');
      await finishRequest(this.db, id, this.now(), {
        state: 'failed',
        code: e.code,
        message: e.message,
      }).catch((dbErr: unknown) =>
        this.logger.error({ err: dbErr }, 'could not record a failed forward'),
      );
      onDone({ status: null, errorCode: e.code, durationMs: performance.now() - t0 });
    } finally {
      this.live.delete(id);
      // The secret-bearing request is dropped here; wake the others (our turn is over).
      prepared.scrub.length = 0;
      for (const wake of [...this.waiters]) wake();
    }
  }

  /** Resolves when a local request finished or after a short poll (another relay may have). */
  private waitForChange(): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, POLL_MS);
      this.waiters.add(done);
    });
  }

  private ensureRenewal(): void {
    if (this.renewTimer) return;
    this.renewTimer = setInterval(() => {
      if (this.live.size === 0) {
        clearInterval(this.renewTimer!);
        this.renewTimer = null;
        return;
      }
      renewLeases(this.db, [...this.live], this.now() + LEASE_MS).catch((err: unknown) =>
        this.logger.error({ err }, 'could not renew forward leases'),
      );
    }, RENEW_MS);
    this.renewTimer.unref();
  }

  private async maybePurge(now: number): Promise<void> {
    if (now - this.lastPurge < PURGE_EVERY_MS) return;
    this.lastPurge = now;
    await purgeExpired(this.db, now);
  }
}
