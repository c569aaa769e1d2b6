import pg from 'pg';
import type { Logger } from '../shared/logger.js';
import { EVENTS_CHANNEL } from './event-log.js';

/**
 * The cross-process seam of realtime delivery. Events travel through the log (PostgreSQL), never
 * through the signal: a signal only says "the log has grown", so every server process reads the same
 * committed rows in sequence order, and a lost or duplicated signal costs latency, not events (the
 * feed also polls). PostgreSQL LISTEN/NOTIFY is the default and needs no extra infrastructure; a Redis
 * or NATS signal would implement this interface and be announced after commit.
 */
export interface CommitSignal {
  /** Calls `onCommit` (possibly coalesced or spurious) whenever events may have committed, and after a reconnect. */
  start(onCommit: () => void): Promise<void>;
  close(): Promise<void>;
}

/** LISTEN on EVENTS_CHANNEL, which appendEvents NOTIFYs inside the writing transaction (so only at commit). */
export class PgCommitSignal implements CommitSignal {
  private client?: pg.Client;
  private closed = false;
  private retry?: NodeJS.Timeout;

  constructor(
    private readonly databaseUrl: string,
    private readonly logger: Logger,
  ) {}

  async start(onCommit: () => void): Promise<void> {
    await this.connect(onCommit);
  }

  private async connect(onCommit: () => void): Promise<void> {
    const client = new pg.Client({
      connectionString: this.databaseUrl,
      connectionTimeoutMillis: 5000,
      application_name: 'docket-events',
    });
    client.on('notification', () => onCommit());
    client.on('error', (err) => {
      // Only a connection that was listening reconnects (a failed connect is retried by its caller).
      if (this.closed || this.client !== client) return;
      this.client = undefined;
      this.logger.warn(
        { err: err.message },
        'event signal connection lost: reconnecting (the feed polls meanwhile)',
      );
      client.end().catch(() => {});
      this.reconnect(onCommit, 500);
    });
    try {
      await client.connect();
      await client.query(`listen ${EVENTS_CHANNEL}`);
    } catch (err) {
      client.end().catch(() => {});
      throw err;
    }
    // Closed while this (re)connect was under way: close() found no client to end, so end it here, or
    // it would stay open (and the embedded database's last-one-out stop would see another client).
    if (this.closed) {
      await client.end().catch(() => {});
      return;
    }
    this.client = client;
    onCommit(); // whatever committed while not listening
  }

  private reconnect(onCommit: () => void, delayMs: number): void {
    if (this.closed) return;
    this.retry = setTimeout(() => {
      this.connect(onCommit).catch((err: Error) => {
        this.logger.debug({ err: err.message }, 'event signal: reconnect failed, trying again');
        // At most a second apart: after a database restart the signal is back within a second.
        this.reconnect(onCommit, Math.min(delayMs * 2, 1000));
      });
    }, delayMs);
    this.retry.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    await this.client?.end().catch(() => {});
  }
}
