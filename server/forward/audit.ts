// The forward audit trail, all of it: one audit_log row per secret per forwarded request — who,
// which secret, from which origin, to which host, method, status or error code, duration; never a
// value (docs/forward.md, "Audit"). ForwardAudit collects one request's rows as its steps learn
// them; AuditWriter writes rows in small batches off the hot path (one transaction per batch).
import { randomFillSync } from 'node:crypto';
import type BetterSqlite3 from 'better-sqlite3';
import { sql, type Kysely } from 'kysely';
import type pino from 'pino';
import { KeyholeError } from '../../shared/errors.js';
import type { ForwardRequest, SecretRef } from '../../shared/protocol/forward.js';
import type { AuditLogTable, Database } from '../db/schema.js';
import type { StoreDialect } from '../db/store-types.js';

export interface AuditEntry {
  vaultId: string;
  accountId: string;
  secretName: string;
  origin: string | null;
  host: string;
  method: string;
  status: number | null;
  errorCode: string | null;
  durationMs: number;
  createdAt: number;
  /** grant forwards: the grant, and a keyed hash of the visitor (never the IP) */
  grantId?: string | null;
  visitor?: string | null;
}

const FLUSH_MS = 250;
const MAX_BATCH = 500;
/** Beyond this many unwritten rows (database down), new rows are dropped and counted. */
const MAX_PENDING = 50_000;

const ID_BYTES = 16;
const IDS_PER_FILL = 256;
let idPool = Buffer.alloc(0);
let idOffset = 0;

/** A random 128-bit row id (base64url); the randomness is drawn 4 KiB at a time. */
function newRowId(): string {
  if (idOffset + ID_BYTES > idPool.length) {
    idPool = randomFillSync(Buffer.allocUnsafe(ID_BYTES * IDS_PER_FILL));
    idOffset = 0;
  }
  const id = idPool.toString('base64url', idOffset, idOffset + ID_BYTES);
  idOffset += ID_BYTES;
  return id;
}

const INSERT_SQL =
  'insert into audit_log (id, vault_id, account_id, secret_name, origin, host, method, status, ' +
  'error_code, duration_ms, created_at, grant_id, visitor) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';

export class AuditWriter {
  private pending: AuditLogTable[] = [];
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  dropped = 0;

  private sqliteInsert: ((rows: AuditLogTable[]) => void) | null = null;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: StoreDialect,
    private readonly logger: pino.Logger,
    /** the better-sqlite3 handle under `db`, when SQLite: one prepared insert, run per row */
    private readonly sqlite?: BetterSqlite3.Database,
  ) {}

  /**
   * SQLite runs with synchronous=FULL: every commit fsyncs, and better-sqlite3 does it on the
   * event loop (measured 3–20 ms here). Audit rows do not need to survive a power cut (they do
   * survive a process crash): the batch commits with synchronous=NORMAL on the one reserved
   * connection, and FULL is restored before anything else can use it.
   */
  private async write(batch: AuditLogTable[]): Promise<void> {
    if (this.dialect !== 'sqlite') {
      await this.db.insertInto('audit_log').values(batch).execute();
      return;
    }
    const sqlite = this.sqlite;
    if (sqlite?.open && !sqlite.inTransaction) {
      // Synchronous from the first pragma to the last: nothing else can use the connection
      // meanwhile. (While a Kysely transaction holds it, we queue behind it below instead.)
      if (!this.sqliteInsert) {
        const insert = sqlite.prepare(INSERT_SQL);
        this.sqliteInsert = sqlite.transaction((rows: AuditLogTable[]) => {
          for (const r of rows) {
            insert.run(
              r.id,
              r.vault_id,
              r.account_id,
              r.secret_name,
              r.origin,
              r.host,
              r.method,
              r.status,
              r.error_code,
              r.duration_ms,
              r.created_at,
              r.grant_id ?? null,
              r.visitor ?? null,
            );
          }
        });
      }
      sqlite.pragma('synchronous = normal');
      try {
        this.sqliteInsert(batch);
      } finally {
        sqlite.pragma('synchronous = full');
      }
      return;
    }
    await this.db.connection().execute(async (conn) => {
      await sql`pragma synchronous = normal`.execute(conn);
      try {
        await conn.insertInto('audit_log').values(batch).execute();
      } finally {
        await sql`pragma synchronous = full`.execute(conn);
      }
    });
  }

  record(e: AuditEntry): void {
    if (this.pending.length >= MAX_PENDING) {
      this.dropped += 1;
      return;
    }
    this.pending.push({
      id: newRowId(),
      vault_id: e.vaultId,
      account_id: e.accountId,
      secret_name: e.secretName,
      origin: e.origin,
      host: e.host,
      method: e.method,
      status: e.status,
      error_code: e.errorCode,
      duration_ms: Math.round(e.durationMs),
      created_at: e.createdAt,
      grant_id: e.grantId ?? null,
      visitor: e.visitor ?? null,
    });
    if (!this.timer) {
      this.timer = setTimeout(() => void this.flush(), FLUSH_MS);
      this.timer.unref();
    }
  }

  /** Writes everything pending (also called at shutdown). */
  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    while (this.flushing) await this.flushing;
    if (this.pending.length === 0) return;
    const batch = this.pending.splice(0, MAX_BATCH);
    this.flushing = this.write(batch)
      .then(
        () => undefined,
        (err: unknown) => {
          this.logger.error({ err, rows: batch.length }, 'audit write failed');
          if (this.pending.length + batch.length <= MAX_PENDING) this.pending.unshift(...batch);
        },
      )
      .finally(() => {
        this.flushing = null;
      });
    await this.flushing;
    if (this.pending.length > 0 && !this.timer) {
      this.timer = setTimeout(() => void this.flush(), FLUSH_MS);
      this.timer.unref();
    }
  }
}

/** grant forwards: which grant, and the visitor's keyed hash */
export interface GrantAudit {
  grantId: string;
  visitor: string | null;
}

function hostOf(url: string): string {
  try {
    return new URL(url).host.slice(0, 300);
  } catch {
    return '';
  }
}

/**
 * The audit of one forward request: one row per secret, for the vaults the account is known to be
 * a member of. The steps tell it what they learn (the secrets, each item's own name, the host);
 * the request's end writes the rows.
 */
export class ForwardAudit {
  /** `member`: the account was found to be a live member of the vault; only those get a row */
  private readonly targets: Array<{ vaultId: string; secretName: string; member: boolean }> = [];
  private readonly createdAt: number;
  /** the destination's host once the url was parsed (saves parsing it again) */
  private host: string | undefined;

  constructor(
    private readonly writer: AuditWriter,
    private readonly accountId: string,
    private readonly req: ForwardRequest,
    /** performance.now() when the request's handling began: the rows' duration */
    private readonly t0: number,
    createdAt: number,
    private readonly grant?: GrantAudit,
  ) {
    this.createdAt = createdAt;
  }

  /**
   * The template passed its checks: every secret it names gets a row from now on — once its
   * vault's membership is found (member()). A secret named after one that failed was never looked
   * up: the vault may be anyone's, and its log gets no row the caller could write into it.
   */
  expectSecrets(refs: readonly SecretRef[]): void {
    for (const ref of refs)
      this.targets.push({ vaultId: ref.vaultId, secretName: ref.name, member: false });
  }

  /** The account is a live member of this secret's vault (its row was found). */
  member(ref: SecretRef): void {
    for (const t of this.targets)
      if (t.vaultId === ref.vaultId && t.secretName === ref.name) t.member = true;
  }

  /** An item opened: its row carries the item's own, authenticated name. */
  opened(ref: SecretRef, name: string): void {
    const t = this.targets.find((a) => a.vaultId === ref.vaultId && a.secretName === ref.name);
    if (t) t.secretName = name;
  }

  sendingTo(host: string): void {
    this.host = host.slice(0, 300);
  }

  /**
   * A refusal before anything was sent. A vault the account is not a member of is not "known":
   * FORBIDDEN writes no row into someone else's log.
   */
  refused(err: unknown): void {
    if (err instanceof KeyholeError && err.code !== 'FORBIDDEN') this.record(null, err.code);
  }

  record(status: number | null, errorCode: string | null, durationMs?: number): void {
    if (this.targets.length === 0) return;
    const host = this.host ?? hostOf(this.req.request.url);
    const ms = durationMs ?? performance.now() - this.t0;
    for (const t of this.targets) {
      if (!t.member) continue;
      this.writer.record({
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
        grantId: this.grant?.grantId ?? null,
        visitor: this.grant?.visitor ?? null,
      });
    }
  }
}
