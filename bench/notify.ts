/**
 * The notifications bench (part of `npm run bench`; `npm run bench:notify` alone; BENCH_NOTIFY=0
 * skips it). A real `docket serve` process (SCHEDULER=on, so the notify consumer and the outbox jobs
 * run in it) on a fresh database, sending to an SMTP sink (the smtp-server package) in this process.
 * Every ticket change enters a status, and the bench workflow's one rule sends the requester one mail
 * per change.
 *
 * 1. Latency: 100 changes a second (open loop, BENCH_NOTIFY_RATE) for BENCH_NOTIFY_SECONDS; for each,
 *    the time from the mutation's answer (its commit is just before) to the SMTP sink accepting the
 *    mail: p50, p99, max.
 * 2. Write throughput with notifications on against off: closed-loop writers (BENCH_CONCURRENCY) as
 *    fast as the server takes them, in interleaved rounds (off, on, off, on, …), each on a server
 *    process started with NOTIFICATIONS=off or on; the ratio of the medians. Mail still queued when a
 *    round ends is reported (the outbox's backlog), and drained before the next round.
 */
import './env.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { signUserToken } from '../src/access/jwt.js';
import { loadConfig } from '../src/config.js';
import { initOrm, migrate } from '../src/db/orm.js';
import { User } from '../src/directory/user.entity.js';
import { loadDemoData } from '../src/seed/demo-data.js';
import { systemClock } from '../src/shared/clock.js';
import { createLogger } from '../src/shared/logger.js';
import { Workflow, WorkflowVersion } from '../src/workflow/workflow.entity.js';
import type { WorkflowDefinition } from '../src/workflow/definition.js';
import { openBenchDatabase, withClient } from './database.js';
import { fmt, median, numberFromEnv, quantile, table } from './stats.js';
import { untilServing } from './serve-process.js';

const settings = {
  rate: numberFromEnv('BENCH_NOTIFY_RATE', 100, 1),
  seconds: numberFromEnv('BENCH_NOTIFY_SECONDS', 20, 1),
  rounds: Math.round(numberFromEnv('BENCH_ROUNDS', 4, 1)),
  roundSeconds: numberFromEnv('BENCH_SECONDS', 5, 1),
  concurrency: Math.round(numberFromEnv('BENCH_CONCURRENCY', 8, 1)),
  tickets: 400,
};
const SECRET = 'bench-secret-bench-secret-bench-secret-12';
const log = (m: string) => console.log(`[bench] notify: ${m}`);
const ENTRY = new URL('../src/main.js', import.meta.url).pathname;

/** Two statuses an agent toggles between; entering either sends the requester one message. */
const WORKFLOW: WorkflowDefinition = {
  initialStatus: 'open',
  statuses: [
    { key: 'open', name: 'Open', category: 'NEW' },
    { key: 'working', name: 'Working', category: 'OPEN' },
    { key: 'done', name: 'Done', category: 'RESOLVED' },
  ],
  transitions: [
    { from: ['open', 'done'], to: 'working', actors: ['AGENT'], requiresReason: false, reopen: false },
    { from: ['working'], to: 'open', actors: ['AGENT'], requiresReason: false, reopen: false },
    { from: ['working'], to: 'done', actors: ['AGENT'], requiresReason: false, reopen: false },
  ],
  requesterReplies: [],
  partnerComments: [],
  escalations: [],
  categorisation: { categories: ['general'], defaultCategory: 'general', rules: [] },
  timers: [],
  notifications: [{ on: 'STATUS_ENTERED', recipients: ['REQUESTER'], template: 'status-update' }],
};

interface Sink {
  url: string;
  /** reference → arrival times (ms, performance.now) */
  arrivals: Map<string, number[]>;
  count: number;
  close(): Promise<void>;
}

async function startSink(): Promise<Sink> {
  const arrivals = new Map<string, number[]>();
  const sink = { arrivals, count: 0 } as Sink;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, _session, callback) {
      let head = '';
      stream.on('data', (c: Buffer) => {
        if (head.length < 4096) head += c.toString('latin1');
      });
      stream.on('end', () => {
        const ref = /\[(TCK-\d+)\]/.exec(head)?.[1];
        const at = performance.now();
        if (ref) arrivals.set(ref, [...(arrivals.get(ref) ?? []), at]);
        sink.count++;
        callback(null, 'ok');
      });
    },
  });
  server.on('error', () => {});
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  sink.url = `smtp://127.0.0.1:${(server.server.address() as AddressInfo).port}`;
  sink.close = () => new Promise<void>((r) => server.close(() => r()));
  return sink;
}

interface Server {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

async function startServer(databaseUrl: string, smtpUrl: string, notifications: boolean): Promise<Server> {
  const port = await new Promise<number>((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
  const child = spawn(process.execPath, ['--max-semi-space-size=32', ENTRY, 'serve'], {
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      DATABASE_URL: databaseUrl,
      JWT_SECRET: SECRET,
      PORT: String(port),
      HOST: '127.0.0.1',
      MIGRATE_ON_START: 'false',
      DEMO_DATA: 'false',
      LOG_LEVEL: 'warn',
      RATE_LIMIT_USER_PER_MINUTE: '0',
      NOTIFICATIONS: notifications ? 'on' : 'off',
      SMTP_URL: smtpUrl,
      MAIL_FROM: 'Bench <bench@docket.test>',
      ...(process.env.BENCH_NOTIFY_POLL ? { REALTIME_POLL_MS: process.env.BENCH_NOTIFY_POLL } : {}),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const url = `http://127.0.0.1:${port}/graphql`;
  await untilServing(child, url);
  return {
    url,
    child,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

interface TicketState {
  id: string;
  reference: string;
  version: number;
  status: string;
}

async function gql<T>(url: string, token: string, query: string, variables: unknown): Promise<T> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: T; errors?: { message: string }[] };
  if (!body.data) throw new Error(`GraphQL: ${JSON.stringify(body.errors)}`);
  return body.data;
}

const MOVE = `mutation($id: ID!, $to: String!, $v: Int!) { transitionTicket(input: { ticketId: $id, to: $to, expectedVersion: $v }) { ticket { version status { key } } errors { code message } } }`;

/** One change: toggles the ticket between Open and Working. Returns when the answer arrived. */
async function change(url: string, token: string, t: TicketState): Promise<number> {
  const to = t.status === 'working' ? 'open' : 'working';
  const d = await gql<{
    transitionTicket: {
      ticket: { version: number; status: { key: string } } | null;
      errors: { message: string }[];
    };
  }>(url, token, MOVE, { id: t.id, to, v: t.version });
  if (!d.transitionTicket.ticket)
    throw new Error(`transition refused: ${JSON.stringify(d.transitionTicket.errors)}`);
  t.version = d.transitionTicket.ticket.version;
  t.status = d.transitionTicket.ticket.status.key;
  return performance.now();
}

async function queued(databaseUrl: string): Promise<number> {
  return withClient(databaseUrl, async (c) =>
    Number(
      (await c.query(`select count(*) as n from outbox_delivery where status in ('QUEUED', 'SENDING')`))
        .rows[0].n,
    ),
  );
}

export async function runNotifyBench(): Promise<string> {
  const db = await openBenchDatabase('docket_bench_notify');
  const sink = await startSink();
  const servers: Server[] = [];
  try {
    const logger = createLogger('silent');
    const orm = await initOrm(db.url, logger, 4, false);
    await migrate(orm);
    await loadDemoData(orm.em.fork(), systemClock);
    const em = orm.em.fork();
    const workflow = em.create(Workflow, {
      key: 'bench-notify',
      name: 'Bench notify',
      description: '',
      isDefault: false,
      currentVersion: 1,
      createdAt: new Date(),
      updatedAt: new Date(),
    });
    em.create(WorkflowVersion, { workflow, version: 1, definition: WORKFLOW, createdAt: new Date() });
    await em.flush();
    const config = loadConfig({ NODE_ENV: 'production', JWT_SECRET: SECRET, DATABASE_URL: db.url });
    const alice = await em.findOneOrFail(User, { email: 'alice@docket.local' });
    const rita = await em.findOneOrFail(User, { email: 'rita@acme.example' });
    const token = await signUserToken(config, alice.id);
    await orm.close();

    // The tickets, created with notifications off (creating one sends nothing in this workflow anyway).
    let server = await startServer(db.url, sink.url, false);
    servers.push(server);
    const tickets: TicketState[] = [];
    for (let i = 0; i < settings.tickets; i++) {
      const d = await gql<{ createTicket: { ticket: { id: string; reference: string; version: number } } }>(
        server.url,
        token,
        `mutation($r: ID!, $s: String!) { createTicket(input: { subject: $s, description: "bench", channel: API, requesterId: $r, workflowKey: "bench-notify" }) { ticket { id reference version } } }`,
        { r: rita.id, s: `Bench ${i}` },
      );
      tickets.push({ ...d.createTicket.ticket, status: 'open' });
    }
    await server.stop();

    // 1. Latency at a steady rate.
    log(`latency: ${settings.rate} changes/s for ${settings.seconds} s…`);
    server = await startServer(db.url, sink.url, true);
    servers.push(server);
    const sent = new Map<string, number[]>();
    const pending: Promise<unknown>[] = [];
    const total = Math.round(settings.rate * settings.seconds);
    const start = performance.now();
    // Open loop, but at most 64 requests outstanding: a server slower than the rate gets them as fast
    // as it takes them (the rate reached is reported), not an unbounded pile of sockets.
    let inFlight = 0;
    for (let i = 0; i < total; i++) {
      const due = start + (i * 1000) / settings.rate;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      while (inFlight >= 64) await new Promise((r) => setTimeout(r, 2));
      const t = tickets[i % tickets.length]!;
      inFlight++;
      pending.push(
        change(server.url, token, t)
          .then((at) => sent.set(t.reference, [...(sent.get(t.reference) ?? []), at]))
          .finally(() => inFlight--),
      );
    }
    await Promise.all(pending);
    const achieved = (total / (performance.now() - start)) * 1000;
    const until = Date.now() + 60_000;
    while (sink.count < total && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    const latencies: number[] = [];
    let missing = 0;
    for (const [ref, times] of sent) {
      const got = sink.arrivals.get(ref) ?? [];
      times.forEach((t0, k) => (got[k] === undefined ? missing++ : latencies.push(got[k]! - t0)));
    }
    latencies.sort((a, b) => a - b);
    await server.stop();

    // 2. Throughput, notifications off against on, interleaved rounds.
    log(`throughput: ${settings.rounds} rounds of ${settings.roundSeconds} s per mode…`);
    const rps: Record<'off' | 'on', number[]> = { off: [], on: [] };
    const backlog: number[] = [];
    for (let round = 0; round < settings.rounds; round++) {
      for (const mode of ['off', 'on'] as const) {
        server = await startServer(db.url, sink.url, mode === 'on');
        servers.push(server);
        // The "on" server also catches up on what the "off" rounds committed: let it drain first.
        const drainUntil = Date.now() + 120_000;
        if (mode === 'on') {
          await new Promise((r) => setTimeout(r, 500));
          while ((await queued(db.url)) > 0 && Date.now() < drainUntil)
            await new Promise((r) => setTimeout(r, 200));
        }
        let done = 0;
        let next = 0;
        const stopAt = performance.now() + settings.roundSeconds * 1000;
        const t0 = performance.now();
        await Promise.all(
          Array.from({ length: settings.concurrency }, async (_, w) => {
            // Each writer owns its own tickets: no version conflicts.
            const mine = tickets.filter((_, i) => i % settings.concurrency === w);
            while (performance.now() < stopAt) {
              await change(server.url, token, mine[next++ % mine.length]!);
              done++;
            }
          }),
        );
        rps[mode].push((done / (performance.now() - t0)) * 1000);
        if (mode === 'on') backlog.push(await queued(db.url));
        await server.stop();
      }
    }
    const ratio = median(rps.on) / median(rps.off);
    const lines = [
      `Notifications: commit → SMTP accepted at ${fmt(achieved, 0)} changes/s (goal 100), one mail each, ${total} changes (${db.description})`,
      table([
        ['', 'p50 ms', 'p99 ms', 'max ms', 'received', 'missing'],
        [
          'commit → accepted',
          fmt(quantile(latencies, 0.5)),
          fmt(quantile(latencies, 0.99)),
          fmt(latencies.at(-1) ?? NaN),
          String(latencies.length),
          String(missing),
        ],
      ]),
      `goal p99 ≤ 2,000 ms: ${quantile(latencies, 0.99) <= 2000 ? 'met' : 'NOT met'}`,
      '',
      `Write throughput, notifications on against off (${settings.concurrency} writers, ${settings.rounds} rounds of ${settings.roundSeconds} s each, interleaved)`,
      table([
        ['', 'changes/s per round', 'median'],
        ['off', rps.off.map((x) => fmt(x, 0)).join(' '), fmt(median(rps.off), 0)],
        ['on', rps.on.map((x) => fmt(x, 0)).join(' '), fmt(median(rps.on), 0)],
      ]),
      `on / off = ${fmt(ratio, 2)} (goal ≥ 0.90: ${ratio >= 0.9 ? 'met' : 'NOT met'}); mail still queued at the end of each "on" round: ${backlog.join(', ')}`,
    ];
    return lines.join('\n');
  } finally {
    for (const s of servers) await s.stop().catch(() => {});
    await sink.close();
    await db.close();
  }
}
