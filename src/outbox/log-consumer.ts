import type { EntityManager } from '@mikro-orm/postgresql';
import type { CommitSignal } from '../events/commit-signal.js';
import {
  FEED_EVENT_COLUMNS,
  rowToFeedEvent,
  type FeedEvent,
  type FeedEventRow,
} from '../events/feed-event.js';
import type { Logger } from '../shared/logger.js';

export interface LogConsumerOptions {
  /** The cursor's name (a row of event_consumer): one per consumer, e.g. "notify" or "webhook:<id>". */
  name: string;
  em: EntityManager;
  /** Wakes the consumer when events may have committed (the event log's NOTIFY). */
  signal: CommitSignal;
  logger: Logger;
  /** Read the log this often even without a signal (ms). */
  pollMs: number;
  /** Events per transaction (whole changes are kept together, so a batch may hold a few more). */
  batch?: number;
  /**
   * What the events cause, written with `tx`: the same transaction moves the cursor past them, so
   * each event is handled exactly once (a failure rolls both back and the batch is read again).
   * Events come in sequence order and only committed ones; a change's events are never split.
   */
  handle(tx: EntityManager, events: FeedEvent[]): Promise<void>;
  /** After a batch committed (e.g. to wake the deliveries it queued). */
  afterCommit?(events: FeedEvent[]): void;
}

/**
 * Follows the committed event log from a durable cursor (ARCHITECTURE: "Consumers of the event log").
 *
 * Each step is one transaction: lock the consumer's cursor row (`FOR UPDATE SKIP LOCKED`, so any number
 * of processes may run the same consumer and one works while the others skip), read the events after
 * it, `handle` them, move the cursor. The log's sequence is gapless in commit order, so the cursor
 * sees every committed event once, in order, never a rolled-back one; after a crash or an outage it
 * resumes where the last committed step left it. A failing step (the database is down) is retried
 * with back-off up to 10 s, and the poll keeps trying, so the consumer pauses and resumes by itself.
 */
export class LogConsumer {
  private reading?: Promise<void>;
  private again = false;
  private stopped = false;
  private poll?: NodeJS.Timeout;
  private retry?: NodeJS.Timeout;
  private failures = 0;

  constructor(private readonly o: LogConsumerOptions) {}

  /**
   * Creates the cursor if it is missing, at the end of the log (a new consumer handles what commits
   * from now on, not the history), then follows the log.
   */
  async start(): Promise<void> {
    await this.o.em.fork().execute(
      `insert into event_consumer (name, position)
       select ?, coalesce((select last_seq from event_sequence where id = 1), 0)
       on conflict (name) do nothing`,
      [this.o.name],
    );
    await this.o.signal.start(() => this.wake());
    this.poll = setInterval(() => this.wake(), this.o.pollMs);
    this.poll.unref();
    this.wake();
  }

  /** Reads what committed since the cursor (one step at a time; a wake during a step reads again). */
  wake(): void {
    if (this.stopped) return;
    if (this.reading) {
      this.again = true;
      return;
    }
    this.reading = this.drain()
      .then(() => {
        this.failures = 0;
      })
      .catch((err: Error) => {
        this.failures++;
        const delay = Math.min(10_000, 250 * 2 ** Math.min(this.failures, 6));
        this.o.logger.warn(
          { err, consumer: this.o.name, retryInMs: delay },
          'event log consumer: a step failed (nothing was lost); retrying',
        );
        clearTimeout(this.retry);
        this.retry = setTimeout(() => this.wake(), delay);
        this.retry.unref();
      })
      .finally(() => {
        this.reading = undefined;
      });
  }

  /** Resolves when the current step (if any) has finished. */
  async idle(): Promise<void> {
    while (this.reading) await this.reading;
  }

  private async drain(): Promise<void> {
    do {
      this.again = false;
      while (!this.stopped && (await this.step()) === 'more') {
        // a full batch: read on
      }
    } while (this.again && !this.stopped);
  }

  /** One transaction: 'more' when a full batch was handled, 'done' when caught up, 'busy' when another process holds the cursor. */
  async step(): Promise<'more' | 'done' | 'busy'> {
    const batch = this.o.batch ?? 500;
    let handled: FeedEvent[] = [];
    const result = await this.o.em.fork().transactional(async (tx) => {
      const [cursor] = await tx.execute<{ position: string }[]>(
        'select position from event_consumer where name = ? for update skip locked',
        [this.o.name],
      );
      if (!cursor) return 'busy' as const;
      const rows = await tx.execute<FeedEventRow[]>(
        `select ${FEED_EVENT_COLUMNS} from ticket_event where seq > ? order by seq limit ?`,
        [cursor.position, batch],
      );
      if (rows.length === 0) return 'done' as const;
      let events = rows.map(rowToFeedEvent);
      const full = rows.length === batch;
      if (full) events = await this.completeLastChange(tx, events);
      await this.o.handle(tx, events);
      await tx.execute('update event_consumer set position = ?, updated_at = now() where name = ?', [
        events.at(-1)!.seq,
        this.o.name,
      ]);
      handled = events;
      return full ? ('more' as const) : ('done' as const);
    });
    if (handled.length) this.o.afterCommit?.(handled);
    return result;
  }

  /**
   * A full batch may end in the middle of one change (one ticket's events of one commit, which have
   * consecutive sequence numbers and the same time): read the rest of it so a change is never split.
   */
  private async completeLastChange(tx: EntityManager, events: FeedEvent[]): Promise<FeedEvent[]> {
    const last = events.at(-1)!;
    const rest = await tx.execute<FeedEventRow[]>(
      `select ${FEED_EVENT_COLUMNS} from ticket_event where seq > ? and seq < ? + 1000 order by seq`,
      [last.seq, last.seq],
    );
    const more: FeedEvent[] = [];
    for (const r of rest.map(rowToFeedEvent)) {
      const prev = more.at(-1) ?? last;
      if (r.seq !== prev.seq + 1 || !sameChange(r, last)) break;
      more.push(r);
    }
    return more.length ? [...events, ...more] : events;
  }

  /** Stops following the log; a step in progress finishes (or rolls back) first. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.poll);
    clearTimeout(this.retry);
    await this.o.signal.close();
    await this.idle().catch(() => {});
  }
}

/** Events of one ticket change: the same ticket at the same instant (consecutive in the log). */
export const sameChange = (a: FeedEvent, b: FeedEvent): boolean =>
  a.ticketId === b.ticketId && a.occurredAt.getTime() === b.occurredAt.getTime();

/** Splits events (in sequence order) into changes: runs of consecutive events of one change. */
export function changesOf(events: FeedEvent[]): FeedEvent[][] {
  const out: FeedEvent[][] = [];
  for (const e of events) {
    const current = out.at(-1);
    const prev = current?.at(-1);
    if (current && prev && prev.seq + 1 === e.seq && sameChange(prev, e)) current.push(e);
    else out.push([e]);
  }
  return out;
}
