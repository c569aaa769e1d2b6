import type { EntityManager } from '@mikro-orm/postgresql';
import type { Logger } from '../shared/logger.js';
import { PgCommitSignal, type CommitSignal } from './commit-signal.js';
import { EventFeed } from './event-feed.js';
import type { Audience, EventFilter } from './event-filter.js';
import { EventStream } from './event-stream.js';
import { QueueStatsHub, type QueueStatsFilter } from './queue-stats.js';
import { watchFeed } from './metrics.js';

export interface RealtimeOptions {
  em: EntityManager;
  databaseUrl: string;
  logger: Logger;
  now: () => Date;
  /** The feed reads the log this often without a commit signal (ms). */
  pollMs: number;
  /** Live events held per subscription before its connection is closed as too slow. */
  maxBuffered: number;
  /** Another transport for commit signals (default: PostgreSQL LISTEN/NOTIFY). */
  signal?: CommitSignal;
}

/** A server process's realtime side: one event feed, the event streams on it, the wallboard counters. */
export class Realtime {
  readonly feed: EventFeed;
  readonly stats: QueueStatsHub;
  private unwatch?: () => void;

  constructor(private readonly o: RealtimeOptions) {
    this.feed = new EventFeed({
      em: o.em,
      signal: o.signal ?? new PgCommitSignal(o.databaseUrl, o.logger),
      logger: o.logger,
      pollMs: o.pollMs,
    });
    this.stats = new QueueStatsHub({
      em: o.em,
      logger: o.logger,
      now: o.now,
      position: () => this.feed.position,
      minIntervalMs: 1000,
      refreshMs: 30_000,
    });
  }

  async start(): Promise<void> {
    await this.feed.start();
    this.feed.add(this.stats);
    this.unwatch = watchFeed(this.feed, this.o.em);
  }

  events(
    audience: Audience,
    filter: EventFilter,
    after: number | undefined,
    onOverflow: () => void,
  ): EventStream {
    return new EventStream({
      feed: this.feed,
      em: this.o.em,
      audience,
      filter,
      after,
      maxBuffered: this.o.maxBuffered,
      onOverflow,
    });
  }

  queueStats(filter: QueueStatsFilter) {
    return this.stats.subscribe(filter);
  }

  async close(): Promise<void> {
    this.unwatch?.();
    this.stats.close();
    await this.feed.close();
  }
}
