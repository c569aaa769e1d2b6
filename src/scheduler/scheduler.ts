import { MongoBackend } from '@agendajs/mongo-backend';
import { PostgresBackend, PostgresJobRepository } from '@agendajs/postgres-backend';
import pg from 'pg';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Agenda, type Job } from 'agenda';
import { isDatabaseUnavailable, type DatabaseHealth } from '../db/health.js';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import { SCHEDULER_DEFAULTS } from './defaults.js';
import { traced } from '../ops/trace.js';
import { jobs, lateness, watchDeadlines, type JobOutcome } from './metrics.js';
import {
  DEADLINE_KINDS,
  deadlinesOf,
  earliestDeadline,
  overdueTickets,
  processDueDeadlines,
  promotedUntil,
  setPromotedUntil,
  ticketsDueBetween,
  type DeadlineKind,
  type TicketDeadlines,
} from './process-deadlines.js';

/**
 * Agenda as the deadline scheduler. The database is the truth and jobs are hints: every change to a
 * ticket moves its jobs (one per ticket and kind, carrying only the ticket id) to its next deadlines
 * when they fall within the horizon (`horizonMs`); a promoter job moves later deadlines into Agenda as
 * they come within it, found by an indexed range scan, so the job store holds only the work due soon
 * and Agenda's polls cost the same at 1,000 or 1,000,000 pending deadlines (issue 18); a job re-reads
 * the ticket and does only what is due then; a sweep every minute handles anything overdue that no
 * job handled. MongoDB is the production job store; without MONGODB_URL, Agenda runs
 * on the same PostgreSQL (LISTEN/NOTIFY wakes a processing instance when a job is saved by one
 * that processes too; jobs saved by API-only processes are found by polling, every SCHEDULER_POLL_MS).
 */
export interface SchedulerOptions {
  databaseUrl: string;
  mongoUrl?: string;
  /** Process jobs in this process (false: only schedule them, for API processes in a split deployment). */
  process: boolean;
  name: string;
  em: EntityManager;
  clock: Clock;
  logger: Logger;
  /** How often Agenda polls besides notifications (ms). */
  processEveryMs?: number;
  /** Lock lifetime of a job (ms); a worker that died releases its jobs after it. */
  lockLifetimeMs?: number;
  /** Jobs one process may hold locked at once (per kind), so one worker cannot grab every due job. */
  lockLimit?: number;
  concurrency?: number;
  sweepEvery?: string;
  /** Deadlines overdue by more than this are the sweep's (ms). */
  sweepGraceMs?: number;
  /** Only deadlines due within this (ms) get a job; the promoter moves later ones in (default 60 s). */
  horizonMs?: number;
  /** The process's view of the database: while it is down, the job store's errors are expected, not logged as errors. */
  health?: DatabaseHealth;
}

export const SWEEP_JOB = 'deadline-sweep';
/** Tickets whose jobs are written at once (each on a job-store connection of its own). */
const SCHEDULE_PARALLEL = 4;
/** The recurring job that moves deadlines coming within the horizon into the job store. */
export const PROMOTE_JOB = 'deadline-promote';
/** Agenda's message (it has no error codes) for a run it cancelled because the job's lock lapsed. */
const LOCK_LAPSED = /^execution of '.*' canceled/;
const JOB_TABLE = 'agenda_jobs';
/** Advisory lock key taken while creating the job store (any constant unique to Docket). */
const JOB_STORE_LOCK = 0x646f636b;

export class DeadlineScheduler {
  readonly agenda: Agenda;
  readonly store: 'mongodb' | 'postgresql';
  private readonly backend: MongoBackend | PostgresBackend;
  /** The PostgreSQL job store's pool: Docket's own, so that its errors are handled (see the constructor). */
  private readonly pool?: pg.Pool;
  private started = false;
  private unwatch?: () => void;
  /** The horizon (ms) and how often the promoter runs: a quarter of it, so a deadline gets its job at least ¾ of the horizon early. */
  readonly horizonMs: number;
  readonly promoteEveryMs: number;

  constructor(private readonly opts: SchedulerOptions) {
    this.store = opts.mongoUrl ? 'mongodb' : 'postgresql';
    this.horizonMs = opts.horizonMs ?? SCHEDULER_DEFAULTS.horizonMs;
    this.promoteEveryMs = Math.max(1000, Math.floor(this.horizonMs / 4));
    if (!opts.mongoUrl) {
      // The backend would make a pool of its own without an 'error' listener: an idle connection that
      // PostgreSQL terminates (a restart) would then crash the process. This one reports instead, and
      // opens new connections when the database is back.
      this.pool = new pg.Pool({
        connectionString: opts.databaseUrl,
        connectionTimeoutMillis: 5000,
        application_name: 'docket-scheduler',
      });
      this.pool.on('error', (err) => this.onStoreError(err, 'an idle job-store connection failed'));
    }
    const backend = opts.mongoUrl
      ? new MongoBackend({ address: opts.mongoUrl, collection: 'agendaJobs' })
      : new PostgresBackend({
          pool: this.pool!,
          tableName: JOB_TABLE,
          // Created in start(), one process at a time (see createJobStore).
          ensureSchema: false,
        });
    // Its LISTEN connection reports a lost connection as an 'error' event and reconnects by itself;
    // without a listener that event would crash the process.
    backend.notificationChannel?.on('error', (err: Error) =>
      this.onStoreError(err, 'job notifications: connection lost, reconnecting'),
    );
    this.agenda = new Agenda({
      backend,
      name: opts.name,
      processEvery: opts.processEveryMs ?? SCHEDULER_DEFAULTS.processEveryMs,
      defaultLockLifetime: opts.lockLifetimeMs ?? SCHEDULER_DEFAULTS.lockLifetimeMs,
      defaultLockLimit: opts.lockLimit ?? SCHEDULER_DEFAULTS.lockLimit,
      lockLimit: (opts.lockLimit ?? SCHEDULER_DEFAULTS.lockLimit) * 4,
      defaultConcurrency: opts.concurrency ?? SCHEDULER_DEFAULTS.concurrency,
      maxConcurrency: (opts.concurrency ?? SCHEDULER_DEFAULTS.concurrency) * 4,
    });
    for (const kind of DEADLINE_KINDS) {
      // A finished job with no next deadline is removed; one with a deadline left is moved to it.
      this.agenda.define<{ ticketId: string }>(kind, (job) => this.runDeadline(kind, job), {
        removeOnComplete: true,
      });
    }
    this.agenda.define(SWEEP_JOB, async () => {
      try {
        await this.sweep();
        jobs.inc({ kind: SWEEP_JOB, outcome: 'handled' });
      } catch (err) {
        jobs.inc({ kind: SWEEP_JOB, outcome: 'failed' });
        throw err;
      }
    });
    this.agenda.define(PROMOTE_JOB, async () => {
      try {
        await this.promote();
        jobs.inc({ kind: PROMOTE_JOB, outcome: 'handled' });
      } catch (err) {
        jobs.inc({ kind: PROMOTE_JOB, outcome: 'failed' });
        throw err;
      }
    });
    this.agenda.on('error', (err: Error) => this.onStoreError(err, 'scheduler error'));
    this.agenda.on('fail', (err: Error, job: Job) =>
      this.onStoreError(
        err,
        'a scheduled job failed (it runs again when its lock expires; the sweep repairs)',
        {
          job: job.attrs.name,
          data: job.attrs.data,
        },
      ),
    );
    this.backend = backend;
  }

  /**
   * During a database outage every poll fails: that is expected and logged at debug (the health monitor
   * logs the outage once); jobs due meanwhile run when it is back. Anything else is an error.
   */
  private onStoreError(err: Error, message: string, extra: Record<string, unknown> = {}): void {
    const outage = isDatabaseUnavailable(err);
    if (outage) this.opts.health?.report(err);
    if (outage || this.opts.health?.up === false)
      this.opts.logger.debug({ err: err.message, ...extra }, message);
    // Agenda cancels a run whose lock lapsed (an outage, a stalled process): the job runs again, and
    // what it does is idempotent, so this is worth a warning, not an error.
    else if (LOCK_LAPSED.test(err.message)) this.opts.logger.warn({ err: err.message, ...extra }, message);
    else this.opts.logger.error({ err, ...extra }, message);
  }

  /**
   * Agenda's table, indexes and trigger (its own DDL, through a short-lived repository of the backend)
   * and Docket's two indexes, under an advisory lock: processes starting together on a new database
   * would otherwise race in `create … if not exists` and one would fail with a duplicate catalog entry.
   */
  private async createJobStore(): Promise<void> {
    const lock = new pg.Client({ connectionString: this.opts.databaseUrl });
    lock.on('error', () => {}); // a failure surfaces through the query it breaks
    await lock.connect();
    try {
      await lock.query('select pg_advisory_lock($1)', [JOB_STORE_LOCK]);
      const repository = new PostgresJobRepository({
        connectionString: this.opts.databaseUrl,
        tableName: JOB_TABLE,
      });
      try {
        await repository.connect();
      } finally {
        await repository.disconnect();
      }
      // Moving a ticket's jobs looks them up by name and ticket id (Agenda's unique upsert, Docket's
      // cancel and promotion); without this, each lookup scans the whole job store (25 ms at 100,000).
      await lock.query(
        `create index if not exists docket_agenda_jobs_ticket_idx on ${JOB_TABLE} (name, (data->>'ticketId'))`,
      );
      // Before issue 18, agenda.cancel matched jobs by `data @>` through a GIN index; cancels now go
      // through the index above, and the GIN index only slowed every insert (and its pending list
      // every lookup while jobs were written all the time).
      await lock.query(`drop index if exists docket_agenda_jobs_data_idx`);
    } finally {
      await lock.end();
    }
  }

  /** Connects to the job store (failing with a clear message) and, when processing, starts the jobs. */
  async start(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.agenda.ready,
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error('no answer within 15 s')), 15_000);
        }),
      ]);
    } catch (err) {
      throw new Error(
        `The job store did not connect (${this.store === 'mongodb' ? 'check MONGODB_URL' : 'check the database'}): ${(err as Error).message}`,
        { cause: err },
      );
    } finally {
      clearTimeout(timer);
    }
    if (this.store === 'postgresql') await this.createJobStore();
    if (!this.opts.process) return;
    await this.agenda.every(this.opts.sweepEvery ?? '1 minute', SWEEP_JOB, undefined, {
      skipImmediate: false,
    });
    await this.agenda.every(this.promoteEveryMs, PROMOTE_JOB, undefined, { skipImmediate: false });
    await this.agenda.start();
    this.started = true;
    this.unwatch = watchDeadlines(this.opts.em);
  }

  /**
   * Stops promptly: jobs locked but not started are unlocked for another worker; a job still running
   * keeps its lock until it ends or the lock expires (its effect is idempotent). Agenda's job processor
   * leaves a timer running for lockLifetime/2, so callers exit the process after.
   */
  async stop(): Promise<void> {
    this.unwatch?.();
    try {
      if (this.started) await this.agenda.stop();
      else await this.backend.disconnect().catch(() => {}); // never started: Agenda's stop() would return early
    } finally {
      this.started = false;
      await this.pool?.end().catch(() => {});
    }
  }

  /**
   * Moves each ticket's jobs to its next deadlines within the horizon, and cancels the others (a later
   * deadline is the promoter's). Failures are logged: the sweep repairs.
   */
  async sync(ticketIds: Iterable<string>): Promise<void> {
    const ids = [...new Set(ticketIds)];
    if (!ids.length) return;
    try {
      await this.schedule(ids, false);
    } catch (err) {
      this.onStoreError(err as Error, 'could not schedule deadlines (the sweep will handle them)', {
        tickets: ids,
      });
    }
  }

  /**
   * Puts each ticket's deadlines within the horizon in the job store. Syncing (a change) also cancels
   * the kinds due later or never; promoting only adds, since a kind due beyond the horizon has no job
   * (its last change cancelled it). Tickets are done a few at a time, each ticket's kinds in order.
   */
  private async schedule(ids: string[], promoting: boolean): Promise<void> {
    const deadlines = [...(await deadlinesOf(this.opts.em.fork(), ids))];
    const horizon = this.opts.clock.now().getTime() + this.horizonMs;
    const cancels: [DeadlineKind, string][] = [];
    const one = async ([ticketId, next]: [string, TicketDeadlines]) => {
      for (const kind of DEADLINE_KINDS) {
        const at = this.near(next[kind], horizon);
        if (at) await this.put(kind, ticketId, at);
        else if (!promoting) cancels.push([kind, ticketId]);
      }
    };
    for (let i = 0; i < deadlines.length; i += SCHEDULE_PARALLEL)
      await Promise.all(deadlines.slice(i, i + SCHEDULE_PARALLEL).map(one));
    await this.cancel(cancels);
  }

  /**
   * Removes the jobs of these (kind, ticket) pairs. On PostgreSQL one statement for all of them,
   * through the (name, ticket id) index: most changes move every deadline of their ticket beyond the
   * horizon, and three `agenda.cancel` calls (three statements, each through the GIN index on data)
   * were half the statements a change sent after its commit (issue 18, item 2). On MongoDB,
   * `agenda.cancel` per pair.
   */
  private async cancel(pairs: [DeadlineKind, string][]): Promise<void> {
    if (!pairs.length) return;
    if (!this.pool) {
      for (const [name, ticketId] of pairs) await this.agenda.cancel({ name, data: { ticketId } });
      return;
    }
    await this.pool.query(
      `delete from ${JOB_TABLE} j using unnest($1::text[], $2::text[]) as d(name, ticket_id)
        where j.name = d.name and j.data->>'ticketId' = d.ticket_id`,
      [pairs.map((p) => p[0]), pairs.map((p) => p[1])],
    );
  }

  /** The deadline when it falls within the horizon (an instant in ms), else undefined: the promoter's. */
  private near(at: Date | undefined, horizon: number): Date | undefined {
    return at && at.getTime() <= horizon ? at : undefined;
  }

  /**
   * Gives a job to every deadline that came within the horizon since the last promotion: an indexed
   * range scan over (mark, now + horizon] on the stored deadlines, then the mark moves to now + horizon.
   * The mark is shared (one row in PostgreSQL), so after an outage or with no worker running for a
   * while the next run catches up on the whole interval; a deadline written after the scan's snapshot
   * is within the horizon of its own change's sync. Resolves to the number of tickets promoted.
   */
  async promote(): Promise<number> {
    return traced('scheduler.promote', {}, async () => {
      const em = this.opts.em.fork();
      const until = new Date(this.opts.clock.now().getTime() + this.horizonMs);
      const from = await promotedUntil(em);
      const ids = await ticketsDueBetween(em, from, until);
      // A failure keeps the mark: the next run retries.
      if (ids.length && this.pool) await this.promoteInBulk(ids);
      else if (ids.length) await this.schedule(ids, true);
      await setPromotedUntil(em, until);
      this.opts.logger.debug({ tickets: ids.length, until }, 'scheduler promoted deadlines');
      return ids.length;
    });
  }

  /**
   * The PostgreSQL job store's promotion in one statement, whatever the number of tickets: each
   * (kind, ticket) due within the horizon gets its job as `put` would leave it (name, the ticket id as
   * data, next run at the deadline), moved if it exists and is not running, inserted otherwise. At
   * 1,000,000 pending that is about 4,000 jobs every 15 s, where a save per job would send two
   * statements each. No NOTIFY: these jobs are not due before Agenda's next poll.
   */
  private async promoteInBulk(ids: string[]): Promise<void> {
    const deadlines = await deadlinesOf(this.opts.em.fork(), ids);
    const horizon = this.opts.clock.now().getTime() + this.horizonMs;
    const names: string[] = [];
    const tickets: string[] = [];
    const at: string[] = [];
    for (const [ticketId, next] of deadlines)
      for (const kind of DEADLINE_KINDS) {
        const due = this.near(next[kind], horizon);
        if (!due) continue;
        names.push(kind);
        tickets.push(ticketId);
        at.push(due.toISOString());
      }
    if (!names.length) return;
    await this.pool!.query(
      `with d as (select * from unnest($1::text[], $2::text[], $3::timestamptz[]) as d(name, ticket_id, at)),
       moved as (
         update ${JOB_TABLE} j set next_run_at = d.at from d
          where j.name = d.name and j.data->>'ticketId' = d.ticket_id and j.locked_at is null
       )
       insert into ${JOB_TABLE} (name, priority, next_run_at, type, data)
       select d.name, 0, d.at, 'normal', jsonb_build_object('ticketId', d.ticket_id) from d
        where not exists (select 1 from ${JOB_TABLE} j where j.name = d.name and j.data->>'ticketId' = d.ticket_id)`,
      [names, tickets, at],
    );
  }

  /** Moves a ticket's job of one kind to `at`, or creates it (Agenda's unique save, which NOTIFYs processing instances). */
  private async put(kind: DeadlineKind, ticketId: string, at: Date): Promise<void> {
    await this.agenda.create(kind, { ticketId }).unique({ 'data.ticketId': ticketId }).schedule(at).save();
  }

  private async runDeadline(kind: DeadlineKind, job: Job<{ ticketId: string }>): Promise<void> {
    const { ticketId } = job.attrs.data;
    let outcome: JobOutcome = 'failed';
    try {
      await traced(`scheduler.job ${kind}`, { 'docket.ticket_id': ticketId }, async () => {
        // What this job is due for: its lateness runs from there to the commit of what it did.
        const dueAt = (await earliestDeadline(this.opts.em, ticketId, kind))?.getTime();
        outcome = await processDueDeadlines(this.opts.em, ticketId, this.opts.clock);
        const late = dueAt === undefined ? undefined : this.opts.clock.now().getTime() - dueAt;
        if (outcome === 'handled' && late !== undefined)
          lateness.observe({ kind, via: 'job' }, Math.max(0, late) / 1000);
        this.opts.logger.debug({ job: kind, ticketId, outcome, late }, 'deadline job ran');
        if (outcome === 'ticket_missing') return;
        // Agenda saves this job when the handler returns: its next run is the ticket's next deadline of
        // this kind; the other kinds are moved directly.
        const next = (await deadlinesOf(this.opts.em.fork(), [ticketId])).get(ticketId) ?? {};
        const horizon = this.opts.clock.now().getTime() + this.horizonMs;
        const again = this.near(next[kind], horizon);
        if (again) job.schedule(again);
        const cancels: [DeadlineKind, string][] = [];
        for (const other of DEADLINE_KINDS) {
          if (other === kind) continue;
          const at = this.near(next[other], horizon);
          if (at) await this.put(other, ticketId, at);
          else cancels.push([other, ticketId]);
        }
        await this.cancel(cancels);
      });
    } finally {
      jobs.inc({ kind, outcome });
    }
  }

  /** Handles every deadline overdue by more than the grace, then reschedules those tickets. */
  async sweep(): Promise<number> {
    return traced('scheduler.sweep', {}, async () => {
      const now = this.opts.clock.now();
      const overdue = await overdueTickets(this.opts.em.fork(), now, this.opts.sweepGraceMs ?? 5000, 500);
      for (const { ticketId, dueAt } of overdue) {
        try {
          const outcome = await processDueDeadlines(this.opts.em, ticketId, this.opts.clock);
          if (outcome === 'handled')
            lateness.observe(
              { kind: SWEEP_JOB, via: 'sweep' },
              Math.max(0, this.opts.clock.now().getTime() - dueAt.getTime()) / 1000,
            );
        } catch (err) {
          this.opts.logger.error({ err, ticketId }, 'sweep could not process a ticket');
        }
      }
      if (overdue.length) {
        this.opts.logger.info({ tickets: overdue.length }, 'sweep handled overdue deadlines');
        await this.sync(overdue.map((o) => o.ticketId));
      }
      return overdue.length;
    });
  }
}
