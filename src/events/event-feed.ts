import type { EntityManager } from '@mikro-orm/postgresql';
import { readRows } from '../db/read.js';
import type { Logger } from '../shared/logger.js';
import type { CommitSignal } from './commit-signal.js';
import { FEED_EVENT_COLUMNS, rowToFeedEvent, type FeedEvent, type FeedEventRow } from './feed-event.js';

/** Receives every committed event, in sequence order, once. Must be quick and must not throw. */
export interface FeedListener {
  offer(events: readonly FeedEvent[]): void;
}

export interface EventFeedOptions {
  em: EntityManager;
  signal: CommitSignal;
  logger: Logger;
  /** Read the log this often even without a signal (ms). */
  pollMs: number;
  /** Rows per read. */
  batch?: number;
}

/**
 * One per server process: follows the event log from the sequence it started at and hands each batch
 * of newly committed events to every listener (the subscriptions of this process). One reader per
 * process, however many subscribers. The sequence is gapless in commit order (see event-log.ts), so
 * `seq > position` after a commit signal returns exactly the events not yet seen, and never an event
 * of a transaction that rolled back.
 */
export class EventFeed {
  private cursor = 0;
  private readonly listeners = new Set<FeedListener>();
  private reading?: Promise<void>;
  private again = false;
  private poll?: NodeJS.Timeout;
  private stopped = false;

  constructor(private readonly opts: EventFeedOptions) {}

  async start(): Promise<void> {
    const [row] = await readRows<{ last_seq: string }>(
      this.opts.em,
      'select last_seq from event_sequence where id = 1',
    );
    this.cursor = Number(row?.last_seq ?? 0);
    await this.opts.signal.start(() => this.wake());
    this.poll = setInterval(() => this.wake(), this.opts.pollMs);
    this.poll.unref();
  }

  /** The last sequence handed to listeners: every event up to it has been offered. */
  get position(): number {
    return this.cursor;
  }

  add(listener: FeedListener): void {
    this.listeners.add(listener);
  }

  remove(listener: FeedListener): void {
    this.listeners.delete(listener);
  }

  get listenerCount(): number {
    return this.listeners.size;
  }

  /** Reads what committed since the last read (one read at a time; a wake during a read reads again). */
  wake(): void {
    if (this.stopped) return;
    if (this.reading) {
      this.again = true;
      return;
    }
    this.reading = this.drain()
      .catch((err: Error) =>
        this.opts.logger.warn({ err }, 'reading the event log failed: retrying at the next poll'),
      )
      .finally(() => {
        this.reading = undefined;
      });
  }

  private async drain(): Promise<void> {
    const batch = this.opts.batch ?? 500;
    do {
      this.again = false;
      for (;;) {
        const rows = await readRows<FeedEventRow>(
          this.opts.em,
          `select ${FEED_EVENT_COLUMNS} from ticket_event where seq > ? order by seq limit ?`,
          [this.cursor, batch],
        );
        if (rows.length === 0 || this.stopped) break;
        const events = rows.map(rowToFeedEvent);
        this.cursor = events.at(-1)!.seq;
        for (const l of this.listeners) l.offer(events);
        if (rows.length < batch) break;
      }
    } while (this.again && !this.stopped);
  }

  async close(): Promise<void> {
    this.stopped = true;
    clearInterval(this.poll);
    await this.opts.signal.close();
    await this.reading;
  }
}
