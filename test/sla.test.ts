import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  ApplySlaPolicyDocument,
  CreateBusinessCalendarDocument,
  CreateSlaPolicyDocument,
  PreviewSlaPolicyDocument,
  SlaMetricsDocument,
  SlaPoliciesDocument,
  TicketSlaDocument,
  TicketsAtRiskDocument,
  UpdateSlaPolicyDocument,
  ViewerDocument,
  type SlaTargetKind,
} from './generated/graphql.js';
import { flows } from './support/flows.js';
import { ManualClock, startTestServer, type TestServer } from './support/harness.js';

/**
 * The SLA engine through the API, with the server's clock set by the test. The shipped calendar is
 * 09:00–18:00 UTC, Monday to Friday; 2026-11-20 is a Friday, 2026-11-23 a Monday.
 */
const AGENT = 'alice@docket.local';
const UMA = 'uma@umbrella.example'; // Umbrella Cloud: saas workflow (seed 003)
const IVAN = 'ivan@initech.example'; // Initech: Premium plan, managed-service workflow (seed 000)

describe('SLA engine', () => {
  const clock = new ManualClock(new Date('2026-01-05T08:00:00Z'));
  let s: TestServer;
  let f: ReturnType<typeof flows>;
  const at = (iso: string) => clock.set(new Date(iso));

  beforeAll(async () => {
    s = await startTestServer({ clock });
    f = flows(s);
  });
  afterAll(() => s.close());

  const sla = async (id: string, email = AGENT) => {
    const res = await s.gql(TicketSlaDocument, { id }, await f.token(email));
    expect(res.errors).toBeUndefined();
    return res.data!.ticket!.sla!;
  };
  const target = async (id: string, kind: SlaTargetKind) =>
    (await sla(id)).targets.find((t) => t.kind === kind)!;
  const due = async (id: string, kind: SlaTargetKind) => (await target(id, kind)).dueAt;
  const userId = async (email: string) =>
    (await s.gql(ViewerDocument, {}, await f.token(email))).data!.viewer!.id;

  describe('seed 000: by plan, in business days, until Open → In progress', () => {
    it.each([
      ['Premium', IVAN, '2026-11-25T17:00:00.000Z', 'P3D'],
      ['Pro', 'rita@acme.example', '2026-11-26T17:00:00.000Z', 'P4D'],
      ['Basic', 'sofia@globex.example', '2026-11-27T17:00:00.000Z', 'P5D'],
    ])('%s (%s): a ticket created Friday 17:00 is due %s', async (_plan, requester, dueAt) => {
      at('2026-11-20T17:00:00Z');
      const t = await f.create(AGENT, {
        requesterId: await userId(requester),
        workflowKey: 'managed-service',
      });
      const fr = await target(t.id, 'FIRST_RESPONSE');
      expect(fr).toMatchObject({ state: 'ACTIVE', clock: 'BUSINESS', dueAt });
      expect(fr.targetSeconds).toBe(Number(_plan === 'Premium' ? 3 : _plan === 'Pro' ? 4 : 5) * 9 * 3600);
    });

    it('warns at 75 % and stops when the ticket moves to In progress', async () => {
      at('2026-11-20T17:00:00Z');
      const t = await f.create(IVAN, { subject: 'Set up the shop' });
      expect((await target(t.id, 'FIRST_RESPONSE')).nextWarningAt).toBe('2026-11-25T10:15:00.000Z'); // 20.25 of 27 h
      at('2026-11-23T10:00:00Z');
      await f.move(AGENT, t.id, 'in_progress');
      const fr = await target(t.id, 'FIRST_RESPONSE');
      expect(fr).toMatchObject({
        state: 'ACHIEVED',
        achievedAt: '2026-11-23T10:00:00.000Z',
        elapsedSeconds: 2 * 3600,
        dueAt: null,
      });
      const events = (await f.get(AGENT, t.id))!.events.map((e) => e.type);
      expect(events).toEqual(expect.arrayContaining(['SLA_POLICY_APPLIED', 'SLA_ACHIEVED']));
    });

    it('the policies reproduce the table, goals included', async () => {
      const res = await s.gql(SlaPoliciesDocument, {}, await f.token(AGENT));
      const goals = res
        .data!.slaPolicies.filter((p) => p.key.startsWith('managed-service'))
        .map((p) => [
          p.definition.conditions.plans![0],
          p.definition.targets[0]!.normalGoal,
          p.definition.targets[0]!.averageGoal,
          p.definition.targets[0]!.within,
        ]);
      expect(goals).toEqual([
        ['Basic', 'P3D', 'P4D', 'P5D'],
        ['Pro', 'P3D', 'P3D', 'P4D'],
        ['Premium', 'P2D', 'P2D', 'P3D'],
      ]);
    });
  });

  describe('seed 003: by severity', () => {
    it('critical runs 24/7: first response 15 min, an update every hour, resolution 4 h', async () => {
      at('2026-11-21T10:00:00Z'); // a Saturday
      const t = await f.create(UMA, { priority: 'CRITICAL', subject: 'Outage' });
      expect(await due(t.id, 'FIRST_RESPONSE')).toBe('2026-11-21T10:15:00.000Z');
      expect(await due(t.id, 'PERIODIC_UPDATE')).toBe('2026-11-21T11:00:00.000Z');
      expect(await due(t.id, 'RESOLUTION')).toBe('2026-11-21T14:00:00.000Z');
      at('2026-11-21T10:40:00Z');
      await f.comment(AGENT, { ticketId: t.id, body: 'Investigating' });
      const fr = await target(t.id, 'FIRST_RESPONSE');
      expect(fr).toMatchObject({
        state: 'BREACHED',
        breachedAt: '2026-11-21T10:15:00.000Z',
        achievedAt: '2026-11-21T10:40:00.000Z',
      });
      const update = await target(t.id, 'PERIODIC_UPDATE');
      expect(update).toMatchObject({ state: 'ACTIVE', cycle: 2, dueAt: '2026-11-21T11:40:00.000Z' });
      const types = (await f.get(AGENT, t.id))!.events.map((e) => e.type);
      expect(types.filter((x) => x === 'SLA_BREACHED')).toHaveLength(1);
    });

    it('high: 1 business hour inside business hours, 4 hours outside them; resolution 8 h', async () => {
      at('2026-11-23T10:00:00Z');
      const inside = await f.create(UMA, { priority: 'HIGH' });
      expect(await target(inside.id, 'FIRST_RESPONSE')).toMatchObject({
        dueAt: '2026-11-23T11:00:00.000Z',
        outsideBusinessHours: false,
        clock: 'BUSINESS',
      });
      expect(await due(inside.id, 'RESOLUTION')).toBe('2026-11-23T18:00:00.000Z');
      at('2026-11-21T10:00:00Z');
      const outside = await f.create(UMA, { priority: 'HIGH' });
      expect(await target(outside.id, 'FIRST_RESPONSE')).toMatchObject({
        dueAt: '2026-11-21T14:00:00.000Z',
        outsideBusinessHours: true,
        clock: 'ALWAYS',
      });
    });

    it('medium: 4 business hours and 1 business day, across a weekend', async () => {
      at('2026-11-20T16:00:00Z');
      const t = await f.create(UMA, { priority: 'MEDIUM' });
      expect(await due(t.id, 'FIRST_RESPONSE')).toBe('2026-11-23T11:00:00.000Z');
      expect(await due(t.id, 'RESOLUTION')).toBe('2026-11-23T16:00:00.000Z');
    });

    it('low: 1 business day and 3 business days', async () => {
      at('2026-11-23T10:00:00Z');
      const t = await f.create(UMA, { priority: 'LOW' });
      expect(await due(t.id, 'FIRST_RESPONSE')).toBe('2026-11-24T10:00:00.000Z');
      expect(await due(t.id, 'RESOLUTION')).toBe('2026-11-26T10:00:00.000Z');
    });

    it('a priority change puts the ticket on the matching policy', async () => {
      at('2026-11-23T10:00:00Z');
      const t = await f.create(UMA, { priority: 'LOW' });
      at('2026-11-23T10:30:00Z');
      await s.gql(
        `mutation { updateTicket(input: { ticketId: "${t.id}", priority: CRITICAL }) { errors { code } } }`,
        undefined,
        await f.token(AGENT),
      );
      const after = await sla(t.id);
      expect(after.policy.key).toBe('saas-critical');
      expect(after.targets.find((x) => x.kind === 'FIRST_RESPONSE')!.dueAt).toBe('2026-11-23T10:15:00.000Z');
    });
  });

  it('pauses while waiting on the customer, resumes on their reply, and explains it', async () => {
    at('2026-11-23T09:00:00Z');
    const t = await f.create(UMA, { priority: 'MEDIUM' });
    expect(await due(t.id, 'FIRST_RESPONSE')).toBe('2026-11-23T13:00:00.000Z');
    at('2026-11-23T09:30:00Z');
    await f.move(AGENT, t.id, 'in_progress');
    at('2026-11-23T10:00:00Z');
    await f.move(AGENT, t.id, 'awaiting_customer');
    at('2026-11-23T11:00:00Z');
    const paused = await target(t.id, 'FIRST_RESPONSE');
    expect(paused).toMatchObject({
      state: 'PAUSED',
      dueAt: null,
      pausedBy: { key: 'awaiting_customer' },
      remainingSeconds: 3 * 3600,
    });
    at('2026-11-23T13:00:00Z');
    await f.comment(UMA, { ticketId: t.id, body: 'Here are the logs' });
    const resumed = await target(t.id, 'FIRST_RESPONSE');
    expect(resumed).toMatchObject({
      state: 'ACTIVE',
      dueAt: '2026-11-23T16:00:00.000Z',
      pausedSeconds: 3 * 3600,
      elapsedSeconds: 3600,
    });
    expect(
      resumed.explain.segments.map((x) => [x.status.key, x.counted, x.projected, x.measuredSeconds]),
    ).toEqual([
      ['new', true, false, 1800],
      ['in_progress', true, false, 1800],
      ['awaiting_customer', false, false, 3 * 3600],
      ['in_progress', true, true, 3 * 3600], // from now to the due date
    ]);
    expect(resumed.explain.summary).toContain('due 2026-11-23T16:00:00.000Z');
  });

  it('a reopen lets resolution run on from the time already used', async () => {
    at('2026-11-23T10:00:00Z');
    const t = await f.create(UMA, { priority: 'LOW' });
    at('2026-11-23T12:00:00Z');
    await f.move(AGENT, t.id, 'in_progress');
    await f.move(AGENT, t.id, 'resolved');
    expect(await target(t.id, 'RESOLUTION')).toMatchObject({ state: 'ACHIEVED', elapsedSeconds: 2 * 3600 });
    at('2026-11-24T10:00:00Z');
    await f.comment(UMA, { ticketId: t.id, body: 'It is back' });
    expect(await f.status(AGENT, t.id)).toBe('in_progress');
    expect(await target(t.id, 'RESOLUTION')).toMatchObject({
      state: 'ACTIVE',
      dueAt: '2026-11-26T17:00:00.000Z',
    }); // 25 h left
  });

  it('a calendar with a holiday and a DST change, made through the API; explain names the holiday', async () => {
    const admin = await f.token('admin@docket.local');
    const cal = await s.gql(
      CreateBusinessCalendarDocument,
      {
        input: {
          key: 'paris',
          name: 'Paris office',
          definition: {
            timeZone: 'Europe/Paris',
            alwaysOpen: false,
            weekly: [1, 2, 3, 4, 5].map((day) => ({ day, start: '09:00', end: '17:00' })),
            holidays: [{ date: '2026-12-25', name: 'Christmas', yearly: true }],
          },
        },
      },
      admin,
    );
    expect(cal.data!.createBusinessCalendar).toMatchObject({
      errors: [],
      calendar: { key: 'paris', businessDayHours: 8 },
    });
    const policy = await s.gql(
      CreateSlaPolicyDocument,
      {
        input: {
          key: 'paris-critical',
          name: 'Paris, critical',
          position: 1,
          definition: {
            conditions: { workflows: ['agency'], priorities: ['CRITICAL'] },
            calendarKey: 'paris',
            targets: [
              {
                kind: 'FIRST_RESPONSE',
                within: 'P1D',
                clock: 'BUSINESS',
                warnAtPercent: [75],
                pausedIn: [],
                onBreach: 'NONE',
              },
            ],
          },
        },
      },
      admin,
    );
    expect(policy.data!.createSlaPolicy.errors).toEqual([]);
    at('2026-12-24T14:00:00Z'); // Thursday 15:00 in Paris
    const xmas = await f.create('rita@acme.example', { priority: 'CRITICAL' });
    const fr = await target(xmas.id, 'FIRST_RESPONSE');
    expect(fr.dueAt).toBe('2026-12-28T14:00:00.000Z'); // 2 h Thursday, Christmas skipped, 6 h Monday
    expect(fr.explain.holidaysSkipped).toEqual(
      [{ date: '2026-12-25', name: 'Christmas', endDate: null, yearly: null }].map(({ date, name }) =>
        expect.objectContaining({ date, name }),
      ),
    );
    at('2026-10-23T14:00:00Z'); // Friday 16:00 in Paris (UTC+2); summer time ends on Sunday
    const dst = await f.create('rita@acme.example', { priority: 'CRITICAL' });
    expect(await due(dst.id, 'FIRST_RESPONSE')).toBe('2026-10-26T15:00:00.000Z'); // Monday 16:00 in Paris (UTC+1)
    const invalid = await s.gql(
      CreateBusinessCalendarDocument,
      {
        input: {
          key: 'bad',
          name: 'Bad',
          definition: {
            timeZone: 'Mars/Olympus',
            alwaysOpen: false,
            weekly: [{ day: 8, start: '25:00', end: '10:00' }],
            holidays: [],
          },
        },
      },
      admin,
    );
    expect(invalid.data!.createBusinessCalendar.errors.map((e) => e.field)).toEqual(
      expect.arrayContaining(['definition.timeZone']),
    );
  });

  it('a new policy version leaves running tickets alone until applied; preview shows the new due dates', async () => {
    at('2026-12-07T10:00:00Z');
    const t = await f.create(UMA, { priority: 'MEDIUM', subject: 'Preview me' });
    expect(await due(t.id, 'FIRST_RESPONSE')).toBe('2026-12-07T14:00:00.000Z');
    const admin = await f.token('admin@docket.local');
    const updated = await s.gql(
      UpdateSlaPolicyDocument,
      {
        input: {
          key: 'saas-medium',
          definition: {
            conditions: { workflows: ['saas'], priorities: ['MEDIUM'] },
            calendarKey: 'business-hours',
            targets: [
              {
                kind: 'FIRST_RESPONSE',
                within: 'PT2H',
                clock: 'BUSINESS',
                warnAtPercent: [75, 90],
                pausedIn: ['WAITING_ON_REQUESTER'],
                onBreach: 'NONE',
              },
              {
                kind: 'RESOLUTION',
                within: 'P1D',
                clock: 'BUSINESS',
                warnAtPercent: [75, 90],
                pausedIn: ['WAITING_ON_REQUESTER'],
                onBreach: 'NONE',
              },
            ],
          },
        },
      },
      admin,
    );
    expect(updated.data!.updateSlaPolicy).toMatchObject({ errors: [], policy: { version: 2 } });
    expect(await due(t.id, 'FIRST_RESPONSE')).toBe('2026-12-07T14:00:00.000Z'); // not rewritten silently
    const preview = await s.gql(PreviewSlaPolicyDocument, { key: 'saas-medium' }, admin);
    const row = preview.data!.previewSlaPolicy.find(
      (r) => r.ticket.id === t.id && r.kind === 'FIRST_RESPONSE',
    );
    expect(row).toMatchObject({
      currentDueAt: '2026-12-07T14:00:00.000Z',
      newDueAt: '2026-12-07T12:00:00.000Z',
    });
    expect(await due(t.id, 'FIRST_RESPONSE')).toBe('2026-12-07T14:00:00.000Z'); // a dry run
    const agentTry = await s.gql(ApplySlaPolicyDocument, { key: 'saas-medium' }, await f.token(AGENT));
    expect(agentTry.data!.applySlaPolicy.errors).toMatchObject([{ code: 'NOT_PERMITTED' }]);
    const applied = await s.gql(ApplySlaPolicyDocument, { key: 'saas-medium' }, admin);
    expect(applied.data!.applySlaPolicy.tickets).toBeGreaterThanOrEqual(1);
    expect(await due(t.id, 'FIRST_RESPONSE')).toBe('2026-12-07T12:00:00.000Z');
    expect((await sla(t.id)).policy.version).toBe(2);
    const events = (await f.get(AGENT, t.id))!.events.filter((e) => e.type === 'SLA_POLICY_APPLIED');
    expect(events.at(-1)!.payload).toMatchObject({ policy: 'saas-medium', version: 2, explicit: true });
    expect(
      (await s.gql(PreviewSlaPolicyDocument, { key: 'saas-medium' }, admin)).data!.previewSlaPolicy,
    ).toEqual([]);
  });
});

describe('SLA metrics', () => {
  const clock = new ManualClock(new Date('2026-01-05T08:00:00Z'));
  let s: TestServer;
  let f: ReturnType<typeof flows>;
  const at = (iso: string) => clock.set(new Date(iso));

  beforeAll(async () => {
    s = await startTestServer({ clock });
    f = flows(s);
    // Monday 2026-12-07, all created at 10:00 on the saas workflow (09:00–18:00 UTC calendar).
    at('2026-12-07T10:00:00Z');
    const t1 = await f.create(UMA, { priority: 'HIGH', subject: 'One' });
    const t2 = await f.create(UMA, { priority: 'HIGH', subject: 'Two' });
    const t3 = await f.create(UMA, { priority: 'MEDIUM', subject: 'Three' });
    await f.create(UMA, { priority: 'LOW', subject: 'Four' });
    at('2026-12-07T10:30:00Z');
    await f.comment(AGENT, { ticketId: t1.id, body: 'On it', status: 'in_progress' });
    at('2026-12-07T10:45:00Z');
    await f.comment(AGENT, { ticketId: t3.id, body: 'Looking' });
    at('2026-12-07T12:00:00Z');
    await f.comment(AGENT, { ticketId: t2.id, body: 'Sorry for the wait', status: 'in_progress' });
    await f.move(AGENT, t1.id, 'resolved');
    at('2026-12-07T16:00:00Z');
    await f.move(AGENT, t2.id, 'resolved');
  });
  afterAll(() => s.close());

  const window = { from: '2026-12-07T00:00:00Z', to: '2026-12-08T00:00:00Z' };

  it('reports hand-computed figures for a small fixed data set', async () => {
    const res = await s.gql(
      SlaMetricsDocument,
      { filter: window, groupBy: 'NONE', within: 60 },
      await f.token(AGENT),
    );
    expect(res.errors).toBeUndefined();
    const [all] = res.data!.slaMetrics;
    expect(all).toMatchObject({
      tickets: 4,
      // first responses after 30 min, 45 min and 2 h; one ticket unanswered
      firstResponseCalendar: { count: 3, meanSeconds: 3900, medianSeconds: 2700, p90Seconds: 6300 },
      firstResponseBusiness: { count: 3, meanSeconds: 3900, medianSeconds: 2700 },
      resolutionCalendar: { count: 2, meanSeconds: 14400, medianSeconds: 14400 },
      firstRespondedWithinShare: 0.5, // 2 of 4 within an hour (seed 002's statistic)
      breaches: 1, // ticket two's first response (due 11:00, answered 12:00)
      atRisk: 0,
    });
    const fr = all!.targets.find((t) => t.kind === 'FIRST_RESPONSE')!;
    expect(fr).toMatchObject({ met: 2, breached: 1 });
    expect(fr.complianceRate).toBeCloseTo(2 / 3);
    expect(all!.targets.find((t) => t.kind === 'RESOLUTION')).toMatchObject({
      met: 2,
      breached: 0,
      complianceRate: 1,
    });
  });

  it('groups by priority', async () => {
    const res = await s.gql(
      SlaMetricsDocument,
      { filter: window, groupBy: 'PRIORITY' },
      await f.token(AGENT),
    );
    const by = Object.fromEntries(res.data!.slaMetrics.map((g) => [g.key, g]));
    expect(Object.keys(by).sort()).toEqual(['HIGH', 'LOW', 'MEDIUM']);
    expect(by.HIGH).toMatchObject({
      tickets: 2,
      breaches: 1,
      firstResponseCalendar: { count: 2, meanSeconds: 4500 },
    });
    expect(by.LOW).toMatchObject({ tickets: 1, firstResponseCalendar: { count: 0 } });
  });

  it('lists running targets by time to breach, and keeps reports from requesters', async () => {
    at('2026-12-08T09:30:00Z');
    const res = await s.gql(TicketsAtRiskDocument, { within: 60 }, await f.token(AGENT));
    const rows = res.data!.ticketsAtRisk;
    expect(rows.map((r) => [r.kind, r.dueAt]).sort()).toEqual([
      ['FIRST_RESPONSE', '2026-12-08T10:00:00.000Z'], // ticket four (low: 1 business day)
      ['RESOLUTION', '2026-12-08T10:00:00.000Z'], // ticket three (medium: 1 business day)
    ]);
    expect(rows.every((r) => r.secondsToBreach === 1800)).toBe(true);
    const asRequester = await s.gql(SlaMetricsDocument, {}, await f.token(UMA));
    expect(asRequester.errors![0]!.extensions!.code).toBe('NOT_PERMITTED');
  });
});
