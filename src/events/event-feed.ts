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

/**
 * A change to a credential, recorded by the database (migration CredentialChanges) with a number of
 * the event log's own sequence: the feed hands it over in sequence order with the events, so whoever
 * closes connections on it does so before any event that committed after the change is offered.
 * Kinds: REVOKED (a key revoked, or rotated without grace), EXPIRES (a key stops at `effectiveAt`:
 * rotated with grace, or given an expiry), DEACTIVATED (a user deactivated or deleted), ROLE_CHANGED.
 */
export interface CredentialChange {
  seq: number;
  apiKeyId?: string;
  userId?: string;
  kind: 'REVOKED' | 'EXPIRES' | 'DEACTIVATED' | 'ROLE_CHANGED';
  effectiveAt: Date;
}

interface CredentialChangeRow {
  seq: number | string;
  api_key_id: string | null;
  user_id: string | null;
  kind: CredentialChange['kind'];
  effective_at: string;
}

const toCredentialChange = (r: CredentialChangeRow): CredentialChange => ({
  seq: Number(r.seq),
  apiKeyId: r.api_key_id ?? undefined,
  userId: r.user_id ?? undefined,
  kind: r.kind,
  effectiveAt: new Date(r.effective_at),
});

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
 * process, however many subscribers. The sequence is in commit order (see event-log.ts), so
 * `seq > position` after a commit signal returns exactly the events not yet seen, and never an event
 * of a transaction that rolled back; credential changes take numbers of the same sequence and are
 * announced in that order (onCredentialChange).
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
  private readonly credentialWatchers = new Set<(change: CredentialChange) => void>();

  constructor(private readonly opts: EventFeedOptions) {}

  /** Calls `watch` for every credential change as it commits, in sequence order with the events. */
  onCredentialChange(watch: (change: CredentialChange) => void): () => void {
    this.credentialWatchers.add(watch);
    return () => this.credentialWatchers.delete(watch);
  }

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

  /**
   * Reads what committed since the cursor. Sequence numbers are taken under one row lock and so commit
   * in order: everything up to `last_seq` as one statement sees it has committed, events and
   * credential changes alike (which share the sequence: the events' numbers have gaps where a change
   * took one). The changes up to there come with it, in the same snapshot.
   */
  private async drain(): Promise<void> {
    const batch = this.opts.batch ?? 500;
    do {
      this.again = false;
      const [head] = await readRows<{ last_seq: string; changes: CredentialChangeRow[] | null }>(
        this.opts.em,
        `select s.last_seq, (select json_agg(c order by c.seq) from credential_change c
            where c.seq > ? and c.seq <= s.last_seq) as changes
           from event_sequence s where s.id = 1`,
        [this.cursor],
      );
      if (!head || this.stopped) break;
      const last = Number(head.last_seq);
      const changes = (head.changes ?? []).map(toCredentialChange);
      while (this.cursor < last && !this.stopped) {
        const rows = await readRows<FeedEventRow>(
          this.opts.em,
          `select ${FEED_EVENT_COLUMNS} from ticket_event where seq > ? and seq <= ? order by seq limit ?`,
          [this.cursor, last, batch],
        );
        const events = rows.map(rowToFeedEvent);
        const upTo = rows.length === batch ? events.at(-1)!.seq : last;
        this.cursor = upTo;
        traced(
          'events.deliver',
          {
            'docket.events': events.length,
            'docket.seq.last': upTo,
            'docket.listeners': this.listeners.size,
          },
          () => {
            for (const e of events) {
              while (changes.length && changes[0]!.seq < e.seq) this.announce(changes.shift()!);
              this.offer(e);
            }
            while (changes.length && changes[0]!.seq <= upTo) this.announce(changes.shift()!);
          },
        );
      }
    } while (this.again && !this.stopped);
  }

  private announce(change: CredentialChange): void {
    for (const watch of this.credentialWatchers) {
      try {
        watch(change);
      } catch (err) {
        this.opts.logger.error({ err }, 'a credential change watcher failed');
      }
    }
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
