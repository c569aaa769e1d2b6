/**
 * `npm run bench:realtime`: subscriptions at scale (bench/realtime.md). 1,000 and 10,000 WebSocket
 * clients with a mix of filters subscribe to `ticketEvents` on a Docket server in its own process;
 * bursts of 100 real ticket changes a second (the use cases, in this process, on the same database)
 * are timed from commit to receipt at every client. The same clients, filters and frames against a
 * floor (bare `ws` + LISTEN + one read per wake-up + one JSON.stringify per event) give the floor's
 * figures; rounds alternate Docket, floor, Docket, floor… Reports p50/p99/max latency, memory per
 * connection and server CPU, and the goals at 10,000 clients.
 */
import './env.js'; // first: NODE_ENV=production before graphql and the ORM load
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import type { Actor } from '../src/access/actor.js';
import { signUserToken } from '../src/access/jwt.js';
import { loadConfig, type Config } from '../src/config.js';
import { initOrm, migrate, type MikroORM } from '../src/db/orm.js';
import { isStaff } from '../src/access/policy.js';
import { deliverable, type EventFilter } from '../src/events/event-filter.js';
import { appendEvents, type NewEvent } from '../src/events/event-log.js';
import { TicketEventType } from '../src/events/event-types.js';
import { FEED_EVENT_COLUMNS, rowToFeedEvent, type FeedEventRow } from '../src/events/feed-event.js';
import { loadDemoData } from '../src/seed/demo-data.js';
import { toGlobalId } from '../src/server/global-id.js';
import { systemClock } from '../src/shared/clock.js';
import { Priority } from '../src/shared/enums.js';
import { createLogger } from '../src/shared/logger.js';
import type { UseCaseContext } from '../src/shared/use-case.js';
import { addComment } from '../src/ticket/add-comment.js';
import { assignTicket, updateTicket } from '../src/ticket/change-ticket.js';
import { openBenchDatabase, type BenchDatabase } from './database.js';
import {
  Child,
  listFromEnv,
  now,
  numberFromEnv,
  sleep,
  type ClientKind,
  type ClientSpec,
  type DeliveryStats,
  type MemorySample,
  type RoundEvent,
} from './realtime-shared.js';
import type { Mode } from './realtime-clients.js';
import { seedTickets } from './seed.js';
import { fmt, prng, quantile, table } from './stats.js';

/** Issue 18: at 10,000 clients, p99 ≤ 250 ms and ≤ 10 KB per connection (the ratios to the floor are reported). */
const GOALS = { p99Ms: 250, kbPerConnection: 10, atClients: 10_000 };

export interface RealtimeSettings {
  /** Client counts, one section each. */
  clients: number[];
  /** Bursts per round (one a second). */
  seconds: number;
  /** Ticket changes per burst. */
  rate: number;
  /** Rounds per server and client count (interleaved). */
  rounds: number;
  warmupSeconds: number;
  clientProcesses: number;
  /** People and teams added to the demo desk. */
  agents: number;
  teams: number;
  requesters: number;
  /** Percentages of clients per kind (sum 100). */
  mix: Record<ClientKind, number>;
  /** How changes are written: the use cases (default), or straight into the log (appendEvents). */
  writer: 'usecases' | 'log';
  writerPool: number;
  drainMs: number;
  /** A folder: write there a CPU profile of the Docket process for each round (bursts until the last delivery). */
  profileDir?: string;
  /**
   * A folder: write there heap snapshots of the Docket process before and after its clients subscribe,
   * in each full-length round (compare them with `node dist/bench/heap-diff.js before after clients`).
   */
  heapDir?: string;
  /** The floor also coalesces each read's frames per socket (BENCH_WS_FLOOR_CORK=1), as Docket does. */
  floorCork: boolean;
}

export function realtimeSettingsFromEnv(): RealtimeSettings {
  return {
    clients: listFromEnv('BENCH_WS_CLIENTS', [1000, 10_000], 1),
    seconds: Math.round(numberFromEnv('BENCH_WS_SECONDS', 10, 1)),
    rate: Math.round(numberFromEnv('BENCH_WS_RATE', 100, 1)),
    rounds: Math.round(numberFromEnv('BENCH_WS_ROUNDS', 2, 1)),
    warmupSeconds: Math.round(numberFromEnv('BENCH_WS_WARMUP_SECONDS', 3, 0)),
    clientProcesses: Math.round(numberFromEnv('BENCH_WS_CLIENT_PROCESSES', 2, 1)),
    agents: Math.round(numberFromEnv('BENCH_WS_AGENTS', 100, 0)),
    teams: Math.round(numberFromEnv('BENCH_WS_TEAMS', 10, 0)),
    requesters: Math.round(numberFromEnv('BENCH_WS_REQUESTERS', 1000, 0)),
    mix: mixFromEnv(),
    writer: writerFromEnv(),
    writerPool: Math.round(numberFromEnv('BENCH_WS_WRITER_POOL', 20, 1)),
    drainMs: numberFromEnv('BENCH_WS_DRAIN_MS', 15_000, 1000),
    profileDir: process.env.BENCH_WS_PROFILE || undefined,
    heapDir: process.env.BENCH_WS_HEAP || undefined,
    floorCork: process.env.BENCH_WS_FLOOR_CORK === '1',
  };
}

const VISIBILITY = {
  requestersSeeOrganizationTickets: process.env.REQUESTERS_SEE_ORGANIZATION_TICKETS === 'true',
};
const KINDS: ClientKind[] = ['all', 'team', 'assignee', 'requester'];
export const DEFAULT_MIX = 'all:2,team:28,assignee:30,requester:40';
/** A server whose event loop is busier than this over a round is saturated: its latencies measure a backlog. */
const SATURATED = 0.95;

function mixFromEnv(): Record<ClientKind, number> {
  const raw = process.env.BENCH_WS_MIX?.trim() || DEFAULT_MIX;
  const mix: Record<ClientKind, number> = { all: 0, team: 0, assignee: 0, requester: 0 };
  for (const part of raw.split(',')) {
    const [kind, share] = part.split(':').map((x) => x.trim());
    if (!KINDS.includes(kind as ClientKind) || !/^\d+$/.test(share ?? ''))
      throw new Error(`BENCH_WS_MIX: "${part}" is not kind:percent (kinds: ${KINDS.join(', ')})`);
    mix[kind as ClientKind] = Number(share);
  }
  if (KINDS.reduce((n, k) => n + mix[k], 0) !== 100)
    throw new Error(`BENCH_WS_MIX must add up to 100: ${raw}`);
  return mix;
}

function writerFromEnv(): RealtimeSettings['writer'] {
  const raw = process.env.BENCH_WS_WRITER || 'usecases';
  if (raw !== 'usecases' && raw !== 'log')
    throw new Error(`BENCH_WS_WRITER must be usecases or log (got ${raw})`);
  return raw;
}

const describeMix = (mix: Record<ClientKind, number>) =>
  KINDS.filter((k) => mix[k])
    .map(
      (k) =>
        `${mix[k]} % ${{ all: 'all events', team: 'one team', assignee: 'one assignee', requester: 'requesters (own tickets)' }[k]}`,
    )
    .join(', ');

const log = (message: string) => console.log(`[realtime] ${message}`);
const kb = (bytes: number) => bytes / 1024;

// ---------------------------------------------------------------------------------------------------
// The desk: people, teams, tickets to change.

interface Person {
  id: string;
  actor: Actor;
  token: string;
}

interface Desk {
  agents: Person[];
  admin: Person;
  requesters: Person[];
  teams: string[];
  /** Open tickets of the bench, each changed at most once (so its events are its change's). */
  tickets: { id: string; priority: Priority; assigneeId: string | null }[];
}

/**
 * A desk the size of one with thousands of dashboards open: `teams` more teams, `agents` more agents
 * (tiers 1–3, each in one team), `requesters` more requesters spread over the demo organizations.
 */
async function addPeople(client: pg.ClientBase, s: RealtimeSettings): Promise<void> {
  await client.query(
    `insert into team (id, key, name) select gen_random_uuid(), 'ws-bench-' || g, 'Bench team ' || g
     from generate_series(1, $1::int) g`,
    [s.teams],
  );
  await client.query(
    `insert into app_user (id, email, name, role, tier, available, created_at)
     select gen_random_uuid(), 'ws-bench-agent-' || g || '@docket.local', 'Bench Agent ' || g, 'AGENT', 1 + g % 3, true, now()
     from generate_series(1, $1::int) g`,
    [s.agents],
  );
  await client.query(
    `insert into team_member (user_id, team_id)
     select u.id, (select array_agg(id order by key) from team)[1 + (row_number() over (order by u.email))::int % (select count(*) from team)::int]
     from app_user u where u.email like 'ws-bench-agent-%'`,
  );
  await client.query(
    `insert into app_user (id, email, name, role, available, organization_id, created_at)
     select gen_random_uuid(), 'ws-bench-' || g || '@requesters.example', 'Bench Requester ' || g, 'REQUESTER', true,
       (select array_agg(id order by name) from organization)[1 + g % (select count(*) from organization)::int], now()
     from generate_series(1, $1::int) g`,
    [s.requesters],
  );
}

async function loadDesk(client: pg.ClientBase, config: Config): Promise<Desk> {
  const users = (
    await client.query<{ id: string; role: string; tier: number | null; organization_id: string | null }>(
      `select id, role, tier, organization_id from app_user order by email`,
    )
  ).rows;
  const person = async (u: (typeof users)[number]): Promise<Person> => ({
    id: u.id,
    actor: {
      kind: u.role === 'ADMIN' ? 'ADMIN' : u.role === 'AGENT' ? 'AGENT' : 'REQUESTER',
      userId: u.id,
      organizationId: u.organization_id ?? undefined,
      tier: u.tier ?? undefined,
    },
    token: await signUserToken(config, u.id),
  });
  const agents = await Promise.all(users.filter((u) => u.role === 'AGENT').map(person));
  const admin = await person(users.find((u) => u.role === 'ADMIN')!);
  const requesters = await Promise.all(users.filter((u) => u.role === 'REQUESTER').map(person));
  const teams = (await client.query<{ id: string }>('select id from team order by key')).rows.map(
    (r) => r.id,
  );
  const tickets = (
    await client.query<{ id: string; priority: Priority; assignee_id: string | null }>(
      `select id, priority, assignee_id from ticket
       where 'bench' = any(tags) and status_category not in ('RESOLVED', 'CLOSED') order by md5(id::text)`,
    )
  ).rows.map((r) => ({ id: r.id, priority: r.priority, assigneeId: r.assignee_id }));
  if (!agents.length || !teams.length || !requesters.length)
    throw new Error('The demo data has no people or teams');
  return { agents, admin, requesters, teams, tickets };
}

/**
 * Client `i` of a run, by the mix (BENCH_WS_MIX): every event (as an agent or the admin), one team's
 * (as an agent), one assignee's (the agent themselves), or a requester's own tickets' public events.
 * Each kind cycles through its people, teams and agents.
 */
function clientSpec(desk: Desk, mix: Record<ClientKind, number>, i: number): ClientSpec {
  const slot = i % 100;
  let from = 0;
  let kind: ClientKind = 'all';
  for (const k of KINDS) {
    if (slot < from + mix[k]) {
      kind = k;
      break;
    }
    from += mix[k];
  }
  const k = Math.floor(i / 100) * mix[kind] + (slot - from);
  const staff = [...desk.agents, desk.admin];
  const as = (p: Person, filter: EventFilter, variables: Record<string, unknown>): ClientSpec => ({
    kind,
    token: p.token,
    actor: p.actor,
    filter,
    variables,
  });
  switch (kind) {
    case 'all':
      return as(staff[k % staff.length]!, {}, {});
    case 'team': {
      const team = desk.teams[k % desk.teams.length]!;
      return as(
        staff[k % staff.length]!,
        { teamIds: [team] },
        { filter: { teamIds: [toGlobalId('Team', team)] } },
      );
    }
    case 'assignee': {
      const agent = desk.agents[k % desk.agents.length]!;
      return as(
        agent,
        { assigneeIds: [agent.id] },
        { filter: { assigneeIds: [toGlobalId('User', agent.id)] } },
      );
    }
    case 'requester':
      return as(desk.requesters[k % desk.requesters.length]!, {}, {});
  }
}

// ---------------------------------------------------------------------------------------------------
// The writer: real changes through the use cases, each on a ticket of its own.

const CHANGE_KINDS = [
  ['reply', 45],
  ['note', 20],
  ['assign', 20],
  ['priority', 15],
] as const;
type ChangeKind = (typeof CHANGE_KINDS)[number][0];
const PRIORITIES = [Priority.LOW, Priority.MEDIUM, Priority.HIGH, Priority.CRITICAL];

interface BurstResult {
  changes: number;
  failed: number;
  firstError?: string;
  /** Time from a burst's start to its last commit, ms. */
  burstMs: number[];
  byKind: Record<ChangeKind, number>;
}

class Writer {
  private next = 0;
  private readonly random = prng(42);

  constructor(
    private readonly orm: MikroORM,
    private readonly desk: Desk,
    private readonly mode: RealtimeSettings['writer'],
  ) {}

  get remaining(): number {
    return this.desk.tickets.length - this.next;
  }

  private kind(): ChangeKind {
    let r = this.random() * 100;
    for (const [kind, weight] of CHANGE_KINDS) {
      if (r < weight) return kind;
      r -= weight;
    }
    return 'reply';
  }

  private async change(result: BurstResult): Promise<void> {
    const ticket = this.desk.tickets[this.next++];
    if (!ticket) throw new Error('The bench ran out of tickets to change: raise the seed size');
    const agent = this.desk.agents[Math.floor(this.random() * this.desk.agents.length)]!;
    const kind = this.kind();
    result.byKind[kind]++;
    const other = this.desk.agents.filter((a) => a.id !== ticket.assigneeId);
    const assignee = other[Math.floor(this.random() * other.length)]!;
    const priority = PRIORITIES.filter((p) => p !== ticket.priority)[Math.floor(this.random() * 3)]!;
    try {
      if (this.mode === 'log') return await this.logOnly(kind, ticket, agent.actor, assignee.id, priority);
      await this.orm.em.fork().transactional(async (em) => {
        const ctx: UseCaseContext = {
          actor: agent.actor,
          em,
          clock: systemClock,
          visibility: VISIBILITY,
          touched: new Set(),
        };
        switch (kind) {
          case 'reply':
            return addComment(ctx, { ticketId: ticket.id, body: 'Thanks, we are looking into it.' });
          case 'note':
            return addComment(ctx, {
              ticketId: ticket.id,
              body: 'Checked the logs: see INC-42.',
              internal: true,
            });
          case 'assign':
            return assignTicket(ctx, { ticketId: ticket.id, assigneeId: assignee.id });
          case 'priority':
            return updateTicket(ctx, { ticketId: ticket.id, priority });
        }
      });
    } catch (err) {
      result.failed++;
      result.firstError ??= (err as Error).message;
    }
  }

  /**
   * BENCH_WS_WRITER=log: the same change as the use case would record, written straight: the ticket's
   * row updated and the event appended with appendEvents (the log's own writer: same rows, same
   * NOTIFY), without the use case's loads, checks, comment row and SLA work.
   */
  private async logOnly(
    kind: ChangeKind,
    ticket: Desk['tickets'][number],
    actor: Actor,
    assigneeId: string,
    priority: Priority,
  ): Promise<void> {
    await this.orm.em.fork().transactional(async (em) => {
      const event = (
        type: TicketEventType,
        payload: Record<string, unknown>,
        internal = false,
      ): NewEvent => ({
        ticketId: ticket.id,
        type,
        actor,
        payload,
        internal,
        occurredAt: new Date(),
      });
      const touch = 'updated_at = now(), version = version + 1';
      switch (kind) {
        case 'reply':
        case 'note': {
          const internal = kind === 'note';
          await em.execute(
            `update ticket set ${touch}, comments_total = comments_total + 1, comments_public = comments_public + ? where id = ?`,
            [internal ? 0 : 1, ticket.id],
          );
          return appendEvents(em, [
            event(
              TicketEventType.COMMENT_ADDED,
              { commentId: randomUUID(), internal, authorKind: 'AGENT' },
              internal,
            ),
          ]);
        }
        case 'assign':
          await em.execute(`update ticket set ${touch}, assignee_id = ? where id = ?`, [
            assigneeId,
            ticket.id,
          ]);
          return appendEvents(em, [
            event(TicketEventType.TICKET_ASSIGNED, { from: ticket.assigneeId, to: assigneeId }),
          ]);
        case 'priority':
          await em.execute(`update ticket set ${touch}, priority = ? where id = ?`, [priority, ticket.id]);
          return appendEvents(em, [
            event(TicketEventType.TICKET_UPDATED, {
              changes: { priority: { from: ticket.priority, to: priority } },
            }),
          ]);
      }
    });
  }

  /** `seconds` bursts, one at the start of each second, of `rate` concurrent changes. */
  async bursts(seconds: number, rate: number): Promise<BurstResult> {
    const result: BurstResult = {
      changes: seconds * rate,
      failed: 0,
      burstMs: [],
      byKind: { reply: 0, note: 0, assign: 0, priority: 0 },
    };
    if (this.remaining < seconds * rate) throw new Error('The bench ran out of tickets to change');
    const t0 = now();
    const all: Promise<void>[] = [];
    for (let s = 0; s < seconds; s++) {
      const wait = t0 + s * 1000 - now();
      if (wait > 0) await sleep(wait);
      const started = now();
      all.push(
        Promise.all(Array.from({ length: rate }, () => this.change(result))).then(() => {
          result.burstMs.push(now() - started);
        }),
      );
    }
    await Promise.all(all);
    return result;
  }
}

// ---------------------------------------------------------------------------------------------------
// Rounds.

interface Servers {
  docket: { child: Child; url: string };
  floor: { child: Child; url: string };
  /** The commit clock (bench/realtime-commits.ts). */
  commits: Child;
}

/** The arrival of the first notification at or above each sequence: its transaction's commit. */
function commitTimes(n: { seqs: number[]; times: number[] }): (seq: number) => number {
  return (seq) => {
    let lo = 0;
    let hi = n.seqs.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (n.seqs[mid]! < seq) lo = mid + 1;
      else hi = mid;
    }
    return lo < n.seqs.length ? n.times[lo]! : NaN;
  };
}

interface RoundResult {
  mode: Mode;
  clients: number;
  latencies: Float64Array;
  delivered: number;
  expected: number;
  missing: number;
  unexpected: number;
  closedByServer: number;
  errors: number;
  firstError?: string;
  /** Server memory growth per subscribed connection (heapUsed + external), bytes. */
  perConnection: number;
  perConnectionRss: number;
  /** Commit → the server has read the event and hands it to its subscriptions, ms, sorted. */
  feed: Float64Array;
  /** Server CPU over the round's window, share of one core; event-loop utilization over it. */
  cpu: number;
  elu: number;
  clientCpu: number;
  /** This process (the writer) over the window, share of one core; the machine, share of all cores. */
  writerCpu: number;
  machine: number;
  /** write/writev system calls of the server per delivery (Linux), NaN elsewhere. */
  writesPerDelivery: number;
  /** Server CPU time per delivery, µs. */
  cpuPerDelivery: number;
  windowMs: number;
  connectMs: number;
  events: number;
  changes: BurstResult;
}

interface EventLoopUtilization {
  idle: number;
  active: number;
}

/** All cores' time since boot, ms: idle, and in total. */
function machineTimes(): { idle: number; total: number } {
  let idle = 0;
  let total = 0;
  for (const c of os.cpus()) {
    idle += c.times.idle;
    total += c.times.user + c.times.nice + c.times.sys + c.times.idle + c.times.irq;
  }
  return { idle, total };
}

const cpuMs = (a: NodeJS.CpuUsage, b: NodeJS.CpuUsage) => (b.user - a.user + b.system - a.system) / 1000;

/** How many deliveries `events` call for among `specs` (clients with the same rights and filter counted once). */
function expectedDeliveries(specs: ClientSpec[], events: RoundEvent[]): number {
  const counts = new Map<string, number>();
  let total = 0;
  for (const s of specs) {
    const who = isStaff(s.actor) ? 'staff' : JSON.stringify(s.actor);
    const key = `${who}\u0000${JSON.stringify(s.filter)}`;
    let n = counts.get(key);
    if (n === undefined) {
      const audience = { actor: s.actor, visibility: VISIBILITY };
      n = events.reduce((k, e) => k + (deliverable(audience, s.filter, e) ? 1 : 0), 0);
      counts.set(key, n);
    }
    total += n;
  }
  return total;
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

class Bench {
  private label = 0;
  private profiles = 0;
  private heaps = 0;

  constructor(
    private readonly s: RealtimeSettings,
    private readonly desk: Desk,
    private readonly servers: Servers,
    private readonly clients: Child[],
    private readonly writer: Writer,
    private readonly sql: pg.Client,
  ) {}

  private async lastSeq(): Promise<number> {
    return Number(
      (await this.sql.query<{ s: string }>('select last_seq as s from event_sequence')).rows[0]!.s,
    );
  }

  private async subscribers(mode: Mode): Promise<number> {
    return this.servers[mode].child.call<number>('subscribers');
  }

  /** `specs` dealt over the client processes. */
  private deal(specs: ClientSpec[]): ClientSpec[][] {
    return this.clients.map((_, p) => specs.filter((_, i) => i % this.clients.length === p));
  }

  /** Opens `parts` in the client processes; resolves once the server counts them all subscribed. */
  private async connect(mode: Mode, parts: ClientSpec[][]): Promise<{ label: string; ms: number }> {
    const label = `${mode}-${++this.label}`;
    const started = now();
    const before = await this.subscribers(mode);
    const specs = parts.flat();
    const opened = await Promise.all(
      this.clients.map((c, p) =>
        c.call<{ opened: number; failed: number; firstError?: string }>(
          'connect',
          { label, mode, url: this.servers[mode].url, specs: parts[p], concurrency: 50 },
          300_000,
        ),
      ),
    );
    const failed = opened.reduce((n, o) => n + o.failed, 0);
    if (failed)
      throw new Error(
        `${mode}: ${failed} of ${specs.length} connections failed; first: ${opened.find((o) => o.firstError)?.firstError}`,
      );
    await waitFor(
      `${specs.length} subscriptions on ${mode}`,
      async () => (await this.subscribers(mode)) >= before + specs.length,
      120_000,
    );
    return { label, ms: now() - started };
  }

  private async disconnect(mode: Mode, label: string): Promise<void> {
    await Promise.all(this.clients.map((c) => c.call('close', { label }, 60_000)));
    await waitFor(
      `${mode} to drop its subscriptions`,
      async () => (await this.subscribers(mode)) === 0,
      60_000,
    );
  }

  /** The events committed after `after`, each with its commit time. */
  private async roundEvents(after: number): Promise<RoundEvent[]> {
    const { rows } = await this.sql.query<FeedEventRow>(
      `select ${FEED_EVENT_COLUMNS} from ticket_event where seq > $1 order by seq`,
      [after],
    );
    const last = Number(rows.at(-1)?.seq ?? after);
    let notified: { seqs: number[]; times: number[] } = { seqs: [], times: [] };
    await waitFor(
      'the commit notifications',
      async () => {
        const more = await this.servers.commits.call<typeof notified>('take');
        notified = { seqs: [...notified.seqs, ...more.seqs], times: [...notified.times, ...more.times] };
        return (notified.seqs.at(-1) ?? 0) >= last;
      },
      10_000,
    );
    const committedAt = commitTimes(notified);
    return rows.map((r) => {
      const e = rowToFeedEvent(r);
      return { ...e, committedAt: committedAt(e.seq) };
    });
  }

  /** Docket and the floor each deliver one change's frame to an agent: the bytes must be the same. */
  async checkSameFrames(): Promise<string> {
    const spec: ClientSpec = {
      kind: 'all',
      token: this.desk.admin.token,
      actor: this.desk.admin.actor,
      filter: {},
      variables: {},
    };
    const d = await this.connect('docket', this.deal([spec]));
    const f = await this.connect('floor', this.deal([spec]));
    const [c] = this.clients;
    await c!.call('start', { label: d.label });
    await c!.call('start', { label: f.label });
    await this.writer.bursts(1, 1);
    let frames: [string[], string[]] = [[], []];
    await waitFor(
      'the check frames',
      async () => {
        frames = [
          await c!.call<string[]>('frames', { label: d.label }),
          await c!.call<string[]>('frames', { label: f.label }),
        ];
        return frames[0].length > 0 && frames[0].length === frames[1].length;
      },
      10_000,
    ).catch(() => {});
    await this.disconnect('docket', d.label);
    await this.disconnect('floor', f.label);
    const [docket, floor] = frames;
    if (!docket.length || !floor.length)
      throw new Error(`check: no frame from ${docket.length ? 'the floor' : 'Docket'}`);
    if (docket.join('\n') !== floor.join('\n'))
      return `WARNING: Docket and the floor send different frames:\n  Docket: ${docket.join('\n          ')}\n  floor:  ${floor.join('\n          ')}`;
    return `check: Docket and the floor send identical frames (${docket.length} for one change, e.g. ${docket[0]!.length} bytes: ${docket[0]})`;
  }

  async round(mode: Mode, n: number, seconds: number): Promise<RoundResult> {
    const server = this.servers[mode].child;
    const parts = this.deal(Array.from({ length: n }, (_, i) => clientSpec(this.desk, this.s.mix, i)));
    const heap = this.s.heapDir && mode === 'docket' && seconds === this.s.seconds ? ++this.heaps : 0;
    const snapshot = async (when: string) => {
      const file = path.resolve(this.s.heapDir!, `docket-${n}-${heap}-${when}.heapsnapshot`);
      mkdirSync(path.dirname(file), { recursive: true });
      await server.call('heapSnapshot', { file }, 600_000);
      log(`heap snapshot ${when} subscribing: ${file}`);
    };
    if (heap) await snapshot('before');
    const memBefore = await server.call<MemorySample>('memory');
    const { label, ms: connectMs } = await this.connect(mode, parts);
    await sleep(300);
    const memAfter = await server.call<MemorySample>('memory');
    if (heap) await snapshot('after');
    const seqStart = await this.lastSeq();
    await this.servers.commits.call('take'); // forget earlier commits
    await Promise.all(this.clients.map((c) => c.call('start', { label })));
    await server.call('offers'); // forget earlier reads
    const cpu0 = await server.call<NodeJS.CpuUsage>('cpu');
    const elu0 = await server.call<EventLoopUtilization>('elu');
    const writes0 = await server.call<number>('writes');
    const clientCpu0 = await Promise.all(this.clients.map((c) => c.call<NodeJS.CpuUsage>('cpu')));
    const profile = this.s.profileDir && mode === 'docket' && seconds === this.s.seconds;
    if (profile) await server.call('profileStart');
    const writer0 = process.cpuUsage();
    const machine0 = machineTimes();
    const t0 = now();
    const changes = await this.writer.bursts(seconds, this.s.rate);
    const writerCpu = cpuMs(writer0, process.cpuUsage());
    if (changes.failed > changes.changes * 0.01)
      throw new Error(`${changes.failed} of ${changes.changes} changes failed; first: ${changes.firstError}`);
    const events = await this.roundEvents(seqStart);
    await Promise.all(
      this.clients.map((c, p) =>
        c.call(
          'drain',
          { label, expected: expectedDeliveries(parts[p]!, events), timeoutMs: this.s.drainMs },
          this.s.drainMs + 60_000,
        ),
      ),
    );
    const cpu1 = await server.call<NodeJS.CpuUsage>('cpu');
    const elu1 = await server.call<EventLoopUtilization>('elu');
    const writes1 = await server.call<number>('writes');
    const offers = await server.call<{ seqs: number[]; times: number[] }>('offers');
    const clientCpu1 = await Promise.all(this.clients.map((c) => c.call<NodeJS.CpuUsage>('cpu')));
    const machine1 = machineTimes();
    const stats = await Promise.all(
      this.clients.map((c) => c.call<DeliveryStats>('collect', { label, events }, 300_000)),
    );
    if (profile) {
      const file = path.resolve(this.s.profileDir!, `docket-${n}-${++this.profiles}.cpuprofile`);
      mkdirSync(path.dirname(file), { recursive: true });
      await server.call('profileStop', { file });
      log(`CPU profile of the round: ${file}`);
    }
    const lastReceipt = Math.max(...stats.map((x) => (Number.isFinite(x.lastReceipt) ? x.lastReceipt : 0)));
    const windowMs = Math.max(seconds * 1000, lastReceipt - t0);
    await this.disconnect(mode, label);

    const latencies = new Float64Array(stats.reduce((k, x) => k + x.latencies.length, 0));
    let at = 0;
    for (const x of stats) {
      latencies.set(x.latencies, at);
      at += x.latencies.length;
    }
    latencies.sort();
    const sum = (pick: (x: DeliveryStats) => number) => stats.reduce((k, x) => k + pick(x), 0);
    const mem = (m: MemorySample) => m.heapUsed + m.external;
    const offeredAt = new Map(offers.seqs.map((seq, i) => [seq, offers.times[i]!]));
    const feed = Float64Array.from(
      events.filter((e) => offeredAt.has(e.seq)).map((e) => offeredAt.get(e.seq)! - e.committedAt),
    ).sort();
    const active = elu1.active - elu0.active;
    const idle = elu1.idle - elu0.idle;
    return {
      mode,
      clients: n,
      latencies,
      delivered: sum((x) => x.delivered),
      expected: sum((x) => x.expected),
      missing: sum((x) => x.missing),
      unexpected: sum((x) => x.unexpected),
      closedByServer: sum((x) => x.closedByServer),
      errors: sum((x) => x.errors),
      firstError: stats.find((x) => x.firstError)?.firstError,
      perConnection: (mem(memAfter) - mem(memBefore)) / n,
      perConnectionRss: (memAfter.rss - memBefore.rss) / n,
      feed,
      cpu: cpuMs(cpu0, cpu1) / windowMs,
      elu: active / (active + idle),
      clientCpu: clientCpu0.reduce((k, c0, i) => k + cpuMs(c0, clientCpu1[i]!), 0) / windowMs,
      writerCpu: writerCpu / windowMs,
      writesPerDelivery: (writes1 - writes0) / sum((x) => x.delivered),
      cpuPerDelivery: (cpuMs(cpu0, cpu1) * 1000) / sum((x) => x.delivered),
      machine: 1 - (machine1.idle - machine0.idle) / (machine1.total - machine0.total),
      windowMs,
      connectMs,
      events: events.length,
      changes,
    };
  }
}

function describeRound(r: RoundResult): string {
  const q = (a: Float64Array, p: number) => fmt(quantile(a, p), 1);
  const burst = quantile(
    [...r.changes.burstMs].sort((a, b) => a - b),
    0.5,
  );
  return (
    `${r.mode.padEnd(6)} ${r.clients} clients: p50 ${q(r.latencies, 0.5)} ms, p99 ${q(r.latencies, 0.99)} ms, ` +
    `max ${fmt(r.latencies.at(-1) ?? NaN, 1)} ms (commit → read: p50 ${q(r.feed, 0.5)}, p99 ${q(r.feed, 0.99)}); ` +
    `${r.delivered.toLocaleString('en-US')}/${r.expected.toLocaleString('en-US')} deliveries` +
    (r.missing ? `, ${r.missing} MISSING` : '') +
    (r.unexpected ? `, ${r.unexpected} UNEXPECTED` : '') +
    (r.closedByServer ? `, ${r.closedByServer} closed by the server` : '') +
    (r.errors ? `, ${r.errors} error frames (${r.firstError})` : '') +
    `; ${fmt(kb(r.perConnection), 1)} KB/conn; server CPU ${fmt(r.cpu * 100, 0)} % (event loop ${fmt(r.elu * 100, 0)} % busy), ` +
    `${fmt(r.cpuPerDelivery, 1)} µs and ${fmt(r.writesPerDelivery, 2)} write syscalls per delivery, ` +
    `clients ${fmt(r.clientCpu * 100, 0)} %, writer ${fmt(r.writerCpu * 100, 0)} %, machine ${fmt(r.machine * 100, 0)} % of ${os.cpus().length} cores; ${r.events} events from ${r.changes.changes} changes` +
    (r.changes.failed ? ` (${r.changes.failed} failed: ${r.changes.firstError})` : '') +
    `, a burst committed in p50 ${fmt(burst, 0)} ms; connect ${fmt(r.connectMs / 1000, 1)} s`
  );
}

// ---------------------------------------------------------------------------------------------------

export async function runRealtimeBench(
  settings: RealtimeSettings = realtimeSettingsFromEnv(),
): Promise<string> {
  const s = settings;
  const started = now();
  const config = loadConfig();
  const logger = createLogger('silent');
  let db: BenchDatabase | undefined;
  let orm: MikroORM | undefined;
  let sql: pg.Client | undefined;
  try {
    log('starting the database…');
    db = await openBenchDatabase('docket_bench_realtime');
    log(db.description);
    orm = await initOrm(db.url, logger, s.writerPool, false);
    await migrate(orm);
    await loadDemoData(orm.em.fork(), systemClock);
    sql = new pg.Client({ connectionString: db.url });
    await sql.connect();
    await addPeople(sql, s);
    // Every change takes a ticket of its own; about 65 % of the seeded tickets are open.
    const changes =
      s.rate *
      (1 + (s.warmupSeconds ? 2 * s.warmupSeconds : 0) + 2 * s.rounds * s.seconds * s.clients.length);
    const seeded = await seedTickets(sql, Math.max(10_000, Math.ceil((changes * 1.1) / 0.6)));
    const pgVersion = (await sql.query<{ v: string }>("select current_setting('server_version') as v"))
      .rows[0]!.v;
    const desk = await loadDesk(sql, config);
    log(
      `seeded ${seeded.tickets.toLocaleString('en-US')} tickets (${desk.tickets.length.toLocaleString('en-US')} open, ` +
        `${changes.toLocaleString('en-US')} changes planned); ${desk.agents.length} agents, ${desk.requesters.length} requesters, ${desk.teams.length} teams`,
    );

    const env = {
      ...process.env,
      BENCH_WS_DATABASE_URL: db.url,
      // The limits stay on (each subscribe is counted) but never trip: a few agents open thousands.
      RATE_LIMIT_USER_PER_MINUTE: '1000000000',
      RATE_LIMIT_KEY_PER_MINUTE: '1000000000',
    };
    const serverArgs = ['--expose-gc', '--max-semi-space-size=32'];
    const [docket, floor, commits, ...clients] = await Promise.all([
      Child.start<{ url: string; poolMax: number }>('Docket', './realtime-server.js', {
        env,
        execArgv: serverArgs,
      }),
      Child.start<{ url: string }>('floor', './realtime-floor.js', { env, execArgv: serverArgs }),
      Child.start<{ pid: number }>('commit clock', './realtime-commits.js', { env }),
      ...Array.from({ length: s.clientProcesses }, (_, i) =>
        Child.start<{ pid: number }>(`clients ${i + 1}`, './realtime-clients.js', {
          env,
          execArgv: ['--max-semi-space-size=32'],
        }),
      ),
    ]);
    log(
      `Docket at ${docket!.ready.url} (pool ${docket!.ready.poolMax}), floor at ${floor!.ready.url}, ${clients.length} client process(es)`,
    );
    const writer = new Writer(orm, desk, s.writer);
    const bench = new Bench(
      s,
      desk,
      {
        docket: { child: docket!.child, url: docket!.ready.url },
        floor: { child: floor!.child, url: floor!.ready.url },
        commits: commits!.child,
      },
      clients.map((c) => c.child),
      writer,
      sql,
    );

    log(await bench.checkSameFrames());
    if (s.warmupSeconds > 0) {
      log(`warming up (${s.warmupSeconds} s each, ${Math.min(500, s.clients[0]!)} clients)…`);
      for (const mode of ['docket', 'floor'] as const)
        await bench.round(mode, Math.min(500, s.clients[0]!), s.warmupSeconds);
    }

    const results: RoundResult[] = [];
    for (const n of s.clients) {
      for (let i = 1; i <= s.rounds; i++) {
        for (const mode of ['docket', 'floor'] as const) {
          const r = await bench.round(mode, n, s.seconds);
          results.push(r);
          log(`round ${i}/${s.rounds} ${describeRound(r)}`);
        }
      }
    }

    await Promise.all([...Child.all].map((c) => c.stop()));
    return report(s, results, {
      pgVersion,
      tickets: seeded.tickets,
      desk,
      seconds: (now() - started) / 1000,
      database: db.description,
    });
  } finally {
    await Promise.all([...Child.all].map((c) => c.kill()));
    await sql?.end().catch(() => {});
    await orm?.close().catch((err: Error) => log(`closing the ORM: ${err.message}`));
    await db?.close().catch((err: Error) => log(`closing the database: ${err.message}`));
  }
}

interface Pooled {
  p50: number;
  p99: number;
  max: number;
  readP50: number;
  readP99: number;
  delivered: number;
  expected: number;
  missing: number;
  unexpected: number;
  closedByServer: number;
  errors: number;
  kbPerConn: number;
  kbRssPerConn: number;
  cpu: number;
  cpuPerDelivery: number;
  elu: number;
  clientCpu: number;
  writerCpu: number;
  machine: number;
  writesPerDelivery: number;
  events: number;
  changes: number;
  failedChanges: number;
  burstMs: number;
  connectS: number;
}

function concatSorted(arrays: Float64Array[]): Float64Array {
  const all = new Float64Array(arrays.reduce((k, a) => k + a.length, 0));
  let at = 0;
  for (const a of arrays) {
    all.set(a, at);
    at += a.length;
  }
  return all.sort();
}

function pool(rounds: RoundResult[]): Pooled {
  const all = concatSorted(rounds.map((r) => r.latencies));
  const reads = concatSorted(rounds.map((r) => r.feed));
  const med = (values: number[]) =>
    quantile(
      values.sort((a, b) => a - b),
      0.5,
    );
  const medOf = (pick: (r: RoundResult) => number) => med(rounds.map(pick));
  const sum = (pick: (r: RoundResult) => number) => rounds.reduce((k, r) => k + pick(r), 0);
  return {
    p50: quantile(all, 0.5),
    p99: quantile(all, 0.99),
    max: all.at(-1) ?? NaN,
    readP50: quantile(reads, 0.5),
    readP99: quantile(reads, 0.99),
    delivered: sum((r) => r.delivered),
    expected: sum((r) => r.expected),
    missing: sum((r) => r.missing),
    unexpected: sum((r) => r.unexpected),
    closedByServer: sum((r) => r.closedByServer),
    errors: sum((r) => r.errors),
    kbPerConn: kb(medOf((r) => r.perConnection)),
    kbRssPerConn: kb(medOf((r) => r.perConnectionRss)),
    cpu: medOf((r) => r.cpu),
    cpuPerDelivery: medOf((r) => r.cpuPerDelivery),
    elu: medOf((r) => r.elu),
    writesPerDelivery: medOf((r) => r.writesPerDelivery),
    clientCpu: medOf((r) => r.clientCpu),
    writerCpu: medOf((r) => r.writerCpu),
    machine: medOf((r) => r.machine),
    events: sum((r) => r.events),
    changes: sum((r) => r.changes.changes),
    failedChanges: sum((r) => r.changes.failed),
    burstMs: med(rounds.flatMap((r) => r.changes.burstMs)),
    connectS: medOf((r) => r.connectMs) / 1000,
  };
}

const pct = (x: number) => `${fmt(x * 100, 0)} %`;

function report(
  s: RealtimeSettings,
  results: RoundResult[],
  info: { pgVersion: string; tickets: number; desk: Desk; seconds: number; database: string },
): string {
  const out: string[] = [];
  const cpus = os.cpus();
  out.push('Docket realtime benchmark: ticketEvents subscriptions over graphql-ws, commit → receipt');
  out.push(
    `Node ${process.version}, PostgreSQL ${info.pgVersion} (${info.database.startsWith('embedded') ? 'embedded' : 'BENCH_DATABASE_URL'}), ` +
      `${cpus.length} × ${cpus[0]?.model.trim() ?? 'CPU'}; desk: ${info.tickets.toLocaleString('en-US')} tickets, ` +
      `${info.desk.agents.length} agents, ${info.desk.teams.length} teams, ${info.desk.requesters.length.toLocaleString('en-US')} requesters`,
  );
  out.push(
    `Clients: ${describeMix(s.mix)}; ${s.clientProcesses} client process(es), one connection and subscription each.`,
  );
  out.push(
    `Writes: ${s.rate} changes at the start of each second, ${s.seconds} s per round (45 % replies, 20 % internal notes, ` +
      `20 % assignments, 15 % priority changes), ${s.writer === 'usecases' ? 'through the use cases' : 'straight into the log (BENCH_WS_WRITER=log)'} ` +
      `in the bench process (pool ${s.writerPool}), each on a ticket of its own.`,
  );
  out.push(
    `${s.rounds} interleaved round(s) per server and size (Docket, floor, Docket, …). Latency percentiles over every delivery of every round; ` +
      'memory and CPU: medians over rounds.',
  );
  const goalLines: string[] = [];
  for (const n of s.clients) {
    const d = pool(results.filter((r) => r.mode === 'docket' && r.clients === n));
    const f = pool(results.filter((r) => r.mode === 'floor' && r.clients === n));
    const perSecond = (x: Pooled) => x.delivered / (s.rounds * s.seconds);
    out.push('');
    out.push(
      `${n.toLocaleString('en-US')} clients: ${fmt(d.events / s.rounds, 0)} events per ${s.seconds} s round from ${fmt(d.changes / s.rounds, 0)} changes; ` +
        `a burst committed in p50 ${fmt(d.burstMs, 0)} ms (Docket rounds) / ${fmt(f.burstMs, 0)} ms (floor rounds)`,
    );
    const rows = [
      ['Docket (graphql-ws, shared execute)', d],
      [`floor (ws + LISTEN + one stringify${s.floorCork ? ' + cork' : ''})`, f],
    ] as const;
    out.push(
      table([
        [
          '',
          'p50 ms',
          'p99 ms',
          'max ms',
          'read p50/p99',
          'deliveries',
          'per s',
          'missing',
          'KB/conn',
          'RSS KB/conn',
          'CPU',
          'µs/delivery',
          'loop busy',
        ],
        ...rows.map(([name, x]) => [
          name,
          fmt(x.p50, 1),
          fmt(x.p99, 1),
          fmt(x.max, 1),
          `${fmt(x.readP50, 1)}/${fmt(x.readP99, 1)}`,
          `${x.delivered.toLocaleString('en-US')}/${x.expected.toLocaleString('en-US')}`,
          fmt(perSecond(x), 0),
          String(x.missing + x.unexpected),
          fmt(x.kbPerConn, 1),
          fmt(x.kbRssPerConn, 1),
          pct(x.cpu),
          fmt(x.cpuPerDelivery, 1),
          pct(x.elu),
        ]),
      ]),
    );
    out.push(
      `  other processes, Docket rounds | floor rounds: clients ${pct(d.clientCpu)} | ${pct(f.clientCpu)}, ` +
        `writer ${pct(d.writerCpu)} | ${pct(f.writerCpu)}; machine busy ${pct(d.machine)} | ${pct(f.machine)} of ${cpus.length} cores; ` +
        `connecting all clients ${fmt(d.connectS, 1)} s | ${fmt(f.connectS, 1)} s; ` +
        `server write syscalls per delivery ${fmt(d.writesPerDelivery, 2)} | ${fmt(f.writesPerDelivery, 2)}`,
    );
    const problems = [
      d.closedByServer && `Docket closed ${d.closedByServer} connections`,
      d.errors && `Docket sent ${d.errors} error frames`,
      f.closedByServer && `the floor closed ${f.closedByServer} connections`,
      d.failedChanges + f.failedChanges && `${d.failedChanges + f.failedChanges} changes failed`,
    ].filter(Boolean);
    if (problems.length) out.push(`  WARNING: ${problems.join('; ')}`);
    const saturated = [d.elu >= SATURATED && 'Docket', f.elu >= SATURATED && 'the floor'].filter(Boolean);
    if (saturated.length)
      out.push(
        `  SATURATED: ${saturated.join(' and ')} (event loop busy ≥ ${pct(SATURATED)} of the round): its latencies measure a ` +
          'backlog that grows with the round’s length, not the pipeline’s delay',
      );
    const ratio = d.p99 / f.p99;
    const cpuRatio = d.cpuPerDelivery / f.cpuPerDelivery;
    out.push(
      `  Docket/floor: p99 ${fmt(ratio, 2)}×, p50 ${fmt(d.p50 / f.p50, 2)}×, CPU per delivery ${fmt(cpuRatio, 2)}×, ` +
        `memory per connection ${fmt(d.kbPerConn / f.kbPerConn, 1)}×`,
    );
    const atGoalSize =
      n === GOALS.atClients || (!s.clients.includes(GOALS.atClients) && n === Math.max(...s.clients));
    if (atGoalSize) {
      const ok = (b: boolean) => (b ? 'MET' : 'NOT MET');
      const complete = d.missing === 0 && d.unexpected === 0 && d.closedByServer === 0;
      goalLines.push(
        `Goals at ${n.toLocaleString('en-US')} clients${n === GOALS.atClients ? '' : ` (the largest size run; the goals are set at ${GOALS.atClients.toLocaleString('en-US')})`}:`,
        `  p99 ≤ ${GOALS.p99Ms} ms: ${fmt(d.p99, 1)} ms — ${ok(d.p99 <= GOALS.p99Ms && complete)}${complete ? '' : ' (deliveries incomplete)'}`,
        `  ≤ ${GOALS.kbPerConnection} KB per connection: ${fmt(d.kbPerConn, 1)} KB — ${ok(d.kbPerConn <= GOALS.kbPerConnection)}`,
        `  (the floor: p99 ${fmt(f.p99, 1)} ms, Docket ${fmt(ratio, 2)}× it${
          f.elu >= SATURATED
            ? `, the floor itself saturated, so this compares backlogs; CPU per delivery ${fmt(cpuRatio, 2)}×`
            : ''
        }; ${fmt(f.kbPerConn, 1)} KB per connection, Docket ${fmt(d.kbPerConn / f.kbPerConn, 1)}× it)`,
      );
    }
  }
  out.push('');
  out.push(...goalLines);
  out.push('');
  out.push(
    'Latency: receipt at the client (performance.timeOrigin + now(), client process) − commit (arrival of the ' +
      'transaction’s NOTIFY at an idle LISTENing process). read: commit → the server has read the event and hands it to ' +
      'its subscriptions. KB/conn: server heapUsed + external after gc, subscribed − before, ÷ clients. CPU: user + ' +
      'system of the server process from the first burst until the last delivery, ÷ that time (100 % = one core); ' +
      'µs/delivery: that CPU time ÷ deliveries; loop busy: its event-loop utilization over the same time.',
  );
  out.push(`realtime bench time ${fmt(info.seconds, 0)} s`);
  return out.join('\n');
}

// Run alone: `npm run bench:realtime`.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  runRealtimeBench().then(
    (text) => {
      console.log('');
      console.log(text);
      process.exit(0);
    },
    (err: Error) => {
      console.error(`[realtime] FAILED: ${err.stack ?? err.message}`);
      process.exit(1);
    },
  );
}
