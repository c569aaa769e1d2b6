/**
 * Timer precision bench: how late Docket's deadline scheduler (Agenda 6 on PostgreSQL, the default
 * job store) commits a workflow reminder when 10,000, 100,000 and 1,000,000 timers are pending over the
 * next hour (and 100,000 again with every deadline in the job store, the design before the horizon),
 * how big that job store is, and what database load the scheduler adds. See the report it prints and
 * bench/README.md.
 *
 * `npm run bench:timers` runs it alone (about 8 minutes on 2 cores); `npm run bench` runs it last
 * (BENCH_TIMERS=0 skips it there). `runTimerBench()` returns the report. Variables: BENCH_TIMER_SIZES
 * (default "10000,100000,1000000"), BENCH_TIMER_BEFORE (sizes run without the horizon, default
 * "100000"), BENCH_PROBES (30), BENCH_TIMER_WINDOW_S (10, the load windows),
 * BENCH_DATABASE_URL as for `npm run bench` (the database is then `docket_bench_timers`).
 *
 * Per size N, in a fresh database: migrations, demo data, the job store as a scheduler's start leaves it
 * (Agenda's table and indexes, and the one DeadlineScheduler adds: (name, data->>'ticketId')),
 * N tickets in the agency desk's Pending status each with one pending MOVE timer (seed 002:
 * close after 7 days) due uniformly at random over the hour (up to 100,000; proportionally longer
 * beyond, see spreadOf) that starts when the measurement does, so about N/3600 (at most 28) of them
 * fire every second while probes are measured (the realistic load, not an idle
 * scheduler), and P probe tickets with a REMIND timer due one second apart. Timer rows and their Agenda
 * job rows are written with SQL, as the scheduler's `sync` would have left them. Then a DeadlineScheduler
 * runs in this process with the production defaults (SCHEDULER_DEFAULTS: poll every 1 s, lock lifetime
 * 60 s, lock limit 300, concurrency 10): LISTEN/NOTIFY does not fire for rows inserted with SQL, so jobs
 * are found by the poll, which locks those due before the next poll and starts each on an in-memory
 * timer at its due time.
 *
 * Lateness of a probe: from its due time (the REQUESTER_REMINDED event's payload.dueAt) to
 * - committed: the commit of the transaction that recorded the event, seen by a LISTEN connection
 *   (bench instrumentation: an AFTER INSERT trigger on ticket_event NOTIFYs for REQUESTER_REMINDED;
 *   PostgreSQL delivers a notification at commit);
 * - recorded: the event's occurred_at (the clock reading when the job began the ticket change).
 * The goal (p99 ≤ 1 s at 100,000 pending) is judged on the committed lateness.
 */
import './env.js'; // first: NODE_ENV=production, silent logs, reflect-metadata
import { randomUUID } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { initOrm, migrate, type MikroORM } from '../src/db/orm.js';
import type { JobWithId } from 'agenda';
import { SCHEDULER_DEFAULTS } from '../src/scheduler/defaults.js';
import { DeadlineScheduler } from '../src/scheduler/scheduler.js';
import { loadDemoData } from '../src/seed/demo-data.js';
import { systemClock } from '../src/shared/clock.js';
import { createLogger } from '../src/shared/logger.js';
import { openBenchDatabase, withClient, type BenchDatabase } from './database.js';
import { fmt, numberFromEnv, prng, quantile, table } from './stats.js';
import { PgMeter, diffTotals, type MeterTotals } from './timers-meter.js';
import {
  BACKGROUND_TAG,
  PROBE_TAG,
  insertPendingTickets,
  insertTimersAndJobs,
  timerWorkflow,
  type TimerWorkflow,
} from './timers-seed.js';

/** Issue 18: p99 ≤ 100 ms at 1,000,000 pending, and idle reads that do not grow with the number pending. */
const GOAL_P99_MS = 100;
const GOAL_SIZE = 1_000_000;
/**
 * Background timers are spread over an hour up to 100,000 pending, and over proportionally longer
 * beyond (10 h at 1,000,000): the due rate stays at about 28 a second, so that a larger size measures
 * what pending work costs, not how many changes a second this 2-core machine can write.
 */
const spreadOf = (pending: number) => 3_600_000 * Math.max(1, pending / 100_000);
/** The "no horizon" runs: a horizon beyond any deadline, so every one has its job in the store. */
const NO_HORIZON_MS = 10 * 365 * 86_400_000;
/** A margin per pending timer for writing its rows, so the idle window still comes before any is due. */
const SEED_MS_PER_TIMER = 0.15;
/** Probes start this long after the background timers do, so those are already flowing. */
const PROBE_LEAD_MS = 5000;
const NOTIFY_CHANNEL = 'bench_timer_probe';
/** With BENCH_DATABASE_URL: not `npm run bench`'s database, which BENCH_KEEP_DB may be keeping. */
const TIMER_DATABASE = 'docket_bench_timers';

let benchStarted = performance.now();
const log = (message: string) =>
  console.log(`[timers ${fmt((performance.now() - benchStarted) / 1000, 0).padStart(3)} s] ${message}`);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, Math.max(0, ms)));
const sleepUntil = (at: number) => sleep(at - Date.now());
const int = (n: number) => Math.round(n).toLocaleString('en-US');

function sizesFromEnv(): number[] {
  const raw = process.env.BENCH_TIMER_SIZES;
  if (!raw) return [10_000, 100_000, 1_000_000];
  const sizes = raw.split(',').map((s) => Number(s.trim().replace(/_/g, '')));
  if (!sizes.length || sizes.some((n) => !Number.isInteger(n) || n < 0))
    throw new Error(`BENCH_TIMER_SIZES must be a comma-separated list of whole numbers (got ${raw})`);
  return sizes;
}

/** BENCH_TIMER_BEFORE: the sizes also run with every deadline in the job store (default 100000; "" for none). */
function beforeSizesFromEnv(): number[] {
  const raw = process.env.BENCH_TIMER_BEFORE ?? '100000';
  return raw.trim() ? raw.split(',').map((s) => Number(s.trim().replace(/_/g, ''))) : [];
}

export interface SchedulerSettings {
  processEveryMs: number;
  lockLifetimeMs: number;
  lockLimit: number;
  concurrency: number;
  /** Deadlines due within this (ms) have a job; NO_HORIZON_MS: every pending deadline does (the design before issue 18). */
  horizonMs: number;
}

/** The production defaults (src/scheduler/defaults.ts: what config.ts and DeadlineScheduler use). */
export const DEFAULT_SETTINGS: SchedulerSettings = { ...SCHEDULER_DEFAULTS };

interface WorstProbe {
  k: number;
  locked: number;
  started: number;
  committed: number;
}

interface DbStats {
  xacts: number;
  tupReturned: number;
  tupFetched: number;
  tupWritten: number;
  blocks: number;
}

interface Window {
  seconds: number;
  meter: MeterTotals;
  db: DbStats;
}

interface Explained {
  label: string;
  ms: number;
  plan: string[];
}

export interface SizeResult {
  label: string;
  pending: number;
  settings: SchedulerSettings;
  probes: number;
  fired: number;
  committed: number[];
  recorded: number[];
  /** The latest probe: when its job was locked, started and its event committed, from its due time (ms). */
  worst?: WorstProbe;
  /** Event loop delay of this process from the first background timer to the last probe (ms). */
  loopDelay: { p99: number; max: number };
  /** Probes whose job was locked only after it was due (missed by the poll before). */
  lockedLate: number;
  /** Probes locked in time but started more than 100 ms after their due time. */
  startedLate: number;
  storeRows: number;
  storeBytes: number;
  timerBytes: number;
  storeTableSize: string;
  storeIndexSize: string;
  timerTableSize: string;
  /** Rows with no next run at the end: jobs running at that instant (finished ones are removed). */
  storeNoNextRun: number;
  /** Indexes on agenda_jobs (Agenda's five with the primary key, and DeadlineScheduler's). */
  storeIndexCount: number;
  baseline: Window;
  idle: Window;
  loaded: Window;
  backgroundRate: number;
  backgroundDone: number;
  backgroundDue: number;
  oldestOverdueS: number;
  explains: Explained[];
  pgVersion: string;
}

async function dbStats(client: pg.Client): Promise<DbStats> {
  const r = (
    await client.query<Record<string, string>>(
      `select xact_commit + xact_rollback as xacts, tup_returned, tup_fetched,
         tup_inserted + tup_updated + tup_deleted as tup_written, blks_hit + blks_read as blocks
       from pg_stat_database where datname = current_database()`,
    )
  ).rows[0]!;
  return {
    xacts: Number(r.xacts),
    tupReturned: Number(r.tup_returned),
    tupFetched: Number(r.tup_fetched),
    tupWritten: Number(r.tup_written),
    blocks: Number(r.blocks),
  };
}

/** Client-side (this process's statements) and server-side (pg_stat_database) deltas over a window. */
async function measureWindow(
  client: pg.Client,
  meter: PgMeter,
  startAt: number,
  endAt: number,
): Promise<Window> {
  await sleepUntil(startAt);
  const t0 = performance.now();
  const m0 = meter.snapshot();
  const d0 = await dbStats(client);
  await sleepUntil(endAt);
  const m1 = meter.snapshot();
  const d1 = await dbStats(client);
  const seconds = (performance.now() - t0) / 1000;
  return {
    seconds,
    meter: diffTotals(m0, m1),
    db: {
      // the sampler's own two transactions are not the scheduler's
      xacts: Math.max(0, d1.xacts - d0.xacts - 2),
      tupReturned: d1.tupReturned - d0.tupReturned,
      tupFetched: d1.tupFetched - d0.tupFetched,
      tupWritten: d1.tupWritten - d0.tupWritten,
      blocks: d1.blocks - d0.blocks,
    },
  };
}

/** EXPLAIN ANALYZE inside a transaction that is rolled back (a DELETE or UPDATE changes nothing). */
async function explain(
  client: pg.Client,
  label: string,
  sql: string,
  params: unknown[],
  before?: string[],
): Promise<Explained> {
  await client.query('begin');
  try {
    for (const s of before ?? []) await client.query(s);
    const rows = (
      await client.query<{ 'QUERY PLAN': string }>(`explain (analyze, buffers, costs off) ${sql}`, params)
    ).rows.map((r) => r['QUERY PLAN']);
    const ms = Number(/Execution Time: ([\d.]+) ms/.exec(rows.join('\n'))?.[1] ?? NaN);
    return { label, ms, plan: rows.filter((l) => !/^(Planning|Execution) Time/.test(l.trim())) };
  } catch (err) {
    return { label, ms: NaN, plan: [`failed: ${(err as Error).message}`] };
  } finally {
    await client.query('rollback');
  }
}

/** Agenda's find-and-lock (getNextJobToRun's subquery); `forUpdate` adds its SKIP LOCKED. */
const FIND_AND_LOCK = `select id from agenda_jobs
  where name = $1 and disabled = false
    and ((locked_at is null and next_run_at <= $2) or locked_at <= $3)
  order by next_run_at asc nulls last, priority desc limit 1`;

/**
 * Agenda's find-and-lock while the scheduler runs, with the parameters a poll uses (due before the next
 * poll; lock expired). Without FOR UPDATE SKIP LOCKED, so it locks no row the scheduler may want.
 */
async function explainFetch(client: pg.Client, settings: SchedulerSettings): Promise<Explained> {
  const now = Date.now();
  return explain(
    client,
    "Agenda's find-and-lock (getNextJobToRun) during the run, as a poll sends it",
    FIND_AND_LOCK,
    ['workflow-timer', new Date(now + settings.processEveryMs), new Date(now - settings.lockLifetimeMs)],
  );
}

/**
 * The statements on agenda_jobs whose cost grows with the store, explained on the bench database after
 * the scheduler stopped: the last find-and-lock call of every poll, and the two lookups by ticket that
 * DeadlineScheduler's indexes serve.
 */
async function explainStore(client: pg.Client, settings: SchedulerSettings): Promise<Explained[]> {
  // A ticket with no job yet: what put() meets for a ticket's first deadline of a kind.
  const ticketId = randomUUID();
  const now = Date.now();
  return [
    // The jobs due before the next poll are locked (here: in the rolled-back transaction) and nothing
    // else matches: the index scan ordered by next_run_at reads every job of the name, once per poll.
    await explain(
      client,
      "Agenda's find-and-lock as a poll's last call sends it (due jobs locked, nothing left to find)",
      `${FIND_AND_LOCK} for update skip locked`,
      ['workflow-timer', new Date(now + settings.processEveryMs), new Date(now - settings.lockLifetimeMs)],
      [
        `update agenda_jobs set locked_at = now() where name = 'workflow-timer'
           and next_run_at <= now() + interval '${settings.processEveryMs} milliseconds'`,
      ],
    ),
    // runDeadline and sync cancel the kinds with nothing within the horizon, in one statement per
    // ticket change or job run. Explained on the name that holds the bench's jobs.
    await explain(
      client,
      "the cancel of a ticket's jobs (DeadlineScheduler.cancel: one statement per change or job run)",
      `delete from agenda_jobs j using unnest($1::text[], $2::text[]) as d(name, ticket_id)
        where j.name = d.name and j.data->>'ticketId' = d.ticket_id`,
      [
        ['workflow-timer', 'sla-warning'],
        [ticketId, ticketId],
      ],
    ),
    // sync → put(kind, at) → agenda.create().unique({'data.ticketId'}).save() looks the job up first.
    await explain(
      client,
      "put's unique lookup (create().unique({'data.ticketId'}).save()), 3 per ticket sync",
      `select * from agenda_jobs where name = $1 and data->>$2 = $3 limit 1`,
      ['workflow-timer', 'ticketId', ticketId],
    ),
  ];
}

interface Listener {
  seen: Map<string, number>;
  client: pg.Client;
  waitFor(ids: string[], until: number): Promise<void>;
}

/** Commit instants of probe events: the trigger's NOTIFY is delivered when the transaction commits. */
async function listenForProbes(url: string, meter: PgMeter): Promise<Listener> {
  const client = new pg.Client({ connectionString: url });
  meter.exclude(client);
  await client.connect();
  const seen = new Map<string, number>();
  let wake: (() => void) | undefined;
  client.on('notification', (msg) => {
    if (msg.channel !== NOTIFY_CHANNEL || !msg.payload) return;
    if (!seen.has(msg.payload)) seen.set(msg.payload, Date.now());
    wake?.();
  });
  await client.query(`listen ${NOTIFY_CHANNEL}`);
  return {
    seen,
    client,
    async waitFor(ids, until) {
      while (ids.some((id) => !seen.has(id)) && Date.now() < until) {
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, Math.min(1000, Math.max(0, until - Date.now())));
        });
      }
      wake = undefined;
    },
  };
}

async function runSize(
  pending: number,
  probes: number,
  windowS: number,
  meter: PgMeter,
  settings: SchedulerSettings = DEFAULT_SETTINGS,
): Promise<SizeResult> {
  const spreadMs = spreadOf(pending);
  const whole = settings.horizonMs >= NO_HORIZON_MS;
  const label = `${int(pending)}${whole ? ' (no horizon)' : ''}`;
  const logger = createLogger('silent');
  const windowMs = windowS * 1000;
  let db: BenchDatabase | undefined;
  let orm: MikroORM | undefined;
  let scheduler: DeadlineScheduler | undefined;
  let sampler: pg.Client | undefined;
  let listener: Listener | undefined;
  try {
    log(`${label}: starting a fresh database…`);
    db = await openBenchDatabase(TIMER_DATABASE);
    // Setup on an ORM of its own, closed after, so its statistics are flushed before any window.
    const setup = await initOrm(db.url, logger, undefined, false);
    try {
      await migrate(setup);
      await loadDemoData(setup.em.fork(), systemClock);
      // The job store as any earlier start left it, before a job was saved: a scheduler that does not
      // process (an API process of a split deployment) connects Agenda's backend, which creates
      // agenda_jobs and Agenda's indexes, and its start() adds DeadlineScheduler's two.
      const first = new DeadlineScheduler({
        databaseUrl: db.url,
        process: false,
        name: `timer-bench-setup:${process.pid}`,
        em: setup.em.fork(),
        clock: systemClock,
        logger,
        ...settings,
      });
      try {
        await first.start();
      } finally {
        await first.stop();
      }
    } finally {
      await setup.close();
    }
    // As production runs it: observeQueries off (main.ts), the default pool (DB_POOL_MAX 10).
    orm = await initOrm(db.url, logger, undefined, false);
    scheduler = new DeadlineScheduler({
      databaseUrl: db.url,
      process: true,
      name: `timer-bench:${process.pid}`,
      em: orm.em.fork(),
      clock: systemClock,
      logger,
      ...settings,
    });
    await scheduler.agenda.ready;

    const url = db.url;
    const seedStarted = performance.now();
    log(`${label}: seeding ${int(pending)} pending tickets and ${probes} probes…`);
    const { wf, bgIds, probeIds } = await withClient(url, async (c) => {
      const wf: TimerWorkflow = await timerWorkflow(c);
      const bgIds = await insertPendingTickets(c, wf, pending, BACKGROUND_TAG);
      const probeIds = await insertPendingTickets(c, wf, probes, PROBE_TAG);
      await c.query('vacuum (analyze) ticket');
      // Probe commits are seen through NOTIFY (bench instrumentation, this database only).
      await c.query(`create function bench_timer_probe_notify() returns trigger language plpgsql as $$
        begin perform pg_notify('${NOTIFY_CHANNEL}', new.ticket_id::text); return null; end $$`);
      await c.query(`create trigger bench_timer_probe_notify after insert on ticket_event for each row
        when (new.type = 'REQUESTER_REMINDED') execute function bench_timer_probe_notify()`);
      return { wf, bgIds, probeIds };
    });
    sampler = new pg.Client({ connectionString: url });
    meter.exclude(sampler);
    await sampler.connect();
    const pgVersion = (await sampler.query<{ v: string }>("select current_setting('server_version') as v"))
      .rows[0]!.v;
    listener = await listenForProbes(url, meter);

    // Scheduler stopped, database idle: the baseline.
    const baseline = await measureWindow(sampler, meter, Date.now() + 500, Date.now() + 500 + windowMs);

    // The timers: background uniformly over [base, base + 1 h), probes at base + lead + k s. They
    // start a horizon after the idle window, so that nothing is due within the horizon then.
    // Writing the timer rows takes about 0.1 ms each (100 s at 1,000,000), before the windows start.
    // Both designs get the same idle window (the default horizon), so their figures compare.
    const shift = DEFAULT_SETTINGS.horizonMs;
    const base = Date.now() + windowMs + 8000 + shift + Math.round(pending * SEED_MS_PER_TIMER);
    const rand = prng(0x7e11 + pending);
    const bgFire = bgIds.map(() => base + Math.floor(rand() * spreadMs)).sort((a, b) => a - b);
    const probeFire = probeIds.map((_, k) => base + PROBE_LEAD_MS + (k + 1) * 1000);
    const storeBefore = await withClient(url, async (c) => {
      await insertTimersAndJobs(
        c,
        wf,
        [
          { ticketIds: bgIds, fireAt: bgFire, timer: wf.move },
          { ticketIds: probeIds, fireAt: probeFire, timer: wf.remind },
        ],
        Date.now() + settings.horizonMs,
      );
      await c.query('vacuum (analyze) ticket_timer, agenda_jobs');
      return (
        await c.query<{ rows: string; bytes: string; timer_bytes: string }>(
          `select (select count(*) from agenda_jobs) as rows, pg_total_relation_size('agenda_jobs') as bytes,
             pg_total_relation_size('ticket_timer') as timer_bytes`,
        )
      ).rows[0]!;
    });
    log(
      `${label}: seeded in ${fmt((performance.now() - seedStarted) / 1000 - baseline.seconds)} s` +
        ` (${int(Number(storeBefore.rows))} jobs)`,
    );
    const changesBefore = Number(
      (
        await sampler.query<{ n: string }>(
          `select count(*) as n from ticket_event where type = 'STATUS_CHANGED'`,
        )
      ).rows[0]!.n,
    );

    log(
      `${label}: scheduler started; idle window, then background timers from +${int((base - Date.now()) / 1000)} s…`,
    );
    // Diagnostics from Agenda's own events (public API): when each probe's job was locked and started.
    const probeSet = new Set(probeIds);
    const starts = new Map<string, { lockedAt: number; startedAt: number }>();
    scheduler.agenda.on('start:workflow-timer', (job: JobWithId) => {
      const id = (job.attrs.data as { ticketId?: string } | undefined)?.ticketId;
      if (!id || !probeSet.has(id) || starts.has(id)) return;
      starts.set(id, {
        lockedAt: job.attrs.lockedAt?.getTime() ?? NaN,
        startedAt: job.attrs.lastRunAt?.getTime() ?? Date.now(),
      });
    });
    await scheduler.start();
    const idleStart = Date.now() + 1000;
    if (base - shift - 500 < idleStart + 2000)
      log(`${label}: seeding took longer than its margin: the idle window is short or empty`);
    const idle = await measureWindow(
      sampler,
      meter,
      idleStart,
      Math.min(idleStart + windowMs, base - shift - 500),
    );

    // This process's event loop (Agenda's timers and the jobs share it) while background and probes run.
    const loop = monitorEventLoopDelay({ resolution: 10 });
    await sleepUntil(base);
    loop.enable();
    const loadedStart = base + PROBE_LEAD_MS;
    const [loaded] = await Promise.all([
      measureWindow(sampler, meter, loadedStart, loadedStart + windowMs),
      listener.waitFor(probeIds, probeFire.at(-1)! + 30_000),
    ]);
    loop.disable();
    const loopDelay = { p99: loop.percentile(99) / 1e6, max: loop.max / 1e6 };
    const doneAt = Date.now();
    const changesAfter = Number(
      (
        await sampler.query<{ n: string }>(
          `select count(*) as n from ticket_event where type = 'STATUS_CHANGED'`,
        )
      ).rows[0]!.n,
    );
    const oldest = (
      await sampler.query<{ at: Date | null }>(
        `select min(fire_at) as at from ticket_timer where timer_index = $1 and fire_at is not null`,
        [wf.move.index],
      )
    ).rows[0]!.at;
    const dueBackground = bgFire.filter((t) => t <= doneAt).length;
    const backgroundDone = changesAfter - changesBefore;

    const events = (
      await sampler.query<{ ticket_id: string; occurred_at: Date; due: string }>(
        `select ticket_id, occurred_at, payload->>'dueAt' as due from ticket_event
         where type = 'REQUESTER_REMINDED' and ticket_id = any($1::uuid[])`,
        [probeIds],
      )
    ).rows;
    const committed: number[] = [];
    const recorded: number[] = [];
    let worst: WorstProbe | undefined;
    let lockedLate = 0;
    let startedLate = 0;
    for (const e of events) {
      const due = Date.parse(e.due);
      recorded.push(e.occurred_at.getTime() - due);
      const seenAt = listener.seen.get(e.ticket_id);
      if (seenAt !== undefined) committed.push(seenAt - due);
      const st = starts.get(e.ticket_id);
      if (st && st.lockedAt > due) lockedLate += 1;
      if (st && st.lockedAt <= due && st.startedAt - due > 100) startedLate += 1;
      const late = (seenAt ?? Infinity) - due;
      if (!worst || late > worst.committed) {
        worst = {
          k: probeIds.indexOf(e.ticket_id) + 1,
          locked: (st?.lockedAt ?? NaN) - due,
          started: (st?.startedAt ?? NaN) - due,
          committed: late,
        };
      }
    }

    const store = (
      await sampler.query<Record<string, string>>(
        `select (select count(*) from agenda_jobs) as rows,
           (select count(*) from agenda_jobs where next_run_at is null) as no_next_run,
           pg_total_relation_size('agenda_jobs') as bytes,
           (select count(*) from pg_indexes where tablename = 'agenda_jobs') as index_count,
           pg_size_pretty(pg_table_size('agenda_jobs')) as heap,
           pg_size_pretty(pg_indexes_size('agenda_jobs')) as indexes,
           pg_size_pretty(pg_total_relation_size('ticket_timer')) as timers`,
      )
    ).rows[0]!;

    const fetchPlan = await explainFetch(sampler, settings);
    log(`${label}: stopping the scheduler…`);
    await scheduler.stop();
    scheduler = undefined;
    await sleep(300); // a job that was running when the scheduler stopped finishes or fails, quietly
    const explains = [fetchPlan, ...(await explainStore(sampler, settings))];

    return {
      label,
      pending,
      settings,
      probes,
      fired: events.length,
      loopDelay,
      worst,
      lockedLate,
      startedLate,
      committed,
      recorded,
      storeRows: Number(storeBefore.rows),
      storeBytes: Number(storeBefore.bytes),
      timerBytes: Number(storeBefore.timer_bytes),
      storeTableSize: store.heap!,
      storeIndexSize: store.indexes!,
      timerTableSize: store.timers!,
      storeNoNextRun: Number(store.no_next_run),
      storeIndexCount: Number(store.index_count),
      baseline,
      idle,
      loaded,
      backgroundRate: pending / (spreadMs / 1000),
      backgroundDone,
      backgroundDue: dueBackground,
      oldestOverdueS: oldest ? Math.max(0, (doneAt - oldest.getTime()) / 1000) : 0,
      explains,
      pgVersion,
    };
  } finally {
    await scheduler?.stop().catch(() => {});
    await listener?.client.end().catch(() => {});
    await sampler?.end().catch(() => {});
    await orm?.close().catch((err: Error) => log(`closing the ORM: ${err.message}`));
    await db?.close().catch((err: Error) => log(`closing the database: ${err.message}`));
  }
}

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const ms = (n: number) => (Number.isFinite(n) ? int(n) : 'n/a');
const perS = (n: number, w: Window) => n / w.seconds;

function p99Of(r: SizeResult): number {
  // A probe that never fired is later than any that did.
  const xs = sorted(r.committed);
  if (r.committed.length < r.probes) return Infinity;
  return quantile(xs, 0.99);
}

function loadRow(name: string, w: Window): string[] {
  return [
    name,
    fmt(w.seconds, 1),
    fmt(perS(w.meter.statements, w)),
    fmt(perS(w.meter.storeStatements, w)),
    fmt(perS(w.meter.rows, w)),
    fmt(w.meter.ms / w.seconds / 10, 1),
    fmt(perS(w.db.xacts, w)),
    int(perS(w.db.tupReturned, w)),
    int(perS(w.db.tupFetched, w)),
    int(perS(w.db.blocks, w)),
  ];
}

/** The goal's verdict: judged on the run with GOAL_SIZE pending, if there was one. */
function goalLine(results: SizeResult[]): string {
  const goal = `Goal: p99 ≤ ${int(GOAL_P99_MS)} ms from due time to commit at ${int(GOAL_SIZE)} pending timers`;
  const r = results.find((x) => x.pending === GOAL_SIZE && x.settings.horizonMs < NO_HORIZON_MS);
  if (!r) return `${goal}: not measured (BENCH_TIMER_SIZES has no ${GOAL_SIZE})`;
  const p99 = p99Of(r);
  const figure = Number.isFinite(p99)
    ? `p99 ${ms(p99)} ms`
    : `${r.probes - r.fired} of ${r.probes} probes missing`;
  return `${goal}: ${p99 <= GOAL_P99_MS ? 'MET' : 'NOT MET'} (${figure}, ${r.fired}/${r.probes} probes)`;
}

/**
 * Issue 18's second goal: rows read per second by an idle scheduler (server-side, pg_stat_database)
 * that do not grow with the number pending; and the same size without the horizon, side by side.
 */
function idleLines(results: SizeResult[]): string[] {
  const withHorizon = results.filter((r) => r.settings.horizonMs < NO_HORIZON_MS);
  const read = (r: SizeResult) => perS(r.idle.db.tupReturned + r.idle.db.tupFetched, r.idle);
  const out: string[] = [];
  if (withHorizon.length >= 2) {
    const small = withHorizon[0]!;
    const large = withHorizon.at(-1)!;
    out.push(
      `Goal: idle rows read/s independent of the number pending: ${int(read(small))}/s at ${small.label}, ` +
        `${int(read(large))}/s at ${large.label} (${fmt(read(large) / Math.max(1, read(small)), 2)}× for ` +
        `${fmt(large.pending / Math.max(1, small.pending), 0)}× the pending).`,
    );
  }
  for (const before of results.filter((r) => r.settings.horizonMs >= NO_HORIZON_MS)) {
    const after = withHorizon.find((r) => r.pending === before.pending);
    if (after)
      out.push(
        `Side by side at ${int(before.pending)} pending, idle rows read/s: ${int(read(after))} with the horizon, ` +
          `${int(read(before))} with every deadline in the job store (${fmt(read(after) / Math.max(1, read(before)), 3)}×); ` +
          `committed p99 ${ms(p99Of(after))} vs ${ms(p99Of(before))} ms.`,
      );
  }
  return out;
}

export function formatReport(results: SizeResult[], windowS: number): string {
  const out: string[] = [];
  const first = results[0];
  out.push('Timer precision: Agenda 6 on PostgreSQL (agenda_jobs), DeadlineScheduler in-process');
  if (first) {
    const s = first.settings;
    out.push(
      `Node ${process.version}, PostgreSQL ${first.pgVersion}; production defaults (src/scheduler/defaults.ts):` +
        ` poll every ${fmt(s.processEveryMs / 1000, 0)} s, lock lifetime ${fmt(s.lockLifetimeMs / 1000, 0)} s,` +
        ` lock limit ${s.lockLimit}, concurrency ${s.concurrency}, horizon ${fmt(s.horizonMs / 1000, 0)} s` +
        ` ("no horizon": every pending deadline in the job store, as before issue 18)`,
    );
    out.push(
      `Background timers uniform over the next hour, or N/100,000 hours beyond 100,000 (≈ 28 fire per second at most, each a` +
        ` MOVE that closes its ticket); ${first.probes} probe reminders due 1 s apart; lateness = due → event` +
        ` committed (NOTIFY at commit); recorded = due → the event's occurred_at`,
    );
  }
  out.push('');
  out.push(
    table([
      [
        'pending',
        'probes fired',
        'p50 ms',
        'p99 ms',
        'max ms',
        'recorded p50/p99/max ms',
        `p99 ≤ ${int(GOAL_P99_MS)} ms`,
      ],
      ...results.map((r) => {
        const c = sorted(r.committed);
        const rec = sorted(r.recorded);
        const p99 = p99Of(r);
        const missing = r.committed.length < r.probes;
        return [
          r.label,
          `${r.fired}/${r.probes}`,
          ms(quantile(c, 0.5)),
          missing ? `> ${ms(c.at(-1) ?? NaN)}` : ms(p99),
          missing ? 'n/a' : ms(c.at(-1) ?? NaN),
          `${ms(quantile(rec, 0.5))} / ${ms(quantile(rec, 0.99))} / ${ms(rec.at(-1) ?? NaN)}`,
          p99 <= GOAL_P99_MS ? 'yes' : 'no',
        ];
      }),
    ]),
  );
  out.push(
    `(With ${first?.probes ?? 0} probes the p99 lies between the two latest; p50/p99 quantiles interpolate.)`,
  );
  out.push(goalLine(results));
  out.push(...idleLines(results));
  out.push(
    'Latest probe per run (ms from its due time; locked < 0: by the poll before): ' +
      results
        .map((r) =>
          r.worst
            ? `${r.label}: probe ${r.worst.k} locked ${ms(r.worst.locked)}, started ${ms(r.worst.started)}, committed ${ms(r.worst.committed)}` +
              ` (${r.lockedLate}/${r.fired} probes locked after due, ${r.startedLate} locked in time but started > 100 ms late; event loop delay p99 ${ms(r.loopDelay.p99)}, max ${ms(r.loopDelay.max)})`
            : `${r.label}: none fired`,
        )
        .join('; '),
  );
  out.push('');
  out.push('Background timers while the probes ran (all on the same job name, workflow-timer):');
  out.push(
    table([
      ['pending', 'arriving /s', 'due by the end', 'done', 'backlog', 'oldest overdue s', 'Agenda cap /s'],
      ...results.map((r) => [
        r.label,
        fmt(r.backgroundRate, 1),
        int(r.backgroundDue),
        int(r.backgroundDone),
        int(Math.max(0, r.backgroundDue - r.backgroundDone)),
        fmt(r.oldestOverdueS, 1),
        fmt(r.settings.lockLimit / (r.settings.processEveryMs / 1000), 1),
      ]),
    ]),
  );
  out.push(
    '(Agenda cap = lockLimit / processEvery: between two polls a process runs only the jobs the poll locked,' +
      ' at most lockLimit per job name; jobs found by LISTEN/NOTIFY are the exception, and rows the scheduler' +
      ' did not save itself send none.)',
  );
  out.push('');
  out.push('Job store (agenda_jobs) after seeding, and at the end:');
  out.push(
    table([
      [
        'pending',
        'rows',
        'total size',
        'indexes',
        'at the end: heap',
        'index size',
        'no next run',
        'ticket_timer total',
      ],
      ...results.map((r) => [
        r.label,
        int(r.storeRows),
        `${fmt(r.storeBytes / 1048576, 1)} MB (${fmt(r.storeBytes / Math.max(1, r.storeRows), 0)} B/row)`,
        String(r.storeIndexCount),
        r.storeTableSize,
        r.storeIndexSize,
        int(r.storeNoNextRun),
        r.timerTableSize,
      ]),
    ]),
  );
  out.push('');
  out.push(
    `Database load, per second over ${windowS} s windows: client = statements this process sent through pg` +
      ` (bench instrumentation), server = pg_stat_database deltas (flushed by idle backends up to 10 s late)`,
  );
  out.push(
    table([
      [
        'pending / window',
        's',
        'statements',
        'on agenda_jobs',
        'rows returned',
        'DB time %',
        'server xacts',
        'rows read',
        'rows fetched',
        'blocks',
      ],
      ...results.flatMap((r) => [
        loadRow(`${r.label}: scheduler stopped (baseline)`, r.baseline),
        loadRow(`${r.label}: scheduler idle (nothing due within the horizon)`, r.idle),
        loadRow(`${r.label}: scheduler busy (background + probes)`, r.loaded),
      ]),
    ]),
  );
  out.push('(DB time % = summed statement latency as the client saw it, in % of one connection-second.)');
  out.push('');
  const largest = [...results].sort((a, b) => b.pending - a.pending)[0];
  out.push(
    `Statements on agenda_jobs, EXPLAIN ANALYZE on the database of the largest run (${largest?.label ?? 'none'} pending; rolled back):`,
  );
  for (const e of largest?.explains ?? []) {
    out.push(`- ${e.label}: ${fmt(e.ms, 2)} ms`);
    for (const line of e.plan
      .filter((l) => /Scan|Filter|Rows Removed|Buffers|Index Cond|Sort|BitmapOr|LockRows|Limit/.test(l))
      .slice(0, 9))
      out.push(`    ${line.trimEnd()}`);
  }
  for (const r of results.filter((x) => x !== largest)) {
    out.push(
      `  (${r.label} pending: ` +
        r.explains.map((e) => `${fmt(e.ms, 2)} ms`).join(', ') +
        ` for the same ${r.explains.length})`,
    );
  }
  out.push('');
  out.push(...findings(results));
  return out.join('\n');
}

/** Rows a plan read and threw away (its filters' "Rows Removed"). */
const rowsRemoved = (e?: Explained) =>
  (e?.plan ?? []).reduce((n, l) => n + Number(/Rows Removed by Filter: (\d+)/.exec(l)?.[1] ?? 0), 0);

/** How a plan reaches agenda_jobs: the index it uses, or a sequential scan. */
function accessPath(e?: Explained): string {
  const paths = (e?.plan ?? []).flatMap((l) => {
    const m =
      /(Seq Scan) on agenda_jobs|Index (?:Only )?Scan(?: Backward)? using (\S+)|Bitmap Index Scan on (\S+)/.exec(
        l,
      );
    return m ? [m[1] ? 'a sequential scan of the whole table' : `index ${m[2] ?? m[3]}`] : [];
  });
  return paths.length ? [...new Set(paths)].join(' + ') : 'plan not read';
}

/** What the figures say, computed from them (the scheduler's throughput cap, the store's statements). */
function findings(results: SizeResult[]): string[] {
  const out = ['Findings:'];
  for (const r of results) {
    const s = r.settings;
    const pollS = s.processEveryMs / 1000;
    const cap = s.lockLimit / pollS;
    const p99 = p99Of(r);
    if (r.backgroundRate > cap) {
      const needLock = Math.ceil((2 * r.backgroundRate * s.processEveryMs) / 1000 / 50) * 50;
      const needPoll = Math.floor(((s.lockLimit / (2 * r.backgroundRate)) * 1000) / 100) * 100;
      out.push(
        `- ${r.label} pending: ${fmt(r.backgroundRate, 1)} timers/s arrive but one process runs at most lockLimit/processEvery =` +
          ` ${s.lockLimit}/${fmt(pollS, 0)} s = ${fmt(cap, 0)} jobs/s of a name (a poll locks at most lockLimit jobs,` +
          ` nothing else locks any until the next poll; the minute sweep adds up to 500 a minute). The backlog grew to` +
          ` ${int(Math.max(0, r.backgroundDue - r.backgroundDone))} (oldest ${fmt(r.oldestOverdueS, 0)} s overdue) and every later` +
          ` deadline waits behind it: p99 ${p99 > GOAL_P99_MS ? 'NOT MET' : 'met'} and the lateness keeps growing.` +
          ` Settings that lift the cap: SCHEDULER_LOCK_LIMIT ≥ ${needLock} (2× what one poll interval brings)` +
          ` or SCHEDULER_POLL_MS ≤ ${needPoll}; each more worker process adds its own cap.`,
      );
    } else {
      out.push(
        `- ${r.label} pending: ${fmt(r.backgroundRate, 1)} timers/s arrive, under the cap of ${fmt(cap, 0)} jobs/s` +
          ` (lockLimit/processEvery = ${s.lockLimit}/${fmt(pollS, 0)} s): ${int(r.backgroundDone)} of` +
          ` ${int(r.backgroundDue)} due done, committed p50 ${ms(quantile(sorted(r.committed), 0.5))} ms, p99 ${ms(p99)} ms.`,
      );
    }
    const [fetch, lastCall, cancel, lookup] = r.explains;
    if (lastCall && cancel && lookup) {
      const read = rowsRemoved(lastCall);
      out.push(
        `  agenda_jobs at ${int(r.storeRows)} rows: a poll's find-and-lock took ${fmt(fetch?.ms ?? NaN, 2)} ms during the run,` +
          ` its last call (the due jobs locked, nothing left) ${fmt(lastCall.ms, 1)} ms reading ${int(read)} rows` +
          ` through ${accessPath(lastCall)} (ordered by next_run_at, the OR on locked_at a filter), once per poll and job` +
          ` name with jobs: about ${int(read / pollS)} rows/s at one poll every ${fmt(pollS, 0)} s, against` +
          ` ${int(perS(r.loaded.db.tupReturned, r.loaded))} rows read/s on the server while busy.` +
          ` The cancel of a ticket's jobs took ${fmt(cancel.ms, 2)} ms through ${accessPath(cancel)}, put's unique lookup` +
          ` ${fmt(lookup.ms, 2)} ms through ${accessPath(lookup)} (a job run or a change cancels its kinds beyond the` +
          ` horizon in one statement, and looks up the job of each kind within it).`,
      );
    }
    out.push(
      `  Job store: ${int(r.storeRows)} rows, ${fmt(r.storeBytes / 1048576, 1)} MB (≈ ${fmt(r.storeBytes / Math.max(1, r.storeRows), 0)} B a job with` +
        ` its ${r.storeIndexCount} indexes; ticket_timer, which it mirrors, takes ${fmt(r.timerBytes / 1048576, 1)} MB);` +
        ` ${int(r.storeNoNextRun)} row${r.storeNoNextRun === 1 ? '' : 's'} without a next run at the end (jobs running at that instant: deadline jobs are` +
        ` defined with removeOnComplete, so the store holds one row per deadline within the horizon).`,
    );
  }
  const early = results.filter((r) => r.startedLate > 0);
  if (early.length) {
    out.push(
      `- Probes locked in time yet started over 100 ms late (${early.map((r) => `${r.label}: ${r.startedLate}`).join(', ')}):` +
        ` Agenda arms one setTimeout per locked job (gotTimerToExecute); when it fires a millisecond before nextRunAt` +
        ` (Node timers vs Date.now()), jobProcessing finds the job still in the future, re-queues it and arms no other` +
        ` timer, so it starts at the next trigger: another job's timer, a job finishing, or the next poll (up to` +
        ` processEvery on a quiet desk).`,
    );
  }
  return out;
}

export async function runTimerBench(): Promise<string> {
  benchStarted = performance.now();
  const sizes = sizesFromEnv();
  const probes = Math.round(numberFromEnv('BENCH_PROBES', 30, 1));
  const windowS = numberFromEnv('BENCH_TIMER_WINDOW_S', 10, 1);
  const meter = new PgMeter();
  meter.install();
  const results: SizeResult[] = [];
  try {
    const runs: [number, SchedulerSettings][] = sizes.map((n) => [n, DEFAULT_SETTINGS]);
    // The design before the horizon, side by side: every pending deadline in the job store.
    for (const n of beforeSizesFromEnv()) runs.push([n, { ...DEFAULT_SETTINGS, horizonMs: NO_HORIZON_MS }]);
    for (const [n, settings] of runs) {
      const r = await runSize(n, probes, windowS, meter, settings);
      results.push(r);
      log(
        `${r.label}: ${r.fired}/${r.probes} probes, committed p50 ${ms(quantile(sorted(r.committed), 0.5))} ms,` +
          ` p99 ${ms(p99Of(r))} ms; background ${int(r.backgroundDone)} done of ${int(r.backgroundDue)} due`,
      );
    }
  } finally {
    meter.uninstall();
  }
  return formatReport(results, windowS);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const started = performance.now();
  runTimerBench().then(
    (report) => {
      console.log('');
      console.log(report);
      console.log(`total time ${fmt((performance.now() - started) / 1000)} s`);
      // Agenda's job processor leaves a timer running for lockLifetime/2 after a job ran.
      process.exit(0);
    },
    (err: Error) => {
      console.error(`[timers] FAILED: ${err.stack ?? err.message}`);
      process.exit(1);
    },
  );
}
