import pg from 'pg';
import type { Logger } from '../shared/logger.js';

/**
 * SQLSTATEs that mean "the database is not there right now", not "this statement is wrong":
 * class 08 (connection exception), admin/crash shutdown and "cannot connect now" (57P01–57P03), and
 * too many connections (53300). https://www.postgresql.org/docs/current/errcodes-appendix.html
 * Not 08P01 (protocol violation): that is what one statement gets for text PostgreSQL cannot take
 * (a NUL inlined into a query by the ORM answers "invalid message format"), a fault of that request:
 * taken for an outage, one such request would answer 503 and mark the database down for everyone.
 */
const OUTAGE_SQLSTATE = /^(08(?!P01)...|57P0[123]|53300)$/;
/** Socket-level failures of a connection attempt or an open connection. */
const OUTAGE_ERRNO = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
/**
 * What pg, tarn and knex say when a connection is gone or cannot be had (they carry no code). knex's
 * "Transaction query already complete" is what a transaction's next statement gets once the
 * transaction's connection died under it.
 */
const OUTAGE_MESSAGE =
  /Connection terminated|connection error and is not queryable|Client was closed and is not queryable|Timeout acquiring a connection|timeout exceeded when trying to connect|Connection ended unexpectedly|the database system is (starting up|shutting down)|Transaction query already complete/i;

/**
 * Whether `err` (or any error it wraps, through `cause`, `originalError` or `errors`) means the
 * database cannot be reached: an outage to wait out (HTTP 503), not a fault of the request or a bug.
 */
export function isDatabaseUnavailable(err: unknown, depth = 0): boolean {
  if (!err || typeof err !== 'object' || depth > 6) return false;
  const e = err as {
    code?: unknown;
    message?: unknown;
    cause?: unknown;
    originalError?: unknown;
    errors?: unknown;
  };
  if (typeof e.code === 'string' && (OUTAGE_SQLSTATE.test(e.code) || OUTAGE_ERRNO.has(e.code))) return true;
  if (typeof e.message === 'string' && OUTAGE_MESSAGE.test(e.message)) return true;
  if (isDatabaseUnavailable(e.cause, depth + 1) || isDatabaseUnavailable(e.originalError, depth + 1))
    return true;
  return Array.isArray(e.errors) && e.errors.some((x) => isDatabaseUnavailable(x, depth + 1));
}

export interface DatabaseHealthOptions {
  url: string;
  logger: Logger;
  /** Probe interval while the database answers (ms). */
  upProbeMs?: number;
  /** Probe interval while it does not (ms): how soon a return is noticed. */
  downProbeMs?: number;
  /** Called when the database has not answered for a while: an embedded database is started again. */
  revive?: () => Promise<unknown>;
}

/**
 * Knows whether this process can reach its database, so that during an outage requests are answered
 * at once with SERVICE_UNAVAILABLE (503) instead of waiting on a pool, `/readyz` says so, and the parts
 * that hold connections (the event feed, the scheduler) know when to catch up.
 *
 * One connection of its own runs `select 1` every `upProbeMs` (1 s), and at once when anything
 * `report`s an outage error or the connection itself fails (PostgreSQL terminating it is the usual
 * first sign); while down, it tries every `downProbeMs` (250 ms). Listeners hear each change.
 */
export class DatabaseHealth {
  private client?: pg.Client;
  private state: 'up' | 'down' = 'up';
  private downSince?: number;
  private lastRevive = 0;
  private timer?: NodeJS.Timeout;
  private probing?: Promise<void>;
  private closed = false;
  private readonly listeners = new Set<(up: boolean) => void>();
  private readonly upProbeMs: number;
  private readonly downProbeMs: number;

  constructor(private readonly o: DatabaseHealthOptions) {
    this.upProbeMs = o.upProbeMs ?? 1000;
    this.downProbeMs = o.downProbeMs ?? 250;
  }

  /** Whether the last probe (or query) found the database answering. */
  get up(): boolean {
    return this.state === 'up';
  }

  /** Seconds the database has been unreachable (0 while up). */
  get downForSeconds(): number {
    return this.downSince === undefined ? 0 : Math.round((Date.now() - this.downSince) / 1000);
  }

  /** `listener(up)` on every change; returns the unsubscribe. */
  onChange(listener: (up: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Probes once (the caller knows the database answers at start) and keeps probing. */
  async start(): Promise<void> {
    await this.probe();
  }

  /** Something failed: if it was an outage error, probe now (returns whether it was one). */
  report(err: unknown): boolean {
    if (!isDatabaseUnavailable(err)) return false;
    void this.probe();
    return true;
  }

  /** One probe at a time; a probe requested during one shares it. */
  probe(): Promise<void> {
    this.probing ??= this.check().finally(() => {
      this.probing = undefined;
      this.schedule();
    });
    return this.probing;
  }

  private schedule(): void {
    if (this.closed) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.probe(), this.up ? this.upProbeMs : this.downProbeMs);
    this.timer.unref();
  }

  private async check(): Promise<void> {
    if (this.closed) return;
    try {
      if (!this.client) {
        const client = new pg.Client({
          connectionString: this.o.url,
          connectionTimeoutMillis: 2000,
          query_timeout: 2000,
          application_name: 'docket-health',
        });
        client.on('error', () => {
          // A terminated or broken connection: drop it and look again at once.
          if (this.client === client) this.client = undefined;
          client.end().catch(() => {});
          void this.probe();
        });
        this.client = client;
        try {
          await client.connect();
        } catch (err) {
          this.client = undefined;
          client.end().catch(() => {});
          throw err;
        }
      }
      await this.client.query('select 1');
      this.set('up');
    } catch (err) {
      const client = this.client;
      this.client = undefined;
      client?.end().catch(() => {});
      this.set('down', err);
      if (this.o.revive && Date.now() - this.lastRevive > 5000 && Date.now() - this.downSince! > 1000) {
        this.lastRevive = Date.now();
        await this.o
          .revive()
          .catch((e: Error) =>
            this.o.logger.warn({ err: e.message }, 'could not start the embedded PostgreSQL again'),
          );
      }
    }
  }

  private set(state: 'up' | 'down', err?: unknown): void {
    if (this.closed || state === this.state) return;
    this.state = state;
    if (state === 'down') {
      this.downSince = Date.now();
      this.o.logger.warn(
        { err: (err as Error | undefined)?.message },
        'the database is unreachable: answering 503 until it returns',
      );
    } else {
      this.o.logger.info({ downSeconds: this.downForSeconds }, 'the database is reachable again');
      this.downSince = undefined;
    }
    for (const l of this.listeners) {
      try {
        l(state === 'up');
      } catch (e) {
        this.o.logger.error({ err: e }, 'a database health listener failed');
      }
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.probing?.catch(() => {});
    await this.client?.end().catch(() => {});
    this.client = undefined;
  }
}
