/**
 * The write path against a floor (issue 18, item 2): `addComment` (a public staff reply: the SLA is
 * recomputed, the first response recorded, events appended, the ticket's jobs moved) and
 * `transitionTicket` (a status change: timers restarted, SLA paused or resumed, events, jobs) over HTTP
 * at a fixed concurrency, against a floor that sends the same SQL statements with raw `pg` behind
 * `node:http` and answers in the same JSON shape. Interleaved rounds in one process, one database.
 *
 * Reported per operation: throughput (median of rounds) and its ratio to the floor's, p50/p99 latency,
 * SQL statements per change (every statement this process sends through `pg`, `begin`/`commit` and the
 * job store's included, counted by PgMeter), and process CPU per change (the load generator's worker
 * thread included, the same for both). Goals: ≥ 0.5× the floor's throughput, ≤ 5 statements per change.
 *
 * `npm run bench:write` runs it alone (about a minute); `npm run bench` runs it too (BENCH_WRITE=0 skips
 * it). Variables: BENCH_WRITE_TICKETS (tickets per side, default 400), BENCH_WRITE_SECONDS (5),
 * BENCH_WRITE_ROUNDS (3), BENCH_CONCURRENCY (8), BENCH_DATABASE_URL as for `npm run bench`.
 */
import './env.js'; // first: NODE_ENV=production, silent logs, reflect-metadata
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { signUserToken } from '../src/access/jwt.js';
import { loadConfig } from '../src/config.js';
import { initOrm, migrate, type MikroORM } from '../src/db/orm.js';
import { User } from '../src/directory/user.entity.js';
import { DeadlineScheduler } from '../src/scheduler/scheduler.js';
import { DEMO_USERS, loadDemoData } from '../src/seed/demo-data.js';
import { startServer, type RunningServer } from '../src/server/app.js';
import { toGlobalId } from '../src/server/global-id.js';
import { buildDocketSchema } from '../src/server/schema.js';
import { systemClock } from '../src/shared/clock.js';
import { createLogger } from '../src/shared/logger.js';
import { openBenchDatabase, type BenchDatabase } from './database.js';
import { LoadGenerator, type LoadChain, type LoadRequest, type RoundStats } from './load.js';
import { fmt, median, numberFromEnv, table } from './stats.js';
import { PgMeter } from './timers-meter.js';

const GOAL_RATIO = 0.5;
const GOAL_STATEMENTS = 5;
const WRITE_DATABASE = 'docket_bench_write';
const STATUSES: [string, string] = ['awaiting_customer', 'in_progress'];

const settings = {
  tickets: Math.round(numberFromEnv('BENCH_WRITE_TICKETS', 400, 16)),
  seconds: numberFromEnv('BENCH_WRITE_SECONDS', 5, 0.5),
  rounds: Math.round(numberFromEnv('BENCH_WRITE_ROUNDS', 3, 1)),
  concurrency: Math.round(numberFromEnv('BENCH_CONCURRENCY', 8, 1)),
};

const log = (message: string) => console.log(`[write] ${message}`);

const COMMENT = `mutation Reply($i: AddCommentInput!) { addComment(input: $i) { comment { id } errors { code message } } }`;
const TRANSITION = `mutation Move($i: TransitionTicketInput!) { transitionTicket(input: $i) { ticket { id version } errors { code message } } }`;
const CREATE = `mutation Open($i: CreateTicketInput!) { createTicket(input: $i) { ticket { id version } errors { code message } } }`;

// ---------------------------------------------------------------------------------------------------
// The floor: Docket's statements for the same two changes, in the same order, with raw pg.

const LOCK = `select * from ticket where id = $1 for update`;
const INSERT_COMMENT = `insert into comment (id, ticket_id, author_id, author_kind, body, internal, created_at)
  values (gen_random_uuid(), $1, $2, 'AGENT', $3, false, now()) returning id`;
const BUMP_COMMENTS = `update ticket set comments_total = comments_total + 1, comments_public = comments_public + 1,
  updated_at = now(), version = version + 1 where id = $1 returning priority_rank, version`;
const MOVE = `update ticket set status = $2, status_category = $3, updated_at = now(), version = version + 1
  where id = $1 and version = $4 returning priority_rank, version`;
const DELETE_TIMERS = `delete from ticket_timer where ticket_id = $1`;
const INSERT_TIMER = `insert into ticket_timer (id, ticket_id, timer_index, status, entered_at, fire_at, fired_count)
  values (gen_random_uuid(), $1, 0, $2, now(), now() + interval '3 days', 0)`;
const SLA = `select * from ticket_sla where ticket_id = $1 limit 1`;
const HISTORY = `select type, payload, occurred_at from ticket_event where ticket_id = $1
  and type in ('TICKET_CREATED', 'STATUS_CHANGED', 'COMMENT_ADDED') order by seq`;
const TARGETS = `select * from ticket_sla_target where ticket_id = $1`;
const UPDATE_TARGETS = `update ticket_sla_target set computed_at = now() where ticket_id = $1`;
const APPEND = `with numbers as (
    update event_sequence set last_seq = last_seq + 1 where id = 1 returning last_seq
  ), added as (
    insert into ticket_event (seq, ticket_id, type, actor_kind, actor_id, payload, internal, occurred_at,
      requester_id, organization_id, team_id, assignee_id, status_category, priority, partner_id, participant_ids)
    select n.last_seq, t.id, $2, 'AGENT', $3, $4::jsonb, false, now(), t.requester_id, t.organization_id,
      t.team_id, t.assignee_id, t.status_category, t.priority, t.partner_id, nullif(t.participant_ids, '{}')
    from numbers n join ticket t on t.id = $1
    returning 1)
  select last_seq, pg_notify('docket_events', last_seq::text) from numbers`;
const DEADLINES = `select ticket_id, 'workflow-timer' as kind, min(fire_at) as at from ticket_timer
    where ticket_id = $1 and fire_at is not null group by ticket_id
  union all select ticket_id, 'sla-warning', min(next_warning_at) from ticket_sla_target
    where ticket_id = $1 and state = 'ACTIVE' and next_warning_at is not null group by ticket_id
  union all select ticket_id, 'sla-breach', min(due_at) from ticket_sla_target
    where ticket_id = $1 and state = 'ACTIVE' and due_at is not null group by ticket_id`;
const CANCEL_JOBS = `delete from agenda_jobs j using unnest($1::text[], $2::text[]) as d(name, ticket_id)
  where j.name = d.name and j.data->>'ticketId' = d.ticket_id`;

interface FloorServer {
  url: string;
  close(): Promise<void>;
}

/**
 * The floor server. A POST with `variables.i.to` is a status change, else a reply. It reads the body,
 * runs the statements, and answers `{data: {…}}` as Docket does for the fields the bench selects.
 */
async function startWriteFloor(
  url: string,
  poolMax: number,
  agentId: string,
  categories: Record<string, string>,
) {
  const pool = new pg.Pool({ connectionString: url, max: poolMax });
  const change = async (
    ticketId: string,
    to: string | undefined,
    expected: number | undefined,
    body: string,
  ) => {
    const c = await pool.connect();
    try {
      await c.query('begin');
      await c.query(LOCK, [ticketId]);
      let version: number;
      let type: string;
      let payload: unknown;
      if (to) {
        const moved = await c.query<{ version: number }>(MOVE, [ticketId, to, categories[to], expected]);
        if (!moved.rows[0]) throw new Error('STALE_VERSION');
        version = moved.rows[0].version;
        await c.query(DELETE_TIMERS, [ticketId]);
        if (to === STATUSES[0]) await c.query(INSERT_TIMER, [ticketId, to]);
        type = 'STATUS_CHANGED';
        payload = { to };
      } else {
        await c.query(INSERT_COMMENT, [ticketId, agentId, body]);
        version = (await c.query<{ version: number }>(BUMP_COMMENTS, [ticketId])).rows[0]!.version;
        type = 'COMMENT_ADDED';
        payload = { body };
      }
      await c.query(SLA, [ticketId]);
      await c.query(HISTORY, [ticketId]);
      await c.query(TARGETS, [ticketId]);
      await c.query(UPDATE_TARGETS, [ticketId]);
      await c.query(APPEND, [ticketId, type, agentId, JSON.stringify(payload)]);
      await c.query('commit');
      await c.query(DEADLINES, [ticketId]);
      // The job store: every kind's job cancelled (nothing within the horizon), as Docket's sync does.
      const kinds = ['workflow-timer', 'sla-warning', 'sla-breach'];
      await c.query(CANCEL_JOBS, [kinds, kinds.map(() => ticketId)]);
      return version;
    } catch (err) {
      await c.query('rollback').catch(() => {});
      throw err;
    } finally {
      c.release();
    }
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const { variables } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        variables: { i: { ticketId: string; to?: string; expectedVersion?: number; body?: string } };
      };
      const i = variables.i;
      const ticketId = Buffer.from(i.ticketId, 'base64url').toString('utf8').split(':')[1]!;
      change(ticketId, i.to, i.expectedVersion, i.body ?? '').then(
        (version) => {
          const data = i.to
            ? { transitionTicket: { ticket: { id: i.ticketId, version }, errors: [] } }
            : { addComment: { comment: { id: toGlobalId('Comment', ticketId) }, errors: [] } };
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data }));
        },
        (err: Error) => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ errors: [{ message: err.message }] }));
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await pool.end();
    },
  } satisfies FloorServer;
}

// ---------------------------------------------------------------------------------------------------

interface Side {
  rps: number[];
  p50: number[];
  p99: number[];
  statements: number[];
  cpuMs: number[];
}

const emptySide = (): Side => ({ rps: [], p50: [], p99: [], statements: [], cpuMs: [] });

export interface WriteResult {
  operation: 'addComment' | 'transitionTicket';
  docket: Side;
  floor: Side;
}

async function createTickets(serverUrl: string, token: string, requesterId: string, n: number) {
  const out: { id: string; version: number; next: 0 | 1 }[] = [];
  for (let k = 0; k < n; k++) {
    const res = await fetch(serverUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({
        query: CREATE,
        variables: {
          i: {
            subject: `Write bench #${k}`,
            description: 'The export fails with a timeout',
            channel: 'EMAIL',
            priority: 'HIGH',
            requesterId,
          },
        },
      }),
    });
    const body = (await res.json()) as {
      data?: { createTicket: { ticket: { id: string; version: number } | null; errors: unknown[] } };
    };
    const t = body.data?.createTicket.ticket;
    if (!t) throw new Error(`createTicket failed: ${JSON.stringify(body).slice(0, 500)}`);
    out.push({ id: t.id, version: t.version, next: 0 });
  }
  return out;
}

/** Runs the write-path bench; resolves to its report. */
export async function runWriteBench(): Promise<string> {
  const config = loadConfig();
  const logger = createLogger('silent');
  let db: BenchDatabase | undefined;
  let orm: MikroORM | undefined;
  let scheduler: DeadlineScheduler | undefined;
  let server: RunningServer | undefined;
  let floor: FloorServer | undefined;
  let load: LoadGenerator | undefined;
  const meter = new PgMeter();
  try {
    log('starting the database…');
    db = await openBenchDatabase(WRITE_DATABASE);
    orm = await initOrm(db.url, logger, config.dbPoolMax, false);
    await migrate(orm);
    await loadDemoData(orm.em.fork(), systemClock);
    // As an API process of a split deployment: its mutations move their tickets' jobs (sync), workers
    // (none here) run them.
    scheduler = new DeadlineScheduler({
      databaseUrl: db.url,
      process: false,
      name: `write-bench:${process.pid}`,
      em: orm.em.fork(),
      clock: systemClock,
      logger,
    });
    await scheduler.start();
    server = await startServer(
      { config, orm, schema: await buildDocketSchema(), clock: systemClock, logger, scheduler },
      { port: 0, host: '127.0.0.1' },
    );
    const em = orm.em.fork();
    const alice = await em.findOneOrFail(User, { email: DEMO_USERS.alice });
    const uma = await em.findOneOrFail(User, { email: 'uma@umbrella.example' });
    const token = await signUserToken(config, alice.id);
    // Four sets: replies and status changes on tickets of their own (a reply moves the version a status
    // change expects), for Docket and for the floor.
    log(`creating ${settings.tickets} tickets for each side and operation…`);
    const requester = toGlobalId('User', uma.id);
    const docketTickets = await createTickets(server.url, token, requester, settings.tickets);
    const floorTickets = await createTickets(server.url, token, requester, settings.tickets);
    const docketReplies = await createTickets(server.url, token, requester, settings.tickets);
    const floorReplies = await createTickets(server.url, token, requester, settings.tickets);
    const categories = Object.fromEntries(
      (
        await em.execute<{ key: string; category: string }[]>(
          `select s->>'key' as key, s->>'category' as category from ticket t
             join workflow_version w on w.id = t.workflow_version_id,
             jsonb_array_elements(w.definition->'statuses') s
           where t.id = ? `,
          [Buffer.from(docketTickets[0]!.id, 'base64url').toString('utf8').split(':')[1]],
        )
      ).map((r) => [r.key, r.category]),
    );
    const targets = await em.execute<{ n: string }[]>(`select count(*) as n from ticket_sla_target`);
    log(`SLA targets on the bench's tickets: ${targets[0]!.n} (each change recomputes them)`);
    floor = await startWriteFloor(db.url, config.dbPoolMax, alice.id, categories);

    const headers = { 'content-type': 'application/json' };
    const commentJob = (
      url: string,
      auth: Record<string, string>,
      tickets: { id: string }[],
    ): LoadRequest => ({
      url,
      headers: { ...headers, ...auth },
      body: '',
      bodies: tickets.map((t) =>
        JSON.stringify({
          query: COMMENT,
          variables: { i: { ticketId: t.id, body: 'We are on it.', internal: false } },
        }),
      ),
      concurrency: settings.concurrency,
      durationMs: settings.seconds * 1000,
    });
    const chains: Record<'docket' | 'floor', LoadChain> = {
      docket: { query: TRANSITION, statuses: STATUSES, tickets: docketTickets },
      floor: { query: TRANSITION, statuses: STATUSES, tickets: floorTickets },
    };
    const auth = { authorization: `Bearer ${token}` };
    load = new LoadGenerator();
    meter.install();
    const results: WriteResult[] = [
      { operation: 'addComment', docket: emptySide(), floor: emptySide() },
      { operation: 'transitionTicket', docket: emptySide(), floor: emptySide() },
    ];
    const measure = async (job: LoadRequest, side: Side): Promise<RoundStats> => {
      const m0 = meter.snapshot();
      const c0 = process.cpuUsage();
      const stats = await load!.run(job);
      const cpu = process.cpuUsage(c0);
      const m1 = meter.snapshot();
      if (stats.errors) throw new Error(`${job.url}: ${stats.errors} failed; first: ${stats.firstError}`);
      side.rps.push(stats.rps);
      side.p50.push(stats.p50);
      side.p99.push(stats.p99);
      side.statements.push((m1.statements - m0.statements) / stats.ok);
      side.cpuMs.push((cpu.user + cpu.system) / 1000 / stats.ok);
      return stats;
    };
    log(`warming up, then ${settings.rounds} interleaved rounds of ${settings.seconds} s per side…`);
    for (let round = 0; round <= settings.rounds; round++) {
      const warm = round === 0;
      const sink = (s: Side) => (warm ? emptySide() : s);
      await measure(commentJob(server.url, auth, docketReplies), sink(results[0]!.docket));
      await measure(commentJob(floor.url, {}, floorReplies), sink(results[0]!.floor));
      const d = await measure(
        { ...commentJob(server.url, auth, []), bodies: undefined, chain: chains.docket },
        sink(results[1]!.docket),
      );
      chains.docket = d.chain!;
      const f = await measure(
        { ...commentJob(floor.url, {}, []), bodies: undefined, chain: chains.floor },
        sink(results[1]!.floor),
      );
      chains.floor = f.chain!;
      if (!warm)
        log(
          `round ${round}: addComment ${fmt(results[0]!.docket.rps.at(-1)!)} vs ${fmt(results[0]!.floor.rps.at(-1)!)} /s,` +
            ` transitionTicket ${fmt(results[1]!.docket.rps.at(-1)!)} vs ${fmt(results[1]!.floor.rps.at(-1)!)} /s`,
        );
    }
    return formatWriteReport(results);
  } finally {
    meter.uninstall();
    await load?.close().catch(() => {});
    await floor?.close().catch(() => {});
    await server?.close().catch(() => {});
    await scheduler?.stop().catch(() => {});
    await orm?.close().catch(() => {});
    await db?.close().catch(() => {});
  }
}

function formatWriteReport(results: WriteResult[]): string {
  const out = [
    `Write path over HTTP at concurrency ${settings.concurrency}, ${settings.tickets} tickets per side, ` +
      `${settings.rounds} rounds of ${settings.seconds} s (medians); statements and CPU per change include ` +
      `begin/commit, the job store, and (CPU) the load generator's thread`,
    '',
  ];
  const rows: string[][] = [
    ['operation', 'side', 'changes/s', 'p50 ms', 'p99 ms', 'statements/change', 'CPU ms/change'],
  ];
  for (const r of results)
    for (const side of ['docket', 'floor'] as const) {
      const s = r[side];
      rows.push([
        r.operation,
        side === 'docket' ? 'Docket' : 'floor (node:http + pg)',
        fmt(median(s.rps)),
        fmt(median(s.p50), 2),
        fmt(median(s.p99), 2),
        fmt(median(s.statements), 1),
        fmt(median(s.cpuMs), 2),
      ]);
    }
  out.push(table(rows));
  for (const r of results) {
    const ratio = median(r.docket.rps.map((x, i) => x / r.floor.rps[i]!));
    const statements = median(r.docket.statements);
    out.push(
      `${r.operation}: ${fmt(ratio, 3)}× the floor's throughput (goal ≥ ${GOAL_RATIO}×: ${ratio >= GOAL_RATIO ? 'MET' : 'NOT MET'}); ` +
        `${fmt(statements, 1)} statements per change (goal ≤ ${GOAL_STATEMENTS}: ${statements <= GOAL_STATEMENTS ? 'MET' : 'NOT MET'})`,
    );
  }
  return out.join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runWriteBench().then(
    (report) => {
      console.log('');
      console.log(report);
      process.exit(0);
    },
    (err: Error) => {
      console.error(`[write] FAILED: ${err.stack ?? err.message}`);
      process.exit(1);
    },
  );
}
