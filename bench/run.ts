/**
 * `npm run bench`: Docket's 50-ticket queue page over HTTP against a floor (node:http + pg + JSON
 * serving the same answer), on 100,000 seeded tickets, in interleaved rounds; then the SLA sections
 * and, once that database is closed, the timer precision bench (BENCH_TIMERS=0 skips it) and the
 * realtime bench (BENCH_REALTIME=0 skips it), then notifications (BENCH_NOTIFY=0 skips it), webhooks
 * (BENCH_WEBHOOKS=0), the write path against its floor (BENCH_WRITE=0), then inbound mail
 * (BENCH_INBOUND=0). See
 * bench/README.md.
 */
import './env.js'; // first: sets NODE_ENV=production before graphql and express load
import { isDeepStrictEqual } from 'node:util';
import pg from 'pg';
import { signUserToken } from '../src/access/jwt.js';
import { loadConfig } from '../src/config.js';
import { initOrm, migrate, type MikroORM } from '../src/db/orm.js';
import { User } from '../src/directory/user.entity.js';
import { DEMO_USERS, loadDemoData } from '../src/seed/demo-data.js';
import { startServer, type RunningServer } from '../src/server/app.js';
import { buildDocketSchema } from '../src/server/schema.js';
import { systemClock } from '../src/shared/clock.js';
import { createLogger } from '../src/shared/logger.js';
import { openBenchDatabase, type BenchDatabase } from './database.js';
import { runAuthBench } from './auth.js';
import { runCalendarBench } from './calendar.js';
import { startFloor, type FloorServer } from './floor.js';
import { runSlaMetricsBench, seedSlaTargets } from './sla-metrics.js';
import { LoadGenerator, type LoadRequest, type RoundStats } from './load.js';
import { seedTickets } from './seed.js';
import { fmt, median, numberFromEnv, table } from './stats.js';
import { runTimerBench } from './timers.js';
import { runRealtimeBench } from './realtime.js';
import { runNotifyBench } from './notify.js';
import { runWriteBench } from './write-path.js';
import { runInboundBench } from './inbound.js';
import { runWebhooksBench } from './webhooks.js';

const QUEUE_QUERY = `query Queue { tickets(first: 50, orderBy: QUEUE, filter: { statusCategory: [NEW, OPEN] }) { totalCount edges { cursor node { id reference subject priority status { key name } createdAt requester { id name } assignee { id name } organization { id name } team { id name } commentCount } } } }`;
const GOAL = 0.35;

const settings = {
  tickets: Math.round(numberFromEnv('BENCH_TICKETS', 100_000, 1)),
  seconds: numberFromEnv('BENCH_SECONDS', 5, 0.5),
  warmupSeconds: numberFromEnv('BENCH_WARMUP_SECONDS', 3, 0),
  rounds: Math.round(numberFromEnv('BENCH_ROUNDS', 4, 1)),
  concurrency: Math.round(numberFromEnv('BENCH_CONCURRENCY', 8, 1)),
};

const log = (message: string) => console.log(`[bench] ${message}`);
const gc = () => (globalThis as { gc?: () => void }).gc?.();

interface Page {
  data?: { tickets: { totalCount: number; edges: { cursor: string; node: { id: string } }[] } };
  errors?: unknown[];
}

async function post(url: string, headers: Record<string, string>, body: string): Promise<Page> {
  const res = await fetch(url, { method: 'POST', headers, body });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${url} answered HTTP ${res.status}: ${text.slice(0, 500)}`);
  return JSON.parse(text) as Page;
}

/** Both endpoints must serve the same first page before their speed means anything. */
async function checkSameAnswer(docket: LoadRequest, floor: LoadRequest): Promise<number> {
  const a = await post(docket.url, docket.headers, docket.body);
  const b = await post(floor.url, floor.headers, floor.body);
  if (a.errors || !a.data)
    throw new Error(`Docket answered with errors: ${JSON.stringify(a.errors).slice(0, 1000)}`);
  if (b.errors || !b.data)
    throw new Error(`The floor answered with errors: ${JSON.stringify(b.errors).slice(0, 1000)}`);
  const ids = (p: Page) => p.data!.tickets.edges.map((e) => e.node.id);
  const [da, fa] = [ids(a), ids(b)];
  if (da.length !== 50) throw new Error(`Docket returned ${da.length} tickets, not 50: is the seed right?`);
  if (
    da.length !== fa.length ||
    new Set([...da, ...fa]).size !== da.length ||
    a.data.tickets.totalCount !== b.data.tickets.totalCount
  ) {
    throw new Error(
      `Docket and the floor disagree on the first page:\n  Docket (${a.data.tickets.totalCount}): ${da.join(' ')}\n  floor  (${b.data.tickets.totalCount}): ${fa.join(' ')}`,
    );
  }
  if (da.join() !== fa.join()) log('WARNING: same tickets, different order');
  // Docket's responses also carry extensions (the operation's cost); the answers are compared on data.
  if (!isDeepStrictEqual(a.data, b.data)) {
    const ea = a.data.tickets.edges;
    const eb = b.data.tickets.edges;
    const i = ea.findIndex((e, k) => !isDeepStrictEqual(e, eb[k]));
    log(`WARNING: same tickets but the JSON differs; first at edge ${i}:`);
    log(`  Docket: ${JSON.stringify(ea[i])}`);
    log(`  floor:  ${JSON.stringify(eb[i])}`);
  } else {
    log('check: Docket and the floor return identical JSON for the first page');
  }
  return a.data.tickets.totalCount;
}

function assertHealthy(name: string, s: RoundStats): void {
  if (s.errors > Math.max(1, (s.ok + s.errors) * 0.01)) {
    throw new Error(`${name}: ${s.errors} of ${s.ok + s.errors} requests failed; first: ${s.firstError}`);
  }
  if (s.errors) log(`${name}: ${s.errors} failed request(s), first: ${s.firstError}`);
}

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger('silent');
  let db: BenchDatabase | undefined;
  let orm: MikroORM | undefined;
  let server: RunningServer | undefined;
  let floor: FloorServer | undefined;
  let load: LoadGenerator | undefined;
  try {
    log('starting the database…');
    db = await openBenchDatabase();
    log(db.description);

    orm = await initOrm(db.url, logger, config.dbPoolMax);
    await migrate(orm);
    await loadDemoData(orm.em.fork(), systemClock);

    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    let pgVersion: string;
    let totals: { tickets: number; comments: number };
    try {
      log(`seeding ${settings.tickets.toLocaleString('en-US')} tickets…`);
      const seeded = await seedTickets(client, settings.tickets);
      log(
        `seeded ${seeded.tickets.toLocaleString('en-US')} tickets and ${seeded.comments.toLocaleString('en-US')} comments in ${fmt(seeded.seconds)} s (then VACUUM ANALYZE)`,
      );
      pgVersion = (await client.query<{ v: string }>("select current_setting('server_version') as v"))
        .rows[0]!.v;
      const t = (
        await client.query<{ tickets: string; comments: string }>(
          'select (select count(*) from ticket) as tickets, (select count(*) from comment) as comments',
        )
      ).rows[0]!;
      totals = { tickets: Number(t.tickets), comments: Number(t.comments) };
    } finally {
      await client.end();
    }

    server = await startServer(
      { config, orm, schema: await buildDocketSchema(), clock: systemClock, logger },
      { port: 0, host: '127.0.0.1' },
    );
    floor = await startFloor(db.url, config.dbPoolMax);
    const alice = await orm.em.fork().findOneOrFail(User, { email: DEMO_USERS.alice });
    const token = await signUserToken(config, alice.id);
    log(
      `Docket at ${server.url} (pool ${config.dbPoolMax}), floor at ${floor.url} (pool ${config.dbPoolMax})`,
    );

    const body = JSON.stringify({ operationName: 'Queue', query: QUEUE_QUERY });
    const job = (url: string, headers: Record<string, string>, durationMs: number): LoadRequest => ({
      url,
      headers: { 'content-type': 'application/json', ...headers },
      body,
      concurrency: settings.concurrency,
      durationMs,
    });
    const docketJob = job(server.url, { authorization: `Bearer ${token}` }, settings.seconds * 1000);
    const floorJob = job(floor.url, {}, settings.seconds * 1000);
    const matching = await checkSameAnswer(docketJob, floorJob);

    load = new LoadGenerator();
    if (settings.warmupSeconds > 0) {
      log(`warming up (${settings.warmupSeconds} s each)…`);
      for (const j of [docketJob, floorJob]) {
        assertHealthy('warm-up', await load.run({ ...j, durationMs: settings.warmupSeconds * 1000 }));
      }
    }

    const rounds: { docket: RoundStats; floor: RoundStats }[] = [];
    for (let i = 1; i <= settings.rounds; i++) {
      gc();
      const d = await load.run(docketJob);
      assertHealthy('Docket', d);
      gc();
      const f = await load.run(floorJob);
      assertHealthy('floor', f);
      rounds.push({ docket: d, floor: f });
      log(
        `round ${i}/${settings.rounds}: Docket ${fmt(d.rps)} req/s (p50 ${fmt(d.p50, 2)} ms, p99 ${fmt(d.p99, 2)} ms)` +
          ` | floor ${fmt(f.rps)} req/s (p50 ${fmt(f.p50, 2)} ms, p99 ${fmt(f.p99, 2)} ms) | ratio ${fmt(d.rps / f.rps, 3)}`,
      );
    }

    const med = (pick: (r: (typeof rounds)[number]) => number) => median(rounds.map(pick));
    const docketRps = med((r) => r.docket.rps);
    const floorRps = med((r) => r.floor.rps);
    const ratio = med((r) => r.docket.rps / r.floor.rps);
    const sum = (pick: (r: (typeof rounds)[number]) => number) => rounds.reduce((s, r) => s + pick(r), 0);

    console.log('');
    console.log('Docket benchmark: the 50-ticket queue page (tickets(first: 50, orderBy: QUEUE, NEW/OPEN))');
    console.log(
      `Node ${process.version}, PostgreSQL ${pgVersion}, ${totals.tickets.toLocaleString('en-US')} tickets` +
        ` (${matching.toLocaleString('en-US')} NEW/OPEN), ${totals.comments.toLocaleString('en-US')} comments`,
    );
    console.log(
      `${settings.rounds} interleaved rounds × ${settings.seconds} s per endpoint, concurrency ${settings.concurrency},` +
        ` warm-up ${settings.warmupSeconds} s; medians over rounds`,
    );
    console.log('');
    console.log(
      table([
        ['', 'req/s', 'p50 ms', 'p99 ms', 'requests', 'errors', 'bytes/resp'],
        ...(['docket', 'floor'] as const).map((k) => [
          k === 'docket' ? 'Docket (Apollo+TypeGraphQL+MikroORM)' : 'floor (node:http + pg + JSON)',
          fmt(med((r) => r[k].rps)),
          fmt(
            med((r) => r[k].p50),
            2,
          ),
          fmt(
            med((r) => r[k].p99),
            2,
          ),
          sum((r) => r[k].ok).toLocaleString('en-US'),
          String(sum((r) => r[k].errors)),
          fmt(
            med((r) => r[k].bytesPerResponse),
            0,
          ),
        ]),
      ]),
    );
    console.log('');
    console.log(
      `ratio Docket/floor: ${fmt(ratio, 3)}× (median of per-round ratios; ratio of medians ${fmt(docketRps / floorRps, 3)}×)` +
        ` — goal ≥ ${GOAL}×: ${ratio >= GOAL ? 'MET' : 'NOT MET'}`,
    );

    // Authentication and authorization (issue 6): the same page with and without them.
    console.log('');
    console.log(
      await runAuthBench({
        orm,
        config,
        logger,
        load,
        agent: { kind: 'AGENT', userId: alice.id, tier: alice.tier ?? undefined },
        token,
        body,
        concurrency: settings.concurrency,
        // More, shorter rounds than the queue's: the three variants differ by a few per cent.
        seconds: Math.min(settings.seconds, 3),
        rounds: Math.max(settings.rounds * 2, 8),
      }),
    );

    // The SLA engine's two figures (issue 3): the calendar calculator, and slaMetrics over the same tickets.
    console.log('');
    console.log(await runCalendarBench());
    const seedClient = new pg.Client({ connectionString: db.url });
    await seedClient.connect();
    try {
      log(`seeding SLA targets: ${(await seedSlaTargets(seedClient)).toLocaleString('en-US')} rows`);
    } finally {
      await seedClient.end();
    }
    console.log('');
    console.log(
      await runSlaMetricsBench({
        databaseUrl: db.url,
        graphqlUrl: server.url,
        token,
        rounds: 5,
        perRound: 5,
      }),
    );
  } finally {
    await load?.close().catch(() => {});
    await server?.close().catch((err: Error) => log(`closing Docket: ${err.message}`));
    await floor?.close().catch((err: Error) => log(`closing the floor: ${err.message}`));
    await orm?.close().catch((err: Error) => log(`closing the ORM: ${err.message}`));
    await db?.close().catch((err: Error) => log(`closing the database: ${err.message}`));
  }
}

/**
 * The sections after main() closed its server and database, in order, each with its own database (and,
 * for realtime, its own server processes). `BENCH_<KEY>=0` skips one.
 */
const SECTIONS: { key: string; title: string; duration: string; run: () => Promise<string> }[] = [
  // The timer bench starts a fresh database per size (embedded, or `docket_bench_timers` on
  // BENCH_DATABASE_URL) and runs Agenda in this process.
  { key: 'TIMERS', title: 'Timer precision', duration: 'about 8 minutes', run: runTimerBench },
  { key: 'REALTIME', title: 'Realtime subscriptions', duration: 'about 4 minutes', run: runRealtimeBench },
  // commit → SMTP latency, and writes with notifications on against off
  { key: 'NOTIFY', title: 'Notifications', duration: 'about 2 minutes', run: runNotifyBench },
  // commit → received with 50 endpoints, and with 5 of them dead
  { key: 'WEBHOOKS', title: 'Webhooks', duration: 'about 1.5 minutes', run: runWebhooksBench },
  // addComment and transitionTicket against a floor of the same SQL
  { key: 'WRITE', title: 'Write path', duration: 'about a minute', run: runWriteBench },
  // mail → tickets against createTicket, and reply latency
  { key: 'INBOUND', title: 'Inbound mail', duration: 'about a minute', run: runInboundBench },
];

async function sections(): Promise<void> {
  for (const section of SECTIONS) {
    console.log('');
    const skip = `BENCH_${section.key}=0`;
    if (process.env[`BENCH_${section.key}`] === '0') {
      console.log(`${section.title}: skipped (${skip})`);
      continue;
    }
    log(`${section.title.toLowerCase()} (${section.duration}; ${skip} skips it)…`);
    console.log(await section.run());
  }
}

const started = performance.now();
main()
  .then(sections)
  .then(
    () => {
      console.log(`total time ${fmt((performance.now() - started) / 1000)} s`);
      // Agenda's job processor leaves a timer running for lockLifetime/2 after a job ran.
      process.exit(0);
    },
    (err: Error) => {
      console.error(`[bench] FAILED: ${err.stack ?? err.message}`);
      process.exit(1);
    },
  );
