/**
 * The webhooks bench (part of `npm run bench`; `npm run bench:webhooks` alone; BENCH_WEBHOOKS=0 skips
 * it). A real `docket serve` process (SCHEDULER=on: the webhooks consumer and the outbox's jobs run in
 * it, one worker) on a fresh database; a partner with BENCH_WEBHOOK_ENDPOINTS (50) endpoints on one
 * HTTP receiver in this process; agents comment on the partner's tickets at BENCH_WEBHOOK_RATE (100)
 * commits a second (open loop) for BENCH_WEBHOOK_SECONDS (15) s, and every event goes to every
 * endpoint.
 *
 * 0. Throughput: BENCH_WEBHOOK_BACKLOG (200) commits made with webhooks off, then one worker sends them
 *    to every endpoint (the catch-up path): deliveries per second, first to last arrival.
 * 1. All endpoints live: for each delivery, event `occurredAt` (set in the committing transaction, a few
 *    ms before its commit) → the receiver has it: p50, p99; deliveries per second meanwhile.
 * 2. The same with 5 of the endpoints dead (a socket that accepts and never answers, so each holds a
 *    send for the whole WEBHOOK_TIMEOUT_MS): the live endpoints' p99 against round 1's, as a ratio.
 *
 * Every 50th message's signature is verified with `standardwebhooks` (all would cost the receiver more
 * CPU than the server under test on a small machine).
 */
import './env.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { SYSTEM_ACTOR } from '../src/access/actor.js';
import { createApiKey, createPartner } from '../src/access/api-keys.js';
import { signUserToken } from '../src/access/jwt.js';
import { loadConfig } from '../src/config.js';
import { initOrm, migrate } from '../src/db/orm.js';
import { User } from '../src/directory/user.entity.js';
import { loadDemoData } from '../src/seed/demo-data.js';
import { systemClock } from '../src/shared/clock.js';
import { createLogger } from '../src/shared/logger.js';
import { createEndpoint, updateEndpoint } from '../src/webhooks/endpoints.js';
import { openBenchDatabase, withClient } from './database.js';
import { fmt, numberFromEnv, quantile, table } from './stats.js';
import { untilServing } from './serve-process.js';

const settings = {
  endpoints: Math.round(numberFromEnv('BENCH_WEBHOOK_ENDPOINTS', 50, 1)),
  dead: Math.round(numberFromEnv('BENCH_WEBHOOK_DEAD', 5, 0)),
  rate: numberFromEnv('BENCH_WEBHOOK_RATE', 100, 1),
  seconds: numberFromEnv('BENCH_WEBHOOK_SECONDS', 15, 1),
  tickets: 100,
  backlog: Math.round(numberFromEnv('BENCH_WEBHOOK_BACKLOG', 200, 1)),
};
const SECRET = 'bench-secret-bench-secret-bench-secret-12';
const log = (m: string) => console.log(`[bench] webhooks: ${m}`);
const ENTRY = new URL('../src/main.js', import.meta.url).pathname;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as AddressInfo).port;
      s.close(() => resolve(p));
    });
  });

/** Arrival times (Date.now) by endpoint index and event seq, with their occurredAt. */
interface Receiver {
  port: number;
  latencies: Map<number, number[]>;
  first: number;
  last: number;
  count: number;
  badSignatures: number;
  checked: number;
  secrets: Map<number, string>;
  close(): Promise<void>;
}

async function startReceiver(): Promise<Receiver> {
  const r = {
    latencies: new Map<number, number[]>(),
    first: 0,
    last: 0,
    count: 0,
    badSignatures: 0,
    checked: 0,
    secrets: new Map<number, string>(),
  } as Receiver;
  const server: HttpServer = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const now = Date.now();
      const index = Number(/\/e\/(\d+)/.exec(req.url ?? '')?.[1]);
      const raw = Buffer.concat(chunks).toString('utf8');
      const body = JSON.parse(raw) as { data: { occurredAt: string } };
      r.count++;
      if (r.count % 50 === 0) {
        r.checked++;
        try {
          new Webhook(r.secrets.get(index)!).verify(raw, req.headers as Record<string, string>);
        } catch {
          r.badSignatures++;
        }
      }
      r.first ||= now;
      r.last = now;
      const list = r.latencies.get(index) ?? [];
      list.push(now - new Date(body.data.occurredAt).getTime());
      r.latencies.set(index, list);
      res.writeHead(204).end();
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  r.port = (server.address() as AddressInfo).port;
  r.close = () =>
    new Promise<void>((ok) => {
      server.closeAllConnections();
      server.close(() => ok());
    });
  return r;
}

/** A dead receiver: accepts connections and never answers. */
async function startBlackHole(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: NetServer = createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
    s.on('data', () => {});
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((ok) => {
        for (const s of sockets) s.destroy();
        server.close(() => ok());
      }),
  };
}

interface Server {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

async function startServer(databaseUrl: string, webhooks: boolean): Promise<Server> {
  const port = await freePort();
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
      NOTIFICATIONS: 'off',
      WEBHOOKS: webhooks ? 'on' : 'off',
      WEBHOOK_ALLOW_PRIVATE: 'true',
      WEBHOOK_REQUIRE_HTTPS: 'false',
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

const COMMENT = `mutation($id: ID!, $body: String!) { addComment(input: { ticketId: $id, body: $body, internal: false }) { errors { code message } } }`;

async function backlog(databaseUrl: string): Promise<number> {
  return withClient(databaseUrl, async (c) =>
    Number(
      (
        await c.query(
          `select count(*) as n from outbox_delivery where queue = 'webhook' and status in ('QUEUED', 'SENDING')`,
        )
      ).rows[0].n,
    ),
  );
}

interface RoundResult {
  commits: number;
  achieved: number;
  p50: number;
  p99: number;
  max: number;
  received: number;
  expected: number;
  perSecond: number;
  left: number;
}

/** One round: commits at the rate, then waits (bounded) for the live endpoints to have everything. */
async function round(
  server: Server,
  token: string,
  tickets: string[],
  receiver: Receiver,
  live: number[],
  databaseUrl: string,
): Promise<RoundResult> {
  receiver.latencies.clear();
  receiver.count = 0;
  receiver.first = 0;
  const [{ last_seq: before }] = await withClient(
    databaseUrl,
    async (c) => (await c.query('select last_seq from event_sequence')).rows,
  );
  const total = Math.round(settings.rate * settings.seconds);
  const pending: Promise<unknown>[] = [];
  let inFlight = 0;
  const start = performance.now();
  // Bounded in time: a server slower than the rate gets what it takes in twice the round's length.
  const stopAt = start + settings.seconds * 2000;
  let issued = 0;
  for (let i = 0; i < total && performance.now() < stopAt; i++, issued++) {
    const due = start + (i * 1000) / settings.rate;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    while (inFlight >= 64) await sleep(2);
    inFlight++;
    pending.push(
      gql(server.url, token, COMMENT, { id: tickets[i % tickets.length], body: `bench ${i}` }).finally(
        () => inFlight--,
      ),
    );
  }
  await Promise.all(pending);
  const achieved = (issued / (performance.now() - start)) * 1000;
  const [{ n: events }] = await withClient(
    databaseUrl,
    async (c) => (await c.query('select count(*) as n from ticket_event where seq > $1', [before])).rows,
  );
  const expected = Number(events) * live.length;
  const received = () => live.reduce((sum, i) => sum + (receiver.latencies.get(i)?.length ?? 0), 0);
  const until = Date.now() + 30_000;
  while (received() < expected && Date.now() < until) await sleep(100);
  const all = live.flatMap((i) => receiver.latencies.get(i) ?? []).sort((a, b) => a - b);
  return {
    commits: issued,
    achieved,
    p50: quantile(all, 0.5),
    p99: quantile(all, 0.99),
    max: all.at(-1) ?? NaN,
    received: all.length,
    expected,
    perSecond: (receiver.count / Math.max(1, receiver.last - receiver.first)) * 1000,
    left: await backlog(databaseUrl),
  };
}

export async function runWebhooksBench(): Promise<string> {
  const db = await openBenchDatabase('docket_bench_webhooks');
  const receiver = await startReceiver();
  const hole = await startBlackHole();
  const servers: Server[] = [];
  try {
    const logger = createLogger('silent');
    const orm = await initOrm(db.url, logger, 4, false);
    await migrate(orm);
    await loadDemoData(orm.em.fork(), systemClock);
    const config = loadConfig({
      NODE_ENV: 'production',
      JWT_SECRET: SECRET,
      DATABASE_URL: db.url,
      WEBHOOK_ALLOW_PRIVATE: 'true',
      WEBHOOK_REQUIRE_HTTPS: 'false',
    });
    const em = orm.em.fork();
    const alice = await em.findOneOrFail(User, { email: 'alice@docket.local' });
    const token = await signUserToken(config, alice.id);
    const partner = await createPartner(em, SYSTEM_ACTOR, 'Bench marketplace', systemClock);
    const { key } = await createApiKey(
      em,
      SYSTEM_ACTOR,
      { partnerId: partner.id, name: 'bench', scopes: ['tickets:write'] },
      systemClock,
    );

    // The partner's tickets, opened through its key with webhooks off.
    let server = await startServer(db.url, false);
    servers.push(server);
    const tickets: string[] = [];
    for (let i = 0; i < settings.tickets; i++) {
      const d = await gql<{ createTicket: { ticket: { id: string } } }>(
        server.url,
        key,
        `mutation($s: String!) { createTicket(input: { subject: $s, description: "bench", channel: API, requesterEmail: "sofia@globex.example" }) { ticket { id } } }`,
        { s: `Bench ${i}` },
      );
      tickets.push(d.createTicket.ticket.id);
    }
    await server.stop();

    // The endpoints (from the log's end on), all on the live receiver.
    const ids: string[] = [];
    for (let i = 0; i < settings.endpoints; i++) {
      const made = await em.transactional((tx) =>
        createEndpoint(
          tx,
          SYSTEM_ACTOR,
          { partnerId: partner.id, url: `http://127.0.0.1:${receiver.port}/e/${i}` },
          config.webhooks,
          systemClock,
        ),
      );
      receiver.secrets.set(i, made.secret);
      ids.push(made.endpoint.id);
    }

    // Throughput: a backlog committed with webhooks off, then one worker drains it (the catch-up path).
    log(`throughput: a backlog of ${settings.backlog} commits for ${settings.endpoints} endpoints…`);
    server = await startServer(db.url, false);
    servers.push(server);
    const [{ last_seq: mark }] = await withClient(
      db.url,
      async (c) => (await c.query('select last_seq from event_sequence')).rows,
    );
    for (let i = 0; i < settings.backlog; i += 16)
      await Promise.all(
        Array.from({ length: Math.min(16, settings.backlog - i) }, (_, k) =>
          gql(server.url, token, COMMENT, {
            id: tickets[(i + k) % tickets.length],
            body: `backlog ${i + k}`,
          }),
        ),
      );
    await server.stop();
    const [{ n: backlogEvents }] = await withClient(
      db.url,
      async (c) => (await c.query('select count(*) as n from ticket_event where seq > $1', [mark])).rows,
    );
    await withClient(db.url, (c) => c.query('update webhook_endpoint set position = $1', [mark]));
    receiver.count = 0;
    receiver.first = 0;
    const backlogExpected = Number(backlogEvents) * settings.endpoints;
    const drainStart = Date.now();
    server = await startServer(db.url, true);
    servers.push(server);
    const drainUntil = Date.now() + 60_000;
    while (receiver.count < backlogExpected && Date.now() < drainUntil) await sleep(100);
    const drained = receiver.count;
    const sustained = (drained / Math.max(1, receiver.last - receiver.first)) * 1000;
    const drainSeconds = (Date.now() - drainStart) / 1000;
    await server.stop();
    await withClient(db.url, (c) => c.query(`delete from outbox_delivery where queue = 'webhook'`));

    log(
      `round 1: ${settings.endpoints} live endpoints, ${settings.rate} commits/s for ${settings.seconds} s…`,
    );
    server = await startServer(db.url, true);
    servers.push(server);
    await sleep(500);
    const all = Array.from({ length: settings.endpoints }, (_, i) => i);
    const live1 = await round(server, token, tickets, receiver, all, db.url);
    await server.stop();

    // Round 2: the first `dead` endpoints point at the black hole.
    const dead = Math.min(settings.dead, settings.endpoints - 1);
    for (let i = 0; i < dead; i++)
      await em.transactional((tx) =>
        updateEndpoint(
          tx,
          SYSTEM_ACTOR,
          { id: ids[i]!, url: `http://127.0.0.1:${hole.port}/e/${i}` },
          config.webhooks,
          systemClock,
        ),
      );
    await withClient(db.url, (c) => c.query(`delete from outbox_delivery where queue = 'webhook'`));
    log(`round 2: the same with ${dead} endpoints dead (accepting, never answering)…`);
    server = await startServer(db.url, true);
    servers.push(server);
    await sleep(500);
    const liveIdx = all.slice(dead);
    const live2 = await round(server, token, tickets, receiver, liveIdx, db.url);
    await server.stop();
    await orm.close();

    const row = (name: string, r: RoundResult) => [
      name,
      fmt(r.achieved, 0),
      fmt(r.p50, 0),
      fmt(r.p99, 0),
      fmt(r.max, 0),
      `${r.received}/${r.expected}`,
      fmt(r.perSecond, 0),
      String(r.left),
    ];
    const ratio = live2.p99 / live1.p99;
    return [
      `Webhooks: ${settings.endpoints} endpoints on one local receiver, agents' comments at ${settings.rate} commits/s for ${settings.seconds} s, every event to every endpoint, one worker (${db.description})`,
      table([
        ['', 'commits/s', 'p50 ms', 'p99 ms', 'max ms', 'received (live)', 'deliveries/s', 'still queued'],
        row('all live', live1),
        row(`${dead} dead`, live2),
      ]),
      `throughput: one worker drained ${drained}/${backlogExpected} deliveries (${backlogEvents} events × ${settings.endpoints} endpoints) at ${fmt(sustained, 0)} deliveries/s (first to last arrival; ${fmt(drainSeconds, 1)} s from the server's start)`,
      `latency: event occurredAt → receiver has it; goal p99 ≤ 1,000 ms: ${live1.p99 <= 1000 ? 'met' : 'NOT met'}`,
      `live endpoints' p99 with ${dead} dead / without = ${fmt(ratio, 2)} (goal ≤ 1.20: ${ratio <= 1.2 ? 'met' : 'NOT met'}); signatures checked: ${receiver.checked}, bad: ${receiver.badSignatures}`,
    ].join('\n');
  } finally {
    for (const s of servers) await s.stop().catch(() => {});
    await receiver.close();
    await hole.close();
    await db.close();
  }
}
