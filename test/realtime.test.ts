import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SignJWT } from 'jose';
import { queryObjects } from 'node:v8';
import WebSocket from 'ws';
import { SYSTEM_ACTOR } from '../src/access/actor.js';
import { appendEvents } from '../src/events/event-log.js';
import { TicketEventType } from '../src/events/event-types.js';
import { CloseCodes } from '../src/events/close-codes.js';
import {
  QueueStatsDocument,
  SlaAlertsDocument,
  TicketEventSeqsDocument,
  TicketEventsDocument,
  UpdateTicketDocument,
} from './generated/graphql.js';
import { flows } from './support/flows.js';
import { ManualClock, startTestServer, uuidOf, type TestServer } from './support/harness.js';
import { connect, wsUrl, type WsConnection } from './support/ws.js';

/**
 * Subscriptions over graphql-ws on the server's own /graphql: a round trip per subscription, resuming
 * with `after`, who sees what, slow consumers, rolled-back events, and tokens.
 */
const AGENT = 'alice@docket.local';
const RITA = 'rita@acme.example';
const SAM = 'sam@acme.example';
const UMA = 'uma@umbrella.example';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('realtime subscriptions', () => {
  let s: TestServer;
  let f: ReturnType<typeof flows>;
  const clock = new ManualClock(new Date());
  const open: WsConnection[] = [];
  const conn = async (email?: string) => {
    const c = connect(s.url, email ? await f.token(email) : undefined);
    open.push(c);
    return c;
  };
  const lastSeq = async () =>
    Number((await s.sql<{ n: string }>('select last_seq as n from event_sequence'))[0]!.n);

  beforeAll(async () => {
    s = await startTestServer({ clock, env: { REALTIME_POLL_MS: '5000' } });
    f = flows(s);
  });
  afterAll(async () => {
    await Promise.all(open.map((c) => c.dispose()));
    await s.close();
  });

  it('ticketEvents: a change reaches a subscribed agent as it commits, with its ticket', async () => {
    const c = await conn(AGENT);
    const sub = c.subscribe(TicketEventsDocument, {});
    await sleep(200); // subscribed
    const t = await f.create(RITA, { subject: 'Printer on fire' });
    const [first] = await sub.take(1);
    expect(first!.errors).toBeUndefined();
    const e = first!.data!.ticketEvents;
    expect(e).toMatchObject({
      type: 'TICKET_CREATED',
      ticketId: t.id,
      ticket: { id: t.id, reference: t.reference, subject: 'Printer on fire' },
      actor: { name: expect.any(String) },
    });
    // Everything that change wrote, in sequence order, and nothing else.
    const rows = await s.sql<{ seq: string }>(
      'select seq from ticket_event where ticket_id = $1 order by seq',
      [uuidOf(t.id)],
    );
    const all = await sub.take(rows.length);
    expect(all.map((r) => r.data!.ticketEvents.seq)).toEqual(rows.map((r) => Number(r.seq)));
  });

  it('slaAlerts: a breach recorded by a change is pushed with its target and ticket', async () => {
    const c = await conn(AGENT);
    const sub = c.subscribe(SlaAlertsDocument, { filter: { kinds: ['BREACH'] } });
    await sleep(200);
    const t = await f.create(UMA, { priority: 'CRITICAL', subject: 'Outage' }); // seed 003: first response 15 min
    clock.advance(40 * 60_000);
    await f.comment(AGENT, { ticketId: t.id, body: 'Investigating' });
    const [alert] = await sub.take(1);
    expect(alert!.data!.slaAlerts).toMatchObject({
      kind: 'BREACH',
      target: 'FIRST_RESPONSE',
      ticketId: t.id,
      ticket: { reference: t.reference, priority: 'CRITICAL' },
    });
    expect(alert!.data!.slaAlerts.breachedAt).toEqual(expect.any(String));
  });

  it('queueStats: counts at once, then again when a ticket changes them; staff only', async () => {
    const c = await conn(AGENT);
    const sub = c.subscribe(QueueStatsDocument, {});
    const [initial] = await sub.take(1);
    const before = initial!.data!.queueStats;
    expect(before.open).toBeGreaterThan(0);
    expect(before.byStatus.reduce((n, x) => n + x.count, 0)).toBe(before.open);
    expect(before.byPriority.reduce((n, x) => n + x.count, 0)).toBe(before.open);
    await f.create(SAM, { priority: 'HIGH', subject: 'Counted' });
    const [, next] = await sub.take(2, 5000);
    const after = next!.data!.queueStats;
    expect(after.open).toBe(before.open + 1);
    const high = (x: typeof before) => x.byPriority.find((p) => p.priority === 'HIGH')?.count ?? 0;
    expect(high(after)).toBe(high(before) + 1);

    const r = await conn(RITA);
    const denied = r.subscribe(QueueStatsDocument, {});
    await denied.ended;
    expect(denied.results[0]!.errors![0]).toMatchObject({ extensions: { code: 'NOT_PERMITTED' } });
  });

  it('a requester sees only their tickets’ public events: never another’s, never an internal note', async () => {
    const SECRET = 'internal-only-7f3a';
    const doc = `subscription { ticketEvents { seq type ticketId payload ticket { id subject comments(first: 50) { edges { node { body internal } } } } } }`;
    const rc = await conn(RITA);
    const ritaAll = rc.subscribe<{ ticketEvents: { seq: number; type: string; ticketId: string } }, never>(
      doc,
    );
    const samTicket = await f.create(SAM, { subject: 'Sam’s own' });
    const ritaSpy = rc.subscribe(TicketEventSeqsDocument, { filter: { ticketIds: [samTicket.id] } });
    const ac = await conn(AGENT);
    const agentAll = ac.subscribe(TicketEventSeqsDocument, {});
    await sleep(200);
    const mine = await f.create(RITA, { subject: 'Mine' });
    await f.comment(AGENT, { ticketId: mine.id, body: SECRET, internal: true });
    await f.comment(AGENT, { ticketId: samTicket.id, body: `to sam ${SECRET}` });
    await f.comment(AGENT, { ticketId: mine.id, body: 'public marker' });
    const last = await lastSeq();
    // The agent sees all of it, the internal note included.
    await waitFor(() => agentAll.results.at(-1)?.data?.ticketEvents.seq === last);
    expect(agentAll.results.some((r) => r.data!.ticketEvents.ticketId === samTicket.id)).toBe(true);
    // Rita: her ticket's public events, up to the marker.
    const visible = await s.sql<{ seq: string }>(
      `select seq from ticket_event where ticket_id = $1 and not internal order by seq`,
      [uuidOf(mine.id)],
    );
    const ritaSeqs = visible.map((r) => Number(r.seq));
    await ritaAll.take(ritaSeqs.length);
    await sleep(300); // anything more would have arrived by now
    expect(ritaAll.results.map((r) => r.data!.ticketEvents.seq)).toEqual(ritaSeqs);
    expect(ritaAll.results.every((r) => r.data!.ticketEvents.ticketId === mine.id)).toBe(true);
    expect(JSON.stringify(ritaAll.results)).not.toContain(SECRET);
    // Asking for another requester's ticket by id yields nothing.
    expect(ritaSpy.results).toEqual([]);
  });

  it('resumes with `after`: exactly the events missed while away, in order, then live', async () => {
    const tickets = await Promise.all(
      [RITA, SAM, UMA, RITA].map((e, i) => f.create(e, { subject: `Busy ${i}` })),
    );
    const live = (await conn(AGENT)).subscribe(TicketEventSeqsDocument, {});
    const away = await conn(AGENT);
    const first = away.subscribe(TicketEventSeqsDocument, {});
    await sleep(200);
    const start = await lastSeq();
    let writing = true;
    const writers = tickets.map(async (t, i) => {
      let n = 0;
      while (writing) {
        await f.comment(AGENT, {
          ticketId: t.id,
          body: `note ${i}.${n++}`,
          internal: n % 3 === 0,
        });
      }
    });
    await first.take(20);
    await away.dispose(); // the network drops
    const seen = Math.max(...first.results.map((r) => r.data!.ticketEvents.seq));
    await waitFor(async () => (await lastSeq()) >= seen + 1000, 60_000);
    // Back, while the writers still write: the replay and the live stream must meet without a gap.
    const back = await conn(AGENT);
    const resumed = back.subscribe(TicketEventSeqsDocument, { after: seen });
    const twoTickets = back.subscribe(TicketEventSeqsDocument, {
      after: seen,
      filter: { ticketIds: [tickets[0]!.id, tickets[1]!.id] },
    });
    await sleep(500);
    writing = false;
    await Promise.all(writers);
    const end = await lastSeq();
    const expected = (
      await s.sql<{ seq: string }>('select seq from ticket_event where seq > $1 order by seq', [seen])
    ).map((r) => Number(r.seq));
    expect(expected.length).toBeGreaterThanOrEqual(1000);
    expect(expected.at(-1)).toBe(end);
    await resumed.take(expected.length, 30_000);
    await sleep(200);
    expect(resumed.results.map((r) => r.data!.ticketEvents.seq)).toEqual(expected);
    const ofTwo = (
      await s.sql<{ seq: string }>(
        'select seq from ticket_event where seq > $1 and ticket_id = any($2::uuid[]) order by seq',
        [seen, [uuidOf(tickets[0]!.id), uuidOf(tickets[1]!.id)]],
      )
    ).map((r) => Number(r.seq));
    await twoTickets.take(ofTwo.length, 30_000);
    expect(twoTickets.results.map((r) => r.data!.ticketEvents.seq)).toEqual(ofTwo);
    // The connection that never dropped saw the same, live.
    await waitFor(() => live.results.at(-1)?.data?.ticketEvents.seq === end, 30_000);
    expect(live.results.map((r) => r.data!.ticketEvents.seq).filter((q) => q > seen)).toEqual(expected);
    expect(start).toBeLessThan(seen);
  }, 120_000);

  it('delivers in sequence order to every subscriber, whether its document answers at once or loads', async () => {
    type Loaded = { ticketEvents: { seq: number; ticket: { subject: string } } };
    const loading = 'subscription { ticketEvents { seq ticket { subject } } }';
    const tickets = await Promise.all([RITA, SAM, UMA].map((e, i) => f.create(e, { subject: `Order ${i}` })));
    // Two agents in the same group for each document (the first executes it, the second shares it).
    const subs = await Promise.all(
      [AGENT, AGENT, 'bob@docket.local'].map(async (email) => {
        const c = await conn(email);
        return {
          loads: c.subscribe<Loaded, never>(loading),
          plain: c.subscribe(TicketEventSeqsDocument, {}),
        };
      }),
    );
    await sleep(200);
    const start = await lastSeq();
    await Promise.all(
      tickets.map(async (t, i) => {
        for (let n = 0; n < 40; n++) await f.comment(AGENT, { ticketId: t.id, body: `order ${i}.${n}` });
      }),
    );
    const expected = (
      await s.sql<{ seq: string }>('select seq from ticket_event where seq > $1 order by seq', [start])
    ).map((r) => Number(r.seq));
    expect(expected.length).toBeGreaterThanOrEqual(120);
    for (const { loads, plain } of subs) {
      await loads.take(expected.length, 30_000);
      await plain.take(expected.length, 30_000);
      expect(loads.results.map((r) => r.data!.ticketEvents.seq).filter((q) => q > start)).toEqual(expected);
      expect(plain.results.map((r) => r.data!.ticketEvents.seq).filter((q) => q > start)).toEqual(expected);
      expect(loads.results.every((r) => r.data!.ticketEvents.ticket.subject.startsWith('Order'))).toBe(true);
    }
  });

  it('each filter gets, live, exactly the events its own query of the log selects', async () => {
    const tickets = await Promise.all(
      [RITA, SAM, UMA, RITA, SAM].map((e, i) => f.create(e, { subject: `Filed ${i}` })),
    );
    const ids = tickets.map((t) => uuidOf(t.id));
    // Two of them on a team (the others on none).
    const [{ id: team }] = await s.sql<{ id: string }>('select id from team order by key limit 1');
    for (const t of [tickets[1]!, tickets[3]!]) {
      const res = await s.gql(
        UpdateTicketDocument,
        { input: { ticketId: t.id, teamId: team } },
        await f.token(AGENT),
      );
      expect(res.data!.updateTicket.errors).toEqual([]);
    }
    const facts = await s.sql<{
      team_id: string | null;
      assignee_id: string | null;
      organization_id: string | null;
    }>('select team_id, assignee_id, organization_id from ticket where id = any($1::uuid[])', [ids]);
    const some = (k: keyof (typeof facts)[number]) => facts.map((r) => r[k]).find((v) => v !== null)!;
    // Each filter, and the log's selection of the same events.
    const cases: { email: string; filter: Record<string, string[]>; where: string; value: unknown }[] = [
      { email: AGENT, filter: { teamIds: [some('team_id')] }, where: 'team_id = $2', value: some('team_id') },
      {
        email: AGENT,
        filter: { assigneeIds: [some('assignee_id')] },
        where: 'assignee_id = $2',
        value: some('assignee_id'),
      },
      {
        email: AGENT,
        filter: { organizationIds: [some('organization_id')] },
        where: 'organization_id = $2',
        value: some('organization_id'),
      },
      {
        email: AGENT,
        filter: { ticketIds: [tickets[0]!.id, tickets[2]!.id] },
        where: 'ticket_id = any($2::uuid[])',
        value: [ids[0], ids[2]],
      },
      { email: AGENT, filter: {}, where: '$2::text is null', value: null },
      {
        email: RITA,
        filter: {},
        where: 'requester_id = (select id from app_user where email = $2) and not internal',
        value: RITA,
      },
    ];
    const live = await Promise.all(
      cases.map(async (c) => (await conn(c.email)).subscribe(TicketEventSeqsDocument, { filter: c.filter })),
    );
    await sleep(200);
    const start = await lastSeq();
    await Promise.all(
      tickets.map(async (t, i) => {
        await f.comment(AGENT, { ticketId: t.id, body: `public ${i}` });
        await f.comment(AGENT, { ticketId: t.id, body: `internal ${i}`, internal: true });
      }),
    );
    const expected = await Promise.all(
      cases.map(async (c) =>
        (
          await s.sql<{ seq: string }>(
            `select seq from ticket_event where seq > $1 and ${c.where} order by seq`,
            [start, c.value],
          )
        ).map((r) => Number(r.seq)),
      ),
    );
    for (const [i, seqs] of expected.entries()) {
      expect({ filter: cases[i]!.filter, selected: seqs.length > 0 }).toEqual({
        filter: cases[i]!.filter,
        selected: true,
      });
      await live[i]!.take(seqs.length);
    }
    await sleep(300); // anything more would have arrived by now
    expect(
      cases.map((c, i) => ({
        filter: c.filter,
        seqs: live[i]!.results.map((r) => r.data!.ticketEvents.seq),
      })),
    ).toEqual(cases.map((c, i) => ({ filter: c.filter, seqs: expected[i] })));
  });

  it('never delivers an event of a transaction that rolled back, and the sequence stays gapless', async () => {
    const t = await f.create(RITA, { subject: 'Rollback' });
    const sub = (await conn(AGENT)).subscribe(TicketEventSeqsDocument, { filter: { ticketIds: [t.id] } });
    await sleep(200);
    const before = await lastSeq();
    await expect(
      s.orm.em.fork().transactional(async (em) => {
        await appendEvents(em, [
          {
            ticketId: uuidOf(t.id),
            type: TicketEventType.TICKET_UPDATED,
            actor: SYSTEM_ACTOR,
            payload: { ghost: true },
            occurredAt: new Date(),
          },
        ]);
        throw new Error('roll it back');
      }),
    ).rejects.toThrow('roll it back');
    await f.comment(AGENT, { ticketId: t.id, body: 'real' });
    const [e] = await sub.take(1);
    expect(e!.data!.ticketEvents.seq).toBe(before + 1);
    await sleep(300);
    expect(sub.results.every((r) => r.data!.ticketEvents.type !== 'TICKET_UPDATED')).toBe(true);
  });

  it('over HTTP, a subscription is answered with where to send it', async () => {
    const res = await s.gql('subscription { ticketEvents { seq } }', {}, await f.token(AGENT));
    expect(res.status).toBe(400);
    expect(res.errors![0]).toMatchObject({ extensions: { code: 'BAD_REQUEST' } });
    expect(res.errors![0]!.message).toContain('WebSocket');
  });

  describe('tokens', () => {
    const closeCodeOf = async (params: Record<string, unknown>) => {
      const socket = new WebSocket(wsUrl(s.url), 'graphql-transport-ws');
      await new Promise((r) => socket.once('open', r));
      socket.send(JSON.stringify({ type: 'connection_init', payload: params }));
      return new Promise<{ code: number; reason: string }>((r) =>
        socket.once('close', (code, reason) => r({ code, reason: reason.toString() })),
      );
    };
    const sign = (expSecondsFromNow: number, userId: string) =>
      new SignJWT({})
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(userId)
        .setIssuer(s.config.jwt.issuer)
        .setAudience(s.config.jwt.audience)
        .setIssuedAt()
        .setExpirationTime(Math.floor(Date.now() / 1000) + expSecondsFromNow)
        .sign(new TextEncoder().encode(s.config.jwt.secret));

    it('refuses a missing, malformed or tampered token with TOKEN_INVALID', async () => {
      expect((await closeCodeOf({})).code).toBe(CloseCodes.TOKEN_INVALID);
      expect((await closeCodeOf({ authorization: 'Basic abc' })).code).toBe(CloseCodes.TOKEN_INVALID);
      const good = await f.token(AGENT);
      const tampered = good.slice(0, -3) + (good.endsWith('abc') ? 'xyz' : 'abc');
      const closed = await closeCodeOf({ authorization: `Bearer ${tampered}` });
      expect(closed).toEqual({ code: CloseCodes.TOKEN_INVALID, reason: 'Your token is not valid' });
    });

    it('refuses an expired token with TOKEN_EXPIRED, and closes a connection when its token expires', async () => {
      const [{ id }] = await s.sql<{ id: string }>(`select id from app_user where email = $1`, [AGENT]);
      expect((await closeCodeOf({ authorization: `Bearer ${await sign(-5, id!)}` })).code).toBe(
        CloseCodes.TOKEN_EXPIRED,
      );
      const c = connect(s.url, await sign(2, id!));
      open.push(c);
      const sub = c.subscribe(TicketEventSeqsDocument, {});
      await sleep(300);
      expect(sub.results).toEqual([]);
      expect(await c.closed).toMatchObject({ code: CloseCodes.TOKEN_EXPIRED });
    });
  });
});

async function waitFor(check: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`condition not met within ${ms} ms`);
    await sleep(25);
  }
}

describe('limits per connection', () => {
  let s: TestServer;
  let f: ReturnType<typeof flows>;

  beforeAll(async () => {
    s = await startTestServer({ env: { REALTIME_BUFFER: '20', WS_MAX_SUBSCRIPTIONS: '3' } });
    f = flows(s);
  });
  afterAll(() => s.close());

  const BIG =
    'subscription { ticketEvents { seq ticket { comments(first: 50) { edges { node { body } } } } } }';
  /** A raw graphql-ws client (its socket can stop reading) subscribed to `query`, keeping the seqs it gets. */
  const rawSubscriber = async (token: string, query: string) => {
    const socket = new WebSocket(wsUrl(s.url), 'graphql-transport-ws');
    const closed = new Promise<number>((r) => socket.once('close', (code) => r(code)));
    await new Promise((r) => socket.once('open', r));
    const acked = new Promise((r) => socket.once('message', r));
    socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }));
    await acked;
    /** Each subscription's seqs, by its id. */
    const seqs: Record<string, number[]> = {};
    socket.on('message', (data) => {
      const m = JSON.parse(String(data)) as {
        id?: string;
        type: string;
        payload?: { data?: { ticketEvents: { seq: number } } };
      };
      if (m.type === 'next') (seqs[m.id!] ??= []).push(m.payload!.data!.ticketEvents.seq);
    });
    socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query } }));
    return { socket, closed, seqs };
  };
  const lastSeq = async () =>
    Number((await s.sql<{ n: string }>('select last_seq as n from event_sequence'))[0]!.n);

  it('is closed with SLOW_CONSUMER when its buffer overflows, and the others do not wait for it', async () => {
    const t = await f.create(RITA, { subject: 'Long thread' });
    const token = await f.token(AGENT);
    const slow = await rawSubscriber(token, BIG);
    const fast = connect(s.url, token);
    const sub = fast.subscribe(TicketEventSeqsDocument, {});
    await sleep(300);
    slow.socket.pause();
    // Each result carries up to 50 comments of 40 KB: the socket's buffers fill after a few.
    for (let i = 0; i < 60; i++)
      await f.comment(AGENT, { ticketId: t.id, body: `${i} ${'x'.repeat(40_000)}` });
    const n = await lastSeq();
    await waitFor(() => sub.results.at(-1)?.data?.ticketEvents.seq === n, 10_000);
    slow.socket.resume();
    expect(await slow.closed).toBe(CloseCodes.SLOW_CONSUMER);
    await fast.dispose();
  }, 60_000);

  it('a consumer that falls behind within its buffer catches up with every event, in order', async () => {
    const t = await f.create(RITA, { subject: 'Another long thread' });
    const token = await f.token(AGENT);
    const lagging = await rawSubscriber(token, BIG);
    // A second subscription on the same socket: its small frames queue behind the big ones.
    lagging.socket.send(
      JSON.stringify({
        id: '2',
        type: 'subscribe',
        payload: { query: 'subscription { ticketEvents { seq } }' },
      }),
    );
    await sleep(300);
    const start = await lastSeq();
    lagging.socket.pause();
    // Well past the socket's high-water mark, but fewer events than REALTIME_BUFFER (20) per subscription.
    for (let i = 0; i < 12; i++)
      await f.comment(AGENT, { ticketId: t.id, body: `${i} ${'y'.repeat(40_000)}` });
    const end = await lastSeq();
    await sleep(500);
    lagging.socket.resume();
    const expected = Array.from({ length: end - start }, (_, i) => start + 1 + i);
    await waitFor(
      () => lagging.seqs['1']?.length === expected.length && lagging.seqs['2']?.length === expected.length,
      20_000,
    );
    expect(lagging.seqs['1']).toEqual(expected);
    expect(lagging.seqs['2']).toEqual(expected);
    lagging.socket.close();
  }, 60_000);

  it('refuses a subscription past WS_MAX_SUBSCRIPTIONS open on one connection, and takes one again after a complete', async () => {
    const c = connect(s.url, await f.token(AGENT));
    const open = [1, 2, 3].map(() => c.subscribe(TicketEventSeqsDocument, {}));
    await sleep(300);
    const refused = c.subscribe(TicketEventSeqsDocument, {});
    await refused.ended;
    expect(refused.results[0]!.errors![0]).toMatchObject({ extensions: { code: 'TOO_MANY_SUBSCRIPTIONS' } });
    // The others still run, on the same connection.
    const t = await f.create(RITA, { subject: 'Still counted' });
    const [{ n }] = await s.sql<{ n: string }>('select last_seq as n from event_sequence');
    for (const sub of open)
      await waitFor(() => sub.results.at(-1)?.data?.ticketEvents.seq === Number(n), 10_000);
    expect(open[0]!.results.at(-1)!.data!.ticketEvents.ticketId).toBe(t.id);
    open[0]!.unsubscribe();
    await sleep(300);
    const again = c.subscribe(TicketEventSeqsDocument, {});
    await f.comment(AGENT, { ticketId: t.id, body: 'seen by the new one' });
    await again.take(1);
    expect(again.results[0]!.errors).toBeUndefined();
    await c.dispose();
  });
});

/** A raw graphql-ws connection subscribed to every event's seq; the seqs it gets in `seqs`. */
async function seqSubscriber(url: string, token: string, options: WebSocket.ClientOptions = {}) {
  const socket = new WebSocket(wsUrl(url), 'graphql-transport-ws', options);
  const closed = new Promise<number>((r) => socket.once('close', (code) => r(code)));
  await new Promise((r) => socket.once('open', r));
  const acked = new Promise((r) => socket.once('message', r));
  socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }));
  await acked;
  const seqs: number[] = [];
  socket.on('message', (data) => {
    const m = JSON.parse(String(data)) as { payload?: { data?: { ticketEvents: { seq: number } } } };
    if (m.payload?.data) seqs.push(m.payload.data.ticketEvents.seq);
  });
  socket.send(
    JSON.stringify({
      id: '1',
      type: 'subscribe',
      payload: { query: 'subscription { ticketEvents { seq } }' },
    }),
  );
  return { socket, closed, seqs };
}

describe('what a subscribed connection holds', () => {
  let s: TestServer;
  let f: ReturnType<typeof flows>;

  beforeAll(async () => {
    s = await startTestServer();
    f = flows(s);
  });
  afterAll(() => s.close());

  it('no Buffer and no keep-alive timer of its own (not its received frames either)', async () => {
    const token = await f.token(AGENT);
    const subscribed = () => s.server.realtime.feed.listenerCount;
    const timer = setTimeout(() => {}, 0);
    clearTimeout(timer);
    const Timeout = timer.constructor as new () => unknown;
    // After a full collection (v8.queryObjects makes one), this process's Buffers and timers: the
    // clients here are bare `ws` sockets, which keep neither once a message is handled.
    const count = () => ({
      buffers: queryObjects(Buffer, { format: 'count' }),
      timers: queryObjects(Timeout, { format: 'count' }),
    });
    // The first makes the shared parts: the parsed document, its group, the frame prefix.
    const none = subscribed();
    const first = await seqSubscriber(s.url, token);
    await waitFor(() => subscribed() === none + 1);
    const base = subscribed();
    const before = count();
    const N = 40;
    const many: Awaited<ReturnType<typeof seqSubscriber>>[] = [];
    for (let i = 0; i < N; i++) many.push(await seqSubscriber(s.url, token));
    await waitFor(() => subscribed() === base + N);
    const after = count();
    // Before: each kept the frame of its subscribe message (an async listener waiting on it for the
    // subscription's life) and a frame prefix of its own: 2 or more Buffers per connection.
    expect((after.buffers - before.buffers) / N).toBeLessThan(0.5);
    // Its token's expiry and graphql-ws's connection_init wait (spent, still referenced); before, also
    // a keep-alive interval of its own.
    expect((after.timers - before.timers) / N).toBeLessThanOrEqual(2);
    // And every one of them still gets each event.
    await f.create(RITA, { subject: 'Counted' });
    const [{ n }] = await s.sql<{ n: string }>('select last_seq as n from event_sequence');
    await waitFor(() => [first, ...many].every((c) => c.seqs.at(-1) === Number(n)), 20_000);
    for (const c of [first, ...many]) c.socket.close();
    await waitFor(() => subscribed() === none);
  }, 90_000);
});

describe('keep-alive', () => {
  let s: TestServer;
  let f: ReturnType<typeof flows>;

  beforeAll(async () => {
    s = await startTestServer({ env: { WS_KEEPALIVE_MS: '1000' } });
    f = flows(s);
  });
  afterAll(() => s.close());

  it('drops a connection that stops answering pings and keeps those that answer', async () => {
    const token = await f.token(AGENT);
    const silent = await seqSubscriber(s.url, token, { autoPong: false });
    const answering = await seqSubscriber(s.url, token);
    expect(await silent.closed).toBe(1006); // terminated: no close frame
    // Several pings later, the one that answers is still there and still served.
    await sleep(3000);
    expect(answering.socket.readyState).toBe(WebSocket.OPEN);
    await f.create(RITA, { subject: 'Still here' });
    const [{ n }] = await s.sql<{ n: string }>('select last_seq as n from event_sequence');
    await waitFor(() => answering.seqs.at(-1) === Number(n));
    answering.socket.close();
  }, 30_000);
});
