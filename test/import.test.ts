import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  ImportedTicketDocument,
  ImportTicketDocument,
  ImportTicketsDocument,
  SlaMetricsDocument,
  type ImportTicketInput,
} from './generated/graphql.js';
import { flows } from './support/flows.js';
import { startTestServer, uuidOf, type TestServer } from './support/harness.js';
import { startSmtpSink, type SmtpSink } from './support/smtp.js';
import { connect, type WsConnection } from './support/ws.js';

/**
 * Importing history (issue 16 item 4) through the public API on a real server: tickets from another
 * help desk with their original times; the SLA clock and slaMetrics computed over that history
 * (compared with figures worked out by hand, including a ticket opened Friday 17:00 in Berlin);
 * idempotent by external id; per-item errors in a batch; imported events in the log and replays but
 * never pushed live or mailed; who may import.
 */
const ADMIN = 'admin@docket.local';
const AGENT = 'alice@docket.local';
const REQUESTER = 'rita@acme.example';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Berlin wall-clock time in November (CET, UTC+1) as an ISO instant. */
const berlin = (day: string, time: string) => new Date(`${day}T${time}:00+01:00`).toISOString();

/**
 * Two LOW tickets on the saas workflow under a Berlin policy (09:00–18:00 Monday to Friday; first
 * response P1D = 9 business hours, resolution P3D = 27), both opened Friday 20 November 2026 at 17:00.
 */
const fridayTickets = (suffix = ''): ImportTicketInput[] => [
  {
    // Answered Monday 10:30 and moved In progress; waits on the customer Monday 12:00 to Tuesday
    // 10:00 (paused); resolved Tuesday 15:00.
    externalId: `zd-1001${suffix}`,
    createdAt: berlin('2026-11-20', '17:00'),
    subject: 'Cannot export the report',
    description: 'The export button does nothing',
    channel: 'EMAIL',
    priority: 'LOW',
    workflowKey: 'saas',
    requesterEmail: REQUESTER,
    comments: [
      { at: berlin('2026-11-23', '10:30'), body: 'Which browser?', authorKind: 'AGENT', authorEmail: AGENT },
      {
        at: berlin('2026-11-23', '10:45'),
        body: 'Looks like the CSV path',
        authorKind: 'AGENT',
        internal: true,
      },
      { at: berlin('2026-11-24', '10:00'), body: 'Firefox 140', authorKind: 'REQUESTER' },
    ],
    statusChanges: [
      { at: berlin('2026-11-23', '10:30'), to: 'in_progress', byEmail: AGENT },
      { at: berlin('2026-11-23', '12:00'), to: 'awaiting_customer', byEmail: AGENT },
      { at: berlin('2026-11-24', '10:00'), to: 'in_progress', reason: 'Requester replied' },
      { at: berlin('2026-11-24', '15:00'), to: 'resolved', byEmail: AGENT },
    ],
  },
  {
    // First answered Wednesday 25 November 10:00 (20 business hours: breached Monday 17:00), still open.
    externalId: `zd-1002${suffix}`,
    createdAt: berlin('2026-11-20', '17:00'),
    subject: 'Invoice address',
    description: 'Please change our invoice address',
    channel: 'PORTAL',
    priority: 'LOW',
    workflowKey: 'saas',
    requesterEmail: REQUESTER,
    comments: [{ at: berlin('2026-11-25', '10:00'), body: 'Done?', authorKind: 'AGENT', authorEmail: AGENT }],
    statusChanges: [{ at: berlin('2026-11-25', '10:00'), to: 'in_progress', byEmail: AGENT }],
  },
];

describe('importing history', () => {
  let s: TestServer;
  let f: ReturnType<typeof flows>;
  let smtp: SmtpSink;
  const conns: WsConnection[] = [];

  const admin = async <T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>) => {
    const res = await s.gql<Record<string, T>, unknown>(query, variables, await f.token(ADMIN));
    expect(res.errors).toBeUndefined();
    return Object.values(res.data!)[0]!;
  };
  const importBatch = async (tickets: ImportTicketInput[], token?: string) => {
    const res = await s.gql(ImportTicketsDocument, { input: { tickets } }, token ?? (await f.token(ADMIN)));
    expect(res.errors).toBeUndefined();
    return res.data!.importTickets;
  };

  beforeAll(async () => {
    smtp = await startSmtpSink();
    s = await startTestServer({
      scheduler: 'process',
      notifications: true,
      env: { SMTP_URL: smtp.url, MAIL_FROM: 'Acme Support <support@desk.test>' },
    });
    f = flows(s);
    const cal = await admin<{ errors: unknown[] }>(
      `mutation { createBusinessCalendar(input: { key: "berlin", name: "Berlin office", definition: {
          timeZone: "Europe/Berlin",
          weekly: [
            { day: 1, start: "09:00", end: "18:00" }, { day: 2, start: "09:00", end: "18:00" },
            { day: 3, start: "09:00", end: "18:00" }, { day: 4, start: "09:00", end: "18:00" },
            { day: 5, start: "09:00", end: "18:00" }
          ], holidays: [] } }) { errors { code message field } } }`,
    );
    expect(cal.errors).toEqual([]);
    const policy = await admin<{ errors: unknown[] }>(
      `mutation { createSlaPolicy(input: { key: "berlin-low", name: "Berlin, low", position: 1, definition: {
          conditions: { workflows: ["saas"], priorities: [LOW] },
          calendarKey: "berlin",
          targets: [
            { kind: FIRST_RESPONSE, within: "P1D", clock: BUSINESS },
            { kind: RESOLUTION, within: "P3D", clock: BUSINESS }
          ] } }) { errors { code message field } } }`,
    );
    expect(policy.errors).toEqual([]);
  }, 60_000);

  afterAll(async () => {
    await Promise.all(conns.map((c) => c.dispose()));
    await s?.close();
    await smtp?.close();
  });

  it('imports a Friday 17:00 Berlin history; slaMetrics match the hand-computed figures; importing it again changes nothing', async () => {
    const first = await importBatch(fridayTickets());
    expect(first.errors).toEqual([]);
    expect(first.results.map((r) => r.errors)).toEqual([[], []]);
    expect([first.created, first.unchanged, first.failed]).toEqual([2, 0, 0]);
    const [answered, late] = first.results.map((r) => r.ticket!);
    expect(answered!.createdAt).toBe('2026-11-20T16:00:00.000Z');
    expect(answered!.status.key).toBe('resolved');
    const targets = (t: typeof answered) => Object.fromEntries(t!.sla!.targets.map((x) => [x.kind, x]));
    // Ticket 1: first response Friday 17–18 + Monday 09:00–10:30 = 2.5 business hours, in time.
    expect(targets(answered).FIRST_RESPONSE).toMatchObject({
      state: 'ACHIEVED',
      achievedAt: '2026-11-23T09:30:00.000Z',
      elapsedSeconds: 9000,
    });
    // Resolution: Friday 1 h + Monday 09:00–12:00 3 h (then paused until Tuesday 10:00) + Tuesday
    // 10:00–15:00 5 h = 9 business hours.
    expect(targets(answered).RESOLUTION).toMatchObject({
      state: 'ACHIEVED',
      achievedAt: '2026-11-24T14:00:00.000Z',
      elapsedSeconds: 32_400,
    });
    // Ticket 2: 9 business hours run out Monday 17:00 Berlin (Friday 1 h + Monday 8 h); answered
    // Wednesday 10:00 after 1 + 9 + 9 + 1 = 20 business hours. Its resolution (27 h) ran out
    // Wednesday 17:00 Berlin.
    expect(targets(late).FIRST_RESPONSE).toMatchObject({
      state: 'BREACHED',
      breachedAt: '2026-11-23T16:00:00.000Z',
      achievedAt: '2026-11-25T09:00:00.000Z',
      elapsedSeconds: 72_000,
    });
    expect(targets(late).RESOLUTION).toMatchObject({
      state: 'BREACHED',
      breachedAt: '2026-11-25T16:00:00.000Z',
    });

    const metrics = async () => {
      const res = await s.gql(
        SlaMetricsDocument,
        {
          filter: { from: '2026-11-20T00:00:00Z', to: '2026-11-21T00:00:00Z' },
          groupBy: 'NONE',
          within: 60,
        },
        await f.token(AGENT),
      );
      expect(res.errors).toBeUndefined();
      return res.data!.slaMetrics;
    };
    const expected = [
      {
        key: 'all',
        label: 'All tickets',
        tickets: 2,
        // Calendar time to the first public agent reply: 65.5 h and 113 h.
        firstResponseCalendar: {
          count: 2,
          meanSeconds: 321_300,
          medianSeconds: 321_300,
          p90Seconds: 235_800 + 0.9 * (406_800 - 235_800),
        },
        firstResponseBusiness: {
          count: 2,
          meanSeconds: (9000 + 72_000) / 2,
          medianSeconds: (9000 + 72_000) / 2,
          p90Seconds: 9000 + 0.9 * (72_000 - 9000),
        },
        // Friday 16:00Z to Tuesday 14:00Z: 94 h.
        resolutionCalendar: { count: 1, meanSeconds: 338_400, medianSeconds: 338_400, p90Seconds: 338_400 },
        resolutionBusiness: { count: 1, meanSeconds: 32_400 },
        firstRespondedWithinShare: 0,
        breaches: 2,
        atRisk: 0,
        targets: [
          { kind: 'FIRST_RESPONSE', met: 1, breached: 1, complianceRate: 0.5 },
          { kind: 'NEXT_RESPONSE', met: 0, breached: 0, complianceRate: null },
          { kind: 'PERIODIC_UPDATE', met: 0, breached: 0, complianceRate: null },
          { kind: 'RESOLUTION', met: 1, breached: 1, complianceRate: 0.5 },
        ],
      },
    ];
    const before = await metrics();
    expect(before).toEqual(expected);

    // The same history again: recognised by external id, nothing written, the same tickets.
    const eventsBefore = await s.sql<{ n: string }>('select count(*) as n from ticket_event');
    const again = await importBatch(fridayTickets());
    expect([again.created, again.unchanged, again.failed]).toEqual([0, 2, 0]);
    expect(again.results.map((r) => r.ticket!.id)).toEqual(first.results.map((r) => r.ticket!.id));
    expect(again.results.map((r) => r.ticket!.reference)).toEqual(
      first.results.map((r) => r.ticket!.reference),
    );
    expect(await s.sql<{ n: string }>('select count(*) as n from ticket_event')).toEqual(eventsBefore);
    expect(await metrics()).toEqual(expected);
    const rows = await s.sql<{ n: string }>(
      `select count(*) as n from ticket where external_id in ('zd-1001', 'zd-1002')`,
    );
    expect(rows[0]!.n).toBe('2');

    // The log: every event imported, at its original time, in the order things happened.
    const t = (await s.gql(ImportedTicketDocument, { id: answered!.id }, await f.token(AGENT))).data!.ticket!;
    expect(t.events.every((e) => e.imported)).toBe(true);
    expect(t.events.map((e) => [e.type, e.occurredAt])).toEqual([
      ['TICKET_CREATED', '2026-11-20T16:00:00.000Z'],
      ['SLA_POLICY_APPLIED', '2026-11-20T16:00:00.000Z'],
      ['COMMENT_ADDED', '2026-11-23T09:30:00.000Z'],
      ['STATUS_CHANGED', '2026-11-23T09:30:00.000Z'],
      ['SLA_ACHIEVED', '2026-11-23T09:30:00.000Z'],
      ['COMMENT_ADDED', '2026-11-23T09:45:00.000Z'],
      ['STATUS_CHANGED', '2026-11-23T11:00:00.000Z'],
      ['COMMENT_ADDED', '2026-11-24T09:00:00.000Z'],
      ['STATUS_CHANGED', '2026-11-24T09:00:00.000Z'],
      ['STATUS_CHANGED', '2026-11-24T14:00:00.000Z'],
      ['SLA_ACHIEVED', '2026-11-24T14:00:00.000Z'],
    ]);
    expect(t.transitions.map((x) => [x.from?.key, x.to.key, x.actorKind, x.at])).toEqual([
      ['new', 'in_progress', 'AGENT', '2026-11-23T09:30:00.000Z'],
      ['in_progress', 'awaiting_customer', 'AGENT', '2026-11-23T11:00:00.000Z'],
      ['awaiting_customer', 'in_progress', 'ADMIN', '2026-11-24T09:00:00.000Z'],
      ['in_progress', 'resolved', 'AGENT', '2026-11-24T14:00:00.000Z'],
    ]);
    expect(t.comments.edges.map((e) => [e.node.authorKind, e.node.internal, e.node.createdAt])).toEqual([
      ['AGENT', false, '2026-11-23T09:30:00.000Z'],
      ['AGENT', true, '2026-11-23T09:45:00.000Z'],
      ['REQUESTER', false, '2026-11-24T09:00:00.000Z'],
    ]);
    expect(t.updatedAt).toBe('2026-11-24T14:00:00.000Z');
    expect(t.externalId).toBe('zd-1001');
  });

  it('refuses another history under a known external id (CONFLICT on externalId), changing nothing', async () => {
    const [one] = fridayTickets('-conflict');
    expect((await importBatch([one!])).created).toBe(1);
    const changed = { ...one!, subject: 'Another subject' };
    const res = await importBatch([changed]);
    expect(res.results[0]!.errors).toEqual([
      {
        __typename: 'ConflictUserError',
        code: 'CONFLICT',
        field: 'tickets[0].externalId',
        message: expect.stringContaining('tickets[0] (external id "zd-1001-conflict")'),
      },
    ]);
    const rows = await s.sql<{ subject: string }>(
      `select subject from ticket where external_id = 'zd-1001-conflict'`,
    );
    expect(rows).toEqual([{ subject: 'Cannot export the report' }]);
  });

  it('reports per-item errors, naming the item and the field, and imports the rest (each item on its own)', async () => {
    const base = (id: string): ImportTicketInput => ({
      externalId: id,
      createdAt: '2026-11-02T08:00:00.000Z',
      subject: 'Batch',
      description: 'x',
      channel: 'EMAIL',
      workflowKey: 'saas',
      requesterEmail: 'new.customer@example.com',
      requesterName: 'New Customer',
    });
    const future = new Date(Date.now() + 86_400_000).toISOString();
    const res = await importBatch([
      { ...base('b-ok'), statusChanges: [{ at: '2026-11-02T09:00:00Z', to: 'in_progress' }] },
      { ...base('b-future'), createdAt: future },
      {
        ...base('b-order'),
        comments: [
          { at: '2026-11-03T10:00:00Z', body: 'second', authorKind: 'REQUESTER' },
          { at: '2026-11-03T09:00:00Z', body: 'first', authorKind: 'REQUESTER' },
        ],
        // A status change that the workflow cannot make (Closed is final) and one that does not exist.
        statusChanges: [
          { at: '2026-11-02T09:00:00Z', to: 'closed', reason: 'dup' },
          { at: '2026-11-02T10:00:00Z', to: 'in_progress' },
          { at: '2026-11-02T11:00:00Z', to: 'archived' },
        ],
      },
      {
        ...base('b-before'),
        comments: [
          { at: '2026-11-01T00:00:00Z', body: 'x', authorKind: 'AGENT', authorEmail: 'nobody@example.com' },
        ],
      },
      base('b-ok2'),
    ]);
    expect(res.errors).toEqual([]);
    expect([res.created, res.unchanged, res.failed]).toEqual([2, 0, 3]);
    expect(res.results.map((r) => [r.index, r.externalId, r.created])).toEqual([
      [0, 'b-ok', true],
      [1, 'b-future', false],
      [2, 'b-order', false],
      [3, 'b-before', false],
      [4, 'b-ok2', true],
    ]);
    const fields = (i: number) => res.results[i]!.errors.map((e) => [e.code, e.field]);
    expect(fields(1)).toEqual([['INVALID_INPUT', 'tickets[1].createdAt']]);
    expect(res.results[1]!.errors[0]!.message).toMatch(
      /^tickets\[1\] \(external id "b-future"\): createdAt: is in the future/,
    );
    expect(fields(2)).toEqual([
      ['INVALID_INPUT', 'tickets[2].comments[1].at'],
      ['INVALID_INPUT', 'tickets[2].statusChanges[1].to'],
      ['INVALID_INPUT', 'tickets[2].statusChanges[2].to'],
    ]);
    expect(res.results[2]!.errors[1]!.message).toContain(
      'the workflow has no move from "closed" to "in_progress"',
    );
    expect(res.results[2]!.errors[2]!.message).toContain('"archived" is not a status of this workflow');
    expect(fields(3)).toEqual([
      ['INVALID_INPUT', 'tickets[3].comments[0].authorEmail'],
      ['INVALID_INPUT', 'tickets[3].comments[0].at'],
    ]);
    // Refused items wrote nothing (not even their requester's ticket); the others are whole.
    const rows = await s.sql<{ external_id: string; status: string }>(
      `select external_id, status from ticket where external_id like 'b-%' order by external_id`,
    );
    expect(rows).toEqual([
      { external_id: 'b-ok', status: 'in_progress' },
      { external_id: 'b-ok2', status: 'new' },
    ]);

    // More than 1,000 tickets: refused as a whole, nothing imported.
    const tooMany = await importBatch(Array.from({ length: 1001 }, (_, i) => base(`many-${i}`)));
    expect(tooMany.errors).toEqual([
      { code: 'INVALID_INPUT', field: 'tickets', message: expect.stringContaining('at most 1000') },
    ]);
    expect(tooMany.results).toEqual([]);
    expect(await s.sql(`select 1 from ticket where external_id like 'many-%'`)).toEqual([]);
  });

  it('keeps imported events out of live subscriptions and mail; they are in the log and replays, marked imported', async () => {
    const agentToken = await f.token(AGENT);
    const [{ last_seq: before }] = await s.sql<{ last_seq: string }>(
      'select last_seq from event_sequence where id = 1',
    );
    const live = connect(s.url, agentToken);
    conns.push(live);
    const sub = live.subscribe<
      { ticketEvents: { seq: number; type: string; imported: boolean; ticketId: string } },
      unknown
    >('subscription { ticketEvents { seq type imported ticketId } }');
    await sleep(300); // subscribed
    // An imported agency ticket: on a live ticket its creation would mail an acknowledgement.
    const imported = await s.gql(
      ImportTicketDocument,
      {
        input: {
          externalId: 'fd-77',
          createdAt: '2026-11-26T08:00:00.000Z',
          subject: 'Imported contact form',
          description: 'Please add a contact form',
          channel: 'EMAIL',
          workflowKey: 'agency',
          requesterEmail: REQUESTER,
          comments: [{ at: '2026-11-26T09:00:00Z', body: 'On it', authorKind: 'AGENT', authorEmail: AGENT }],
          statusChanges: [{ at: '2026-11-26T09:00:00Z', to: 'pending', byEmail: AGENT }],
        },
      },
      await f.token(ADMIN),
    );
    expect(imported.data!.importTicket.errors).toEqual([]);
    expect(imported.data!.importTicket.created).toBe(true);
    const importedTicket = imported.data!.importTicket.ticket!;
    // Then a live ticket: its events arrive live, and its acknowledgement is mailed.
    const fresh = await f.create(AGENT, {
      requesterEmail: REQUESTER,
      workflowKey: 'agency',
      subject: 'Live contact form',
    });
    const freshId = fresh.id;
    for (let i = 0; i < 50 && !sub.results.some((r) => r.data?.ticketEvents.ticketId === freshId); i++)
      await sleep(100);
    const received = sub.results.map((r) => r.data!.ticketEvents);
    expect(received.some((e) => e.ticketId === freshId && e.type === 'TICKET_CREATED')).toBe(true);
    expect(received.filter((e) => e.imported || e.ticketId === importedTicket.id)).toEqual([]);

    // A replay from before the import has them, marked imported, in log order.
    const replay = live.subscribe<
      { ticketEvents: { seq: number; type: string; imported: boolean; occurredAt: string } },
      unknown
    >(
      `subscription($after: SafeInt, $ids: [ID!]) { ticketEvents(after: $after, filter: { ticketIds: $ids }) { seq type imported occurredAt } }`,
      { after: Number(before), ids: [importedTicket.id] },
    );
    const replayed = (await replay.take(3, 5000)).map((r) => r.data!.ticketEvents);
    expect(replayed.map((e) => [e.type, e.imported, e.occurredAt])).toEqual(
      [
        ['TICKET_CREATED', true, '2026-11-26T08:00:00.000Z'],
        ['COMMENT_ADDED', true, '2026-11-26T09:00:00.000Z'],
        ['STATUS_CHANGED', true, '2026-11-26T09:00:00.000Z'],
      ].slice(0, replayed.length),
    );
    expect(replayed.length).toBe(3);

    // Mail: the live ticket's acknowledgement arrives; nothing ever for the imported one.
    await smtp.waitFor(
      (m) => m.some((x) => x.subject.includes(fresh.reference)),
      10_000,
      'the live acknowledgement',
    );
    await sleep(1000);
    expect(smtp.mails.filter((m) => m.subject.includes(importedTicket.reference))).toEqual([]);
    const messages = await s.sql('select 1 from notification_message where ticket_id = $1', [
      uuidOf(importedTicket.id),
    ]);
    expect(messages).toEqual([]);
  });

  it('an imported breach reaches slaAlerts only in a replay, marked imported and dated when it happened', async () => {
    const [{ last_seq: before }] = await s.sql<{ last_seq: string }>(
      'select last_seq from event_sequence where id = 1',
    );
    const c = connect(s.url, await f.token(AGENT));
    conns.push(c);
    type Alert = {
      slaAlerts: { kind: string; target: string; breachedAt: string; imported: boolean; occurredAt: string };
    };
    const alerts = 'slaAlerts(after: $after) { kind target breachedAt imported occurredAt }';
    const live = c.subscribe<Alert, unknown>(`subscription($after: SafeInt) { ${alerts} }`, {});
    await sleep(300);
    const [late] = fridayTickets('-alerts').slice(1);
    expect((await importBatch([late!])).created).toBe(1);
    const replay = c.subscribe<Alert, unknown>(`subscription($after: SafeInt) { ${alerts} }`, {
      after: Number(before),
    });
    const replayed = (await replay.take(2, 5000)).map((r) => r.data!.slaAlerts);
    expect(replayed).toEqual([
      {
        kind: 'BREACH',
        target: 'FIRST_RESPONSE',
        breachedAt: '2026-11-23T16:00:00.000Z',
        imported: true,
        occurredAt: '2026-11-23T16:00:00.000Z',
      },
      {
        kind: 'BREACH',
        target: 'RESOLUTION',
        breachedAt: '2026-11-25T16:00:00.000Z',
        imported: true,
        occurredAt: '2026-11-25T16:00:00.000Z',
      },
    ]);
    await sleep(500);
    expect(live.results).toEqual([]);
  });

  it('is for admins and partners with the import scope: requesters, agents and partners without it are refused', async () => {
    const one: ImportTicketInput = {
      externalId: 'perm-1',
      createdAt: '2026-11-10T10:00:00.000Z',
      subject: 'From the marketplace',
      description: 'x',
      channel: 'API',
      requesterEmail: 'buyer@example.com',
    };
    const codes = async (token: string) => {
      const res = await s.gql(ImportTicketsDocument, { input: { tickets: [one] } }, token);
      expect(res.errors).toBeUndefined();
      const p = res.data!.importTickets;
      expect([p.results, p.created, p.failed]).toEqual([[], 0, 0]);
      return p.errors.map((e) => [e.code, e.message]);
    };
    const refused = [['NOT_PERMITTED', 'You are not permitted to use importTickets']];
    expect(await codes(await f.token(REQUESTER))).toEqual(refused);
    expect(await codes(await f.token(AGENT))).toEqual(refused);
    const partner = await admin<{ partner: { id: string } }>(
      `mutation { createPartner(input: { name: "Helpdesk migrator" }) { partner { id } errors { code } } }`,
    );
    const key = async (scopes: string[]) =>
      (
        await admin<{ key: string }>(
          `mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { key errors { code } } }`,
          { input: { partnerId: partner.partner.id, name: scopes.join('+'), scopes } },
        )
      ).key;
    const without = await key(['TICKETS_READ', 'TICKETS_WRITE', 'COMMENTS_WRITE', 'EVENTS_SUBSCRIBE']);
    expect(await codes(without)).toEqual([
      ['NOT_PERMITTED', 'You are not permitted to use importTickets without the scope import'],
    ]);
    expect(await s.sql(`select 1 from ticket where external_id = 'perm-1'`)).toEqual([]);

    // With the scope: imported, and the ticket belongs to the partner (its own namespace of ids).
    const withScope = await key(['IMPORT', 'TICKETS_READ']);
    const ok = await importBatch([one], withScope);
    expect([ok.created, ok.failed]).toEqual([1, 0]);
    const again = await importBatch([one], withScope);
    expect([again.created, again.unchanged]).toEqual([0, 1]);
    const rows = await s.sql<{ partner_id: string | null }>(
      `select partner_id from ticket where external_id = 'perm-1'`,
    );
    expect(rows).toEqual([{ partner_id: uuidOf(partner.partner.id) }]);
    // The same external id from staff is another ticket (staff share one namespace).
    expect((await importBatch([one])).created).toBe(1);
  });
});
