// PostgreSQL: the relays on one database keep each other's caches exact with LISTEN/NOTIFY.
// Writes NOTIFY inside their transaction (cache-events.ts); this listener, on a connection of its
// own, drops what each notification names. Fail closed: the cache is usable only while the
// listener holds a lease — renewed by a ping it NOTIFYs itself every PING_MS. PostgreSQL delivers
// notifications in commit order, so receiving our ping proves every invalidation committed
// before it was sent has arrived. Losing the connection (or a ping not coming back within
// LEASE_MS) drops the whole cache; the relay serves uncached until it listens again.
import { createHash, randomBytes } from 'node:crypto';
import pg from 'pg';
import type pino from 'pino';
import { ackTokens, decodeEvents } from './cache-events.js';
import type { PeerAcks, RelayCache } from './relay-cache.js';

export const PING_MS = 500;
export const LEASE_MS = 3000;
const RECONNECT_MIN_MS = 100;
const RECONNECT_MAX_MS = 5000;

/** One channel per schema (NOTIFY is database-wide; several relays' schemas may share one). */
export function channelFor(schema: string): string {
  const plain = `keyhole_cache_${schema}`;
  return plain.length <= 63
    ? plain
    : `keyhole_cache_${createHash('sha256').update(schema).digest('hex').slice(0, 32)}`;
}

/** The application_name of the listening connections of one channel (writers look them up). */
export function listenerNameFor(channel: string): string {
  return `keyhole-cache ${channel}`.slice(0, 63);
}

export class PgInvalidation implements PeerAcks {
  private client: pg.Client | undefined;
  private closed = false;
  private backoff = RECONNECT_MIN_MS;
  private pingTimer: NodeJS.Timeout | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private readonly id = randomBytes(6).toString('hex');
  private seq = 0;
  /** ping sequence number → performance.now() when it was sent */
  private readonly pending = new Map<number, number>();
  /** the backend pid of the listening connection (tests cut it with pg_terminate_backend) */
  backendPid: number | undefined;
  readonly listenerName: string;
  /** writes of this relay waiting for other relays' acknowledgements, by token */
  private readonly waiting = new Map<string, { pids: Set<number>; done: () => void }>();

  constructor(
    private readonly config: pg.ClientConfig,
    private readonly channel: string,
    private readonly cache: RelayCache,
    private readonly logger: pino.Logger,
  ) {
    cache.channel = channel;
    cache.peers = this;
    this.listenerName = listenerNameFor(channel);
  }

  ownPid(): number | undefined {
    return this.backendPid;
  }

  expect(token: string, pids: number[]): (ms: number) => Promise<void> {
    let resolve!: () => void;
    const acked = new Promise<void>((r) => (resolve = r));
    const entry = { pids: new Set(pids), done: resolve };
    this.waiting.set(token, entry);
    return async (ms) => {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([acked, new Promise<void>((r) => (timer = setTimeout(r, ms)))]);
      } finally {
        clearTimeout(timer);
        this.waiting.delete(token);
      }
    };
  }

  /**
   * Listens; resolves after the first attempt. The cache stays off until a LISTEN succeeds (a
   * failed first attempt is retried in the background: the relay serves uncached meanwhile).
   */
  async start(): Promise<void> {
    await this.connect().catch((err: unknown) => {
      const client = this.client;
      if (client) this.lost(client, err);
      else this.scheduleReconnect();
    });
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({
      ...this.config,
      keepAlive: true,
      // (how writers find every relay's listener to wait for, and tests find it to cut it)
      application_name: this.listenerName,
    });
    this.client = client;
    client.on('notification', (msg) => this.onNotification(msg));
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client, undefined));
    await client.connect();
    const { rows } = await client.query<{ pid: number }>('select pg_backend_pid() as pid');
    this.backendPid = rows[0]?.pid;
    await client.query(`LISTEN "${this.channel}"`);
    if (this.client !== client || this.closed) return;
    // From here on every commit notifies us; whatever was read before may be stale: start empty.
    this.cache.invalidateAll();
    this.cache.extendLease(performance.now(), LEASE_MS);
    this.backoff = RECONNECT_MIN_MS;
    this.pingTimer = setInterval(() => this.ping(client), PING_MS);
    this.pingTimer.unref();
    this.logger.info({ channel: this.channel }, 'relay cache on: listening for invalidations');
  }

  private ping(client: pg.Client): void {
    const n = ++this.seq;
    const sentAt = performance.now();
    this.pending.set(n, sentAt);
    // A ping that never comes back: the connection is dead even if no error said so.
    const oldest = this.pending.values().next().value;
    if (oldest !== undefined && sentAt - oldest > LEASE_MS) {
      this.lost(client, new Error('invalidation ping timed out'));
      return;
    }
    client
      .query('select pg_notify($1, $2)', [this.channel, `p ${this.id} ${n}`])
      .catch((err: unknown) => this.lost(client, err));
  }

  private onNotification(msg: pg.Notification): void {
    const payload = msg.payload ?? '';
    if (payload.startsWith('p ')) {
      const [, id, n] = payload.split(' ');
      if (id !== this.id) return;
      const sentAt = this.pending.get(Number(n));
      if (sentAt === undefined) return;
      for (const k of this.pending.keys()) if (k <= Number(n)) this.pending.delete(k);
      this.cache.extendLease(sentAt, LEASE_MS);
      return;
    }
    if (payload.startsWith('k ')) {
      // `k <token> <pid>`: a relay's listener applied a write of ours.
      const [, token, pid] = payload.split(' ');
      const w = this.waiting.get(token ?? '');
      if (w === undefined) return;
      w.pids.delete(Number(pid));
      if (w.pids.size === 0) w.done();
      return;
    }
    const events = decodeEvents(payload);
    if (events === 'all') this.cache.invalidateAll();
    else this.cache.apply(events);
    // Applied: tell the writer (after the drop, never before).
    const client = this.client;
    const pid = this.backendPid;
    if (client === undefined || pid === undefined) return;
    for (const token of ackTokens(payload)) {
      client
        .query('select pg_notify($1, $2)', [this.channel, `k ${token} ${pid}`])
        .catch((err: unknown) => this.lost(client, err));
    }
  }

  private lost(client: pg.Client, err: unknown): void {
    if (this.client !== client) return;
    this.client = undefined;
    this.backendPid = undefined;
    clearInterval(this.pingTimer);
    this.pending.clear();
    this.cache.invalidateAll();
    client.removeAllListeners('notification');
    client.on('error', () => undefined);
    client.end().catch(() => undefined);
    if (this.closed) return;
    this.logger.warn(
      { err, channel: this.channel },
      'relay cache off: invalidation listener lost; serving uncached until it listens again',
    );
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    const delay = this.backoff;
    this.backoff = Math.min(this.backoff * 2, RECONNECT_MAX_MS);
    this.reconnectTimer = setTimeout(() => {
      if (this.closed) return;
      this.connect().catch((err: unknown) => {
        const client = this.client;
        if (client) this.lost(client, err);
        else this.scheduleReconnect();
      });
    }, delay);
    this.reconnectTimer.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.pingTimer);
    clearTimeout(this.reconnectTimer);
    this.cache.invalidateAll();
    const client = this.client;
    this.client = undefined;
    if (client) await client.end().catch(() => undefined);
  }
}
