import type { EntityManager } from '@mikro-orm/postgresql';
import { isDatabaseUnavailable } from '../db/health.js';
import { readRows } from '../db/read.js';
import type { Logger } from '../shared/logger.js';
import { traced } from '../ops/trace.js';
import type { CommitSignal } from './commit-signal.js';
import type { IndexedFact, Selector } from './event-filter.js';
import { FEED_EVENT_COLUMNS, rowToFeedEvent, type FeedEvent, type FeedEventRow } from './feed-event.js';

/**
 * Receives committed events, in sequence order, each once: every event, or with `selectors` only
 * those they select (see selectorsOf). Must be quick and must not throw.
 */
export interface FeedListener {
  offer(event: FeedEvent): void;
  /** Fixed for the listener's life. */
  readonly selectors?: readonly Selector[];
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
 *
 * Listeners are filed by their selectors (a team, an assignee, a requester, …), so an event is offered
 * only to those filed under one of its facts, plus those that take everything: with thousands of
 * subscribers, each event costs the few that may want it, not a check of every one.
 */
export class EventFeed {
  private cursor = 0;
  private readonly listeners = new Set<FeedListener>();
  /** Listeners without selectors. */
  private readonly everything = new Set<FeedListener>();
  private readonly index = new Map<IndexedFact, Map<string, Set<FeedListener>>>();
  /** Listeners filed under more than one fact (an event may select them twice): the last seq offered. */
  private readonly multi = new Map<FeedListener, number>();
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
    if (this.listeners.has(listener)) return;
    const { selectors } = listener;
    this.listeners.add(listener);
    if (!selectors) return void this.everything.add(listener);
    if (selectors.length > 1) this.multi.set(listener, 0);
    for (const { fact, values } of selectors) {
      let byValue = this.index.get(fact);
      if (!byValue) this.index.set(fact, (byValue = new Map()));
      for (const v of values) {
        let filed = byValue.get(v);
        if (!filed) byValue.set(v, (filed = new Set()));
        filed.add(listener);
      }
    }
  }

  remove(listener: FeedListener): void {
    if (!this.listeners.delete(listener)) return;
    this.everything.delete(listener);
    this.multi.delete(listener);
    for (const { fact, values } of listener.selectors ?? []) {
      const byValue = this.index.get(fact)!;
      for (const v of values) {
        const filed = byValue.get(v);
        filed?.delete(listener);
        if (filed?.size === 0) byValue.delete(v);
      }
    }
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
        // During an outage this repeats every poll: the health monitor has logged the outage once.
        isDatabaseUnavailable(err)
          ? this.opts.logger.debug(
              { err: err.message },
              'event log unreachable: reading again at the next poll',
            )
          : this.opts.logger.warn({ err }, 'reading the event log failed: retrying at the next poll'),
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
        traced(
          'events.deliver',
          {
            'docket.events': events.length,
            'docket.seq.last': this.cursor,
            'docket.listeners': this.listeners.size,
          },
          () => {
            for (const e of events) this.offer(e);
          },
        );
        if (rows.length < batch) break;
      }
    } while (this.again && !this.stopped);
  }

  private offer(e: FeedEvent): void {
    for (const l of this.everything) l.offer(e);
    for (const [fact, byValue] of this.index) {
      const v = e[fact];
      if (v === undefined) continue;
      if (Array.isArray(v)) for (const one of v) this.offerTo(byValue.get(one), e);
      else this.offerTo(byValue.get(v), e);
    }
  }

  private offerTo(filed: Set<FeedListener> | undefined, e: FeedEvent): void {
    if (!filed) return;
    for (const l of filed) {
      if (this.multi.size && this.multi.has(l)) {
        if (this.multi.get(l) === e.seq) continue;
        this.multi.set(l, e.seq);
      }
      l.offer(e);
    }
  }

  async close(): Promise<void> {
    this.stopped = true;
    clearInterval(this.poll);
    await this.opts.signal.close();
    await this.reading;
  }
}
