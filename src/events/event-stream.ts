import type { EntityManager } from '@mikro-orm/postgresql';
import { isDatabaseUnavailable } from '../db/health.js';
import { readRows } from '../db/read.js';
import type { EventFeed, FeedListener } from './event-feed.js';
import {
  deliverable,
  deliverableSql,
  selectorsOf,
  type Audience,
  type EventFilter,
  type Selector,
} from './event-filter.js';
import { FEED_EVENT_COLUMNS, rowToFeedEvent, type FeedEvent, type FeedEventRow } from './feed-event.js';

export interface EventStreamOptions {
  feed: EventFeed;
  em: EntityManager;
  audience: Audience;
  filter: EventFilter;
  /** Replay every stored event after this sequence first, then go live. Absent: live from now. */
  after?: number;
  /** Live events held for a client that has not taken them; one more and `onOverflow` is called. */
  maxBuffered: number;
  /** The client cannot keep up: close its connection (it resumes with `after`). */
  onOverflow: () => void;
  replayPage?: number;
}

/** How long a replay waits before reading the log again after a database outage error (ms). */
const REPLAY_RETRY_MS = 500;

/** Where an attached stream hands its live events (see EventStream.attach). */
export interface EventSink {
  /** Takes each live event at once, in order; false: it cannot keep up (the stream ends, `onOverflow`). */
  take(event: FeedEvent): boolean;
  /** The stream has ended (unsubscribed, overflowed or closed): no more events. */
  end(): void;
}

/**
 * One subscriber's events, as an async iterator: with `after`, first the stored events after it
 * (read from the log a page at a time, as the client takes them), then the live events the feed
 * offers, with no gap and no duplicate at the seam. Once live, a consumer may `attach` a sink instead
 * and be handed each event synchronously as the feed offers it (no promise per event, and none waiting
 * for the stream's end: the sink is told).
 *
 * The seam: the stream listens to the feed from the start. While it replays, live events are held in
 * `pending`. When a replay read comes back short, it has read every matching event committed before
 * that read; anything committed after it reaches the feed after that, so it is in `pending` or still
 * to come. Events at or below the last sequence queued are dropped as duplicates. If `pending` overflows
 * while replaying, it is emptied and the replay reads the log again instead (nothing is lost: every
 * event is in the log).
 */
export class EventStream implements FeedListener, AsyncIterableIterator<FeedEvent> {
  // Made when first needed: a live stream with a sink attached never needs them.
  private buffer?: FeedEvent[];
  private pending?: FeedEvent[];
  private pendingLost = false;
  private replaying: boolean;
  private lastQueued: number;
  private waiter?: (r: IteratorResult<FeedEvent>) => void;
  private sink?: EventSink;
  private done = false;

  readonly selectors: readonly Selector[] | undefined;

  constructor(private readonly o: EventStreamOptions) {
    this.selectors = selectorsOf(o.audience, o.filter);
    this.replaying = o.after !== undefined;
    this.lastQueued = o.after ?? o.feed.position;
    o.feed.add(this);
  }

  offer(e: FeedEvent): void {
    // Imported history (src/import) is not news: it is in the log and replays, never pushed live.
    if (e.imported) return;
    if (this.done || e.seq <= this.lastQueued || !deliverable(this.o.audience, this.o.filter, e)) return;
    if (this.replaying) {
      const pending = (this.pending ??= []);
      if (pending.length >= this.o.maxBuffered) {
        this.pending = undefined;
        this.pendingLost = true;
      } else pending.push(e);
      return;
    }
    this.lastQueued = e.seq;
    if (this.sink) {
      if (!this.sink.take(e)) this.overflow();
    } else if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      w({ value: e, done: false });
    } else if ((this.buffer?.length ?? 0) >= this.o.maxBuffered) this.overflow();
    else (this.buffer ??= []).push(e);
  }

  /**
   * From now on, hand every live event to `sink` as it is offered (first those already waiting), instead
   * of through `next`, and tell it when the stream ends (at once if it has). Only once the replay is
   * over: false while replaying (take `next` until then).
   */
  attach(sink: EventSink): boolean {
    if (this.replaying) return false;
    if (this.done) {
      sink.end();
      return true;
    }
    this.sink = sink;
    const waiting = this.buffer;
    this.buffer = undefined;
    for (const e of waiting ?? []) {
      if (!sink.take(e)) {
        this.overflow();
        break;
      }
    }
    return true;
  }

  private overflow(): void {
    this.end();
    this.o.onOverflow();
  }

  async next(): Promise<IteratorResult<FeedEvent>> {
    while (!this.done && this.replaying && !this.buffer?.length) {
      try {
        await this.replayPage();
      } catch (err) {
        // A database outage pauses the replay (the subscription stays open); it resumes where it was.
        if (!isDatabaseUnavailable(err)) throw err;
        await new Promise((r) => setTimeout(r, REPLAY_RETRY_MS));
      }
    }
    if (this.buffer?.length) return { value: this.buffer.shift()!, done: false };
    if (this.done) return { value: undefined, done: true };
    return new Promise((resolve) => (this.waiter = resolve));
  }

  private async replayPage(): Promise<void> {
    const limit = this.o.replayPage ?? 500;
    const { where, values } = deliverableSql(this.o.audience, this.o.filter);
    // Up to what the feed has offered (what it offers later reaches `pending`): so a replay never runs
    // ahead of the feed past a credential change it has yet to announce (docs/REALTIME.md).
    const rows = await readRows<FeedEventRow>(
      this.o.em,
      `select ${FEED_EVENT_COLUMNS} from ticket_event where seq > ? and seq <= ? and ${where} order by seq limit ?`,
      [this.lastQueued, this.o.feed.position, ...values, limit],
    );
    const buffer = (this.buffer ??= []);
    for (const r of rows) buffer.push(rowToFeedEvent(r));
    if (rows.length) this.lastQueued = buffer.at(-1)!.seq;
    if (rows.length === limit) return;
    if (this.pendingLost) {
      this.pendingLost = false;
      return;
    }
    this.replaying = false;
    for (const e of this.pending ?? []) {
      if (e.seq > this.lastQueued) {
        buffer.push(e);
        this.lastQueued = e.seq;
      }
    }
    this.pending = undefined;
  }

  private end(): void {
    this.done = true;
    this.o.feed.remove(this);
    this.buffer = undefined;
    this.pending = undefined;
    const sink = this.sink;
    this.sink = undefined;
    const w = this.waiter;
    this.waiter = undefined;
    w?.({ value: undefined, done: true });
    sink?.end();
  }

  async return(): Promise<IteratorResult<FeedEvent>> {
    this.end();
    return { value: undefined, done: true };
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
