import type { EntityManager } from '@mikro-orm/postgresql';
import { DateTime } from 'luxon';
import { readRows } from '../db/read.js';
import { sqlArray } from '../db/sql.js';
import type { Priority } from '../shared/enums.js';
import type { Logger } from '../shared/logger.js';
import type { StatusCategory } from '../workflow/definition.js';
import type { FeedListener } from './event-feed.js';

/** Which tickets a wallboard counts (every list given must contain the ticket's value). */
export interface QueueStatsFilter {
  teamIds?: readonly string[];
  organizationIds?: readonly string[];
  assigneeIds?: readonly string[];
  priorities?: readonly Priority[];
  /** The zone whose midnight starts "today" for breachedToday (IANA name). */
  timeZone: string;
}

export interface QueueStats {
  /** When these counts were taken. */
  at: Date;
  /**
   * The event log position these counts include: every event up to it had been read when counting
   * began. A wallboard subscribes to slaAlerts or ticketEvents with `after: seq` to follow on with no gap.
   */
  seq: number;
  /** Tickets not resolved or closed. */
  open: number;
  byStatus: { status: string; statusCategory: StatusCategory; count: number }[];
  byPriority: { priority: Priority; count: number }[];
  /** Open tickets with an SLA target past its warning and not yet met or breached. */
  atRisk: number;
  /** Tickets with an SLA target breached since midnight in `timeZone`. */
  breachedToday: number;
  /** Open tickets waiting on the requester (status category WAITING_ON_REQUESTER). */
  waitingOnRequester: number;
}

/** The counters of one wallboard filter, in one statement. */
export async function queueStats(
  em: EntityManager,
  f: QueueStatsFilter,
  now: Date,
  seq: number,
): Promise<QueueStats> {
  const where: string[] = [];
  const values: unknown[] = [];
  const anyOf = (column: string, list: readonly string[] | undefined, type: string) => {
    if (list === undefined) return;
    where.push(`${column} = any(?::${type}[])`);
    values.push(sqlArray(list));
  };
  anyOf('t.team_id', f.teamIds, 'uuid');
  anyOf('t.organization_id', f.organizationIds, 'uuid');
  anyOf('t.assignee_id', f.assigneeIds, 'uuid');
  anyOf('t.priority', f.priorities, 'text');
  const cond = where.length ? where.join(' and ') : 'true';
  const midnight = DateTime.fromJSDate(now, { zone: f.timeZone }).startOf('day').toJSDate();
  const rows = await readRows<{ k: string; a: string | null; b: string | null; n: string }>(
    em,
    `with o as (select t.id, t.status, t.status_category, t.priority from ticket t
                 where t.status_category not in ('RESOLVED', 'CLOSED') and ${cond})
     select 'status' as k, status as a, status_category as b, count(*) as n from o group by status, status_category
     union all select 'priority', priority, null, count(*) from o group by priority
     union all select 'risk', null, null, count(distinct st.ticket_id) from ticket_sla_target st join o on o.id = st.ticket_id
                where st.state in ('ACTIVE', 'PAUSED') and st.warned_percent > 0
     union all select 'breached', null, null, count(distinct st.ticket_id) from ticket_sla_target st
                join ticket t on t.id = st.ticket_id where st.breached_at >= ?::timestamptz and ${cond}`,
    [...values, midnight.toISOString(), ...values],
  );
  const stats: QueueStats = {
    at: now,
    seq,
    open: 0,
    byStatus: [],
    byPriority: [],
    atRisk: 0,
    breachedToday: 0,
    waitingOnRequester: 0,
  };
  for (const r of rows) {
    const n = Number(r.n);
    if (r.k === 'status') {
      stats.byStatus.push({ status: r.a!, statusCategory: r.b as StatusCategory, count: n });
      stats.open += n;
      if (r.b === 'WAITING_ON_REQUESTER') stats.waitingOnRequester += n;
    } else if (r.k === 'priority') stats.byPriority.push({ priority: r.a as Priority, count: n });
    else if (r.k === 'risk') stats.atRisk = n;
    else stats.breachedToday = n;
  }
  stats.byStatus.sort((x, y) => x.status.localeCompare(y.status));
  stats.byPriority.sort((x, y) => x.priority.localeCompare(y.priority));
  return stats;
}

/** Holds only the newest value: a wallboard that falls behind skips to the latest counts. */
export class LatestValue<T> implements AsyncIterableIterator<T> {
  private value?: T;
  private has = false;
  private waiter?: (r: IteratorResult<T>) => void;
  private done = false;

  constructor(private readonly onReturn: () => void) {}

  push(value: T): void {
    if (this.done) return;
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      w({ value, done: false });
    } else {
      this.value = value;
      this.has = true;
    }
  }

  async next(): Promise<IteratorResult<T>> {
    if (this.has) {
      this.has = false;
      const value = this.value!;
      this.value = undefined;
      return { value, done: false };
    }
    if (this.done) return { value: undefined, done: true };
    return new Promise((resolve) => (this.waiter = resolve));
  }

  async return(): Promise<IteratorResult<T>> {
    this.done = true;
    this.onReturn();
    const w = this.waiter;
    this.waiter = undefined;
    w?.({ value: undefined, done: true });
    return { value: undefined, done: true };
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

interface Group {
  filter: QueueStatsFilter;
  subscribers: Set<LatestValue<QueueStats>>;
  last?: QueueStats;
  lastKey?: string;
  lastRunAt: number;
  dirty: boolean;
  timer?: NodeJS.Timeout;
  running: boolean;
}

export interface QueueStatsHubOptions {
  em: EntityManager;
  logger: Logger;
  now: () => Date;
  /** The feed's position: every event up to it has been offered to the hub. */
  position: () => number;
  /** At most one recount per filter in this window (ms). */
  minIntervalMs: number;
  /** Recount this often even without events (time alone moves "at risk" and "today"). */
  refreshMs: number;
}

/**
 * Live wallboard counters. Subscribers with the same filter share one group: one count per change,
 * at most once per `minIntervalMs`, pushed only when a number changed. Any committed event marks every
 * group dirty (a ticket leaving a team changes that team's counts though its event names the new team).
 */
export class QueueStatsHub implements FeedListener {
  private readonly groups = new Map<string, Group>();
  private readonly refresh: NodeJS.Timeout;

  constructor(private readonly o: QueueStatsHubOptions) {
    this.refresh = setInterval(() => this.markAll(), o.refreshMs);
    this.refresh.unref();
  }

  offer(): void {
    this.markAll();
  }

  subscribe(filter: QueueStatsFilter): LatestValue<QueueStats> {
    const key = JSON.stringify(filter);
    let g = this.groups.get(key);
    if (!g) {
      g = { filter, subscribers: new Set(), lastRunAt: 0, dirty: true, running: false };
      this.groups.set(key, g);
    }
    const group = g;
    const sub = new LatestValue<QueueStats>(() => {
      group.subscribers.delete(sub);
      if (group.subscribers.size === 0) {
        clearTimeout(group.timer);
        this.groups.delete(key);
      }
    });
    group.subscribers.add(sub);
    if (group.last) sub.push(group.last);
    this.schedule(group);
    return sub;
  }

  private markAll(): void {
    for (const g of this.groups.values()) {
      g.dirty = true;
      this.schedule(g);
    }
  }

  private schedule(g: Group): void {
    if (g.running || g.timer || !g.dirty) return;
    const wait = Math.max(0, g.lastRunAt + this.o.minIntervalMs - Date.now());
    g.timer = setTimeout(() => {
      g.timer = undefined;
      void this.recount(g);
    }, wait);
    g.timer.unref();
  }

  private async recount(g: Group): Promise<void> {
    if (g.subscribers.size === 0) return;
    g.running = true;
    g.dirty = false;
    g.lastRunAt = Date.now();
    try {
      const stats = await queueStats(this.o.em, g.filter, this.o.now(), this.o.position());
      const { at: _at, seq: _seq, ...counts } = stats;
      const key = JSON.stringify(counts);
      if (key !== g.lastKey) {
        g.lastKey = key;
        g.last = stats;
        for (const s of g.subscribers) s.push(stats);
      }
    } catch (err) {
      this.o.logger.warn({ err }, 'counting queue stats failed: trying again');
      g.dirty = true;
    } finally {
      g.running = false;
      this.schedule(g);
    }
  }

  close(): void {
    clearInterval(this.refresh);
    for (const g of this.groups.values()) clearTimeout(g.timer);
    this.groups.clear();
  }
}
