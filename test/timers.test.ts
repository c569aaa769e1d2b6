import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { PRESETS } from '../src/workflow/presets/index.js';
import {
  CreateSlaPolicyDocument,
  CreateWorkflowDocument,
  TicketDocument,
  ViewerDocument,
  type WorkflowDefinitionInput,
} from './generated/graphql.js';
import { fastTimers, scaled } from './support/fast-timers.js';
import { flows } from './support/flows.js';
import { startTestServer, uuidOf, type TestServer } from './support/harness.js';

/**
 * The timed steps of the five presets on the real scheduler (Agenda on PostgreSQL). The fixtures are
 * the presets with their timers scaled down, one day to 200 ms; the presets' real durations are
 * checked by the unit tests beside them.
 */
const AGENT = 'alice@docket.local';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('timers on the real scheduler', () => {
  let s: TestServer;
  let f: ReturnType<typeof flows>;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    s = await startTestServer({ scheduler: 'process' });
    f = flows(s);
    const admin = await f.token('admin@docket.local');
    for (const p of PRESETS) {
      const res = await s.gql(
        CreateWorkflowDocument,
        {
          input: {
            key: `${p.key}-fast`,
            name: `${p.name} (fast)`,
            isDefault: false,
            definition: fastTimers(p.definition) as WorkflowDefinitionInput,
          },
        },
        admin,
      );
      expect(res.data!.createWorkflow.errors).toEqual([]);
    }
    for (const email of [
      'rita@acme.example',
      'sofia@globex.example',
      'ivan@initech.example',
      'uma@umbrella.example',
      'hana@hooli.example',
    ]) {
      ids[email] = (await s.gql(ViewerDocument, {}, await f.token(email))).data!.viewer!.id;
    }
  });
  afterAll(() => s.close());

  const open = (requester: string, workflow: string, subject = 'Timed') =>
    f.create(AGENT, { requesterId: ids[requester], workflowKey: `${workflow}-fast`, subject });
  const events = async (id: string) =>
    (await s.gql(TicketDocument, { id }, await f.token(AGENT))).data!.ticket!.events;
  const waitForStatus = async (id: string, status: string, timeoutMs: number) => {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      if ((await f.status(AGENT, id)) === status) return;
      await sleep(50);
    }
    throw new Error(
      `ticket ${id} did not reach ${status} within ${timeoutMs} ms (it is ${await f.status(AGENT, id)})`,
    );
  };
  const reminders = async (id: string) =>
    (await events(id)).filter((e) => e.type === 'REQUESTER_REMINDED').map((e) => e.payload.count);

  it('002: Pending reminds at 24 h and 5 days, closes at 7 days tagged "No Response"; Solved closes after 24 h', async () => {
    const pending = await open('rita@acme.example', 'agency');
    await f.comment(AGENT, { ticketId: pending.id, body: 'Which page?', status: 'pending' });
    const solved = await open('rita@acme.example', 'agency');
    await f.comment(AGENT, { ticketId: solved.id, body: 'Done', status: 'solved' });
    await waitForStatus(solved.id, 'closed', 3000);
    await waitForStatus(pending.id, 'closed', 5000);
    const log = await events(pending.id);
    expect(
      log.filter((e) => e.type === 'REQUESTER_REMINDED').map((e) => [e.payload.count, e.payload.after]),
    ).toEqual([
      [1, scaled('PT24H')],
      [1, scaled('P5D')],
    ]);
    expect(log.find((e) => e.type === 'TAGS_CHANGED')!.payload).toMatchObject({ added: ['No Response'] });
    expect(log.at(-1)).toMatchObject({
      type: 'STATUS_CHANGED',
      actorKind: 'SYSTEM',
      payload: { from: 'pending', to: 'closed' },
    });
    expect((await f.get(AGENT, pending.id))!.tags).toContain('No Response');
  });

  it('001: waiting on the seller reminds every 3 days at most 3 times and closes at 30 days; Resolved closes after 7 days', async () => {
    const waiting = await open('sofia@globex.example', 'marketplace');
    await f.move(AGENT, waiting.id, 'l1_in_progress');
    await f.move(AGENT, waiting.id, 'waiting_on_seller');
    const resolved = await open('sofia@globex.example', 'marketplace');
    await f.move(AGENT, resolved.id, 'l1_in_progress');
    await f.move(AGENT, resolved.id, 'resolved');
    await waitForStatus(resolved.id, 'closed', 4000);
    await waitForStatus(waiting.id, 'closed', 9000);
    expect(await reminders(waiting.id)).toEqual([1, 2, 3]);
  });

  it('004: one reminder, closed after 7 days awaiting; Resolved closes after 48 h; a reply reopens and cancels the auto-close', async () => {
    const awaiting = await open('hana@hooli.example', 'knowledge-base');
    await f.move(AGENT, awaiting.id, 'processing');
    await f.move(AGENT, awaiting.id, 'awaiting_your_reply');
    const resolved = await open('hana@hooli.example', 'knowledge-base');
    await f.move(AGENT, resolved.id, 'processing');
    await f.move(AGENT, resolved.id, 'resolved');
    const reopened = await open('hana@hooli.example', 'knowledge-base');
    await f.move(AGENT, reopened.id, 'processing');
    await f.move(AGENT, reopened.id, 'resolved');
    await f.comment('hana@hooli.example', { ticketId: reopened.id, body: 'Not fixed' });
    await waitForStatus(resolved.id, 'closed', 3000);
    await waitForStatus(awaiting.id, 'closed', 4000);
    expect(await reminders(awaiting.id)).toEqual([1]);
    await sleep(600); // well past the 48 h (400 ms) the resolved ticket would have waited
    expect(await f.status(AGENT, reopened.id)).toBe('reopened');
    const rows = await s.sql('select * from ticket_timer where ticket_id = $1 and fire_at is not null', [
      uuidOf(reopened.id),
    ]);
    expect(rows).toEqual([]);
  });

  it('000: courtesy reminders while awaiting the client, ended after 15 days; Feedback/Answered resolves after 15 days', async () => {
    const awaiting = await open('ivan@initech.example', 'managed-service');
    await f.move(AGENT, awaiting.id, 'ready');
    await f.move(AGENT, awaiting.id, 'in_progress');
    await f.move(AGENT, awaiting.id, 'awaiting_client');
    const feedback = await open('ivan@initech.example', 'managed-service');
    await f.move(AGENT, feedback.id, 'in_progress');
    await f.move(AGENT, feedback.id, 'feedback_answered');
    await waitForStatus(awaiting.id, 'cancelled', 6000);
    await waitForStatus(feedback.id, 'resolved', 3000);
    expect(await reminders(awaiting.id)).toEqual([1, 2, 3, 4]);
    expect((await f.get(AGENT, awaiting.id))!.tags).toContain('No client response');
  });

  it('003: a reminder while awaiting the customer; Resolved closes after 7 days', async () => {
    const t = await open('uma@umbrella.example', 'saas');
    await f.move(AGENT, t.id, 'in_progress');
    await f.move(AGENT, t.id, 'awaiting_customer');
    const until = Date.now() + 3000;
    while (Date.now() < until && (await reminders(t.id)).length === 0) await sleep(50);
    expect(await reminders(t.id)).toEqual([1]);
    await f.comment('uma@umbrella.example', { ticketId: t.id, body: 'Logs attached' });
    await f.move(AGENT, t.id, 'resolved');
    await waitForStatus(t.id, 'closed', 4000);
  });

  describe('SLA deadlines', () => {
    beforeAll(async () => {
      const admin = await f.token('admin@docket.local');
      const res = await s.gql(
        CreateSlaPolicyDocument,
        {
          input: {
            key: 'fast-critical',
            name: 'Fast critical',
            position: 1,
            definition: {
              conditions: { workflows: ['saas-fast'], priorities: ['CRITICAL'] },
              calendarKey: 'always-open',
              targets: [
                {
                  kind: 'FIRST_RESPONSE',
                  within: 'PT1S',
                  clock: 'ALWAYS',
                  warnAtPercent: [50],
                  pausedIn: [],
                  onBreach: 'RAISE_TIER',
                },
                {
                  kind: 'RESOLUTION',
                  within: 'PT3S',
                  clock: 'ALWAYS',
                  warnAtPercent: [],
                  pausedIn: ['WAITING_ON_REQUESTER'],
                  onBreach: 'NONE',
                },
              ],
            },
          },
        },
        admin,
      );
      expect(res.data!.createSlaPolicy.errors).toEqual([]);
    });

    it('records the warning and the breach at their time, and the breach raises the tier', async () => {
      const t = await f.create(AGENT, {
        requesterId: ids['uma@umbrella.example'],
        workflowKey: 'saas-fast',
        priority: 'CRITICAL',
      });
      const created = Date.now();
      const until = created + 4000;
      while (Date.now() < until && (await f.get(AGENT, t.id))!.tier === 1) await sleep(50);
      const ticket = await f.get(AGENT, t.id);
      expect(ticket!.tier).toBe(2);
      const log = ticket!.events;
      const warning = log.find((e) => e.type === 'SLA_WARNING')!;
      const breach = log.find((e) => e.type === 'SLA_BREACHED')!;
      expect(warning.payload).toMatchObject({ kind: 'FIRST_RESPONSE', percent: 50 });
      expect(breach.payload).toMatchObject({ kind: 'FIRST_RESPONSE' });
      expect(log.find((e) => e.type === 'TICKET_ESCALATED')).toMatchObject({
        actorKind: 'SYSTEM',
        payload: { fromTier: 1, toTier: 2 },
      });
      // Fired at the moment: the breach was committed within a second of its due time.
      const [row] = await s.sql<{ occurred_at: Date }>(
        "select occurred_at from ticket_event where ticket_id = $1 and type = 'SLA_BREACHED'",
        [uuidOf(t.id)],
      );
      const due = Date.parse(String(breach.payload.breachedAt));
      expect(row!.occurred_at.getTime() - due).toBeLessThan(1000);
    });

    it('a pause moves the breach job; the resume puts it back, later by the pause', async () => {
      const t = await f.create(AGENT, {
        requesterId: ids['uma@umbrella.example'],
        workflowKey: 'saas-fast',
        priority: 'CRITICAL',
      });
      const uuid = uuidOf(t.id);
      await f.comment(AGENT, { ticketId: t.id, body: 'Looking', status: 'in_progress' });
      const job = async () =>
        (
          await s.sql<{ next_run_at: Date | null }>(
            "select next_run_at from agenda_jobs where name = 'sla-breach' and data->>'ticketId' = $1",
            [uuid],
          )
        )[0]?.next_run_at ?? null;
      const first = await job();
      expect(first).not.toBeNull();
      await f.move(AGENT, t.id, 'awaiting_customer');
      expect(await job()).toBeNull(); // paused: nothing is due
      await sleep(700);
      await f.comment('uma@umbrella.example', { ticketId: t.id, body: 'Here you go' });
      const resumed = await job();
      expect(resumed).not.toBeNull();
      expect(resumed!.getTime() - first!.getTime()).toBeGreaterThanOrEqual(650);
    });
  });

  it('a lost job store: the sweep restores every outcome', async () => {
    const t = await open('rita@acme.example', 'agency', 'Lost jobs');
    await f.comment(AGENT, { ticketId: t.id, body: 'Which page?', status: 'pending' });
    const uuid = uuidOf(t.id);
    await s.sql("delete from agenda_jobs where data->>'ticketId' = $1", [uuid]);
    await sleep(1700); // every timer of the ticket is overdue now
    expect(await f.status(AGENT, t.id)).toBe('pending');
    await s.scheduler!.sweep();
    expect(await f.status(AGENT, t.id)).toBe('closed');
    expect(await reminders(t.id)).toEqual([1, 1]);
    await s.scheduler!.sweep(); // idempotent: nothing more happens
    expect(await reminders(t.id)).toEqual([1, 1]);
  });
});
