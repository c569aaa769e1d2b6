import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  AssignTicketDocument,
  CreateTicketDocument,
  CreateWorkflowDocument,
  type WorkflowDefinitionInput,
  SetOrganizationLeadAgentDocument,
  SlaCycleMetricsDocument,
  TicketSlaCyclesDocument,
  ViewerDocument,
  ViewerOrganizationDocument,
  type SlaTargetKind,
} from './generated/graphql.js';
import { PRESETS } from '../src/workflow/presets/index.js';
import { flows } from './support/flows.js';
import { ManualClock, startTestServer, type TestServer } from './support/harness.js';

/**
 * Issue 16: the seed sentences that could not be expressed as data, each through the API on the
 * shipped presets. The server's clock is set by the test (the shipped calendar is 09:00–18:00 UTC,
 * Monday to Friday; 2026-12-07 is a Monday); the scheduler's sweep runs at the instants the test picks.
 */
const AGENT = 'alice@docket.local';
const IVAN = 'ivan@initech.example'; // Initech: Premium plan (27 business hours), managed-service (seed 000)

describe('seed sentences as data (issue 16)', () => {
  const clock = new ManualClock(new Date('2026-12-07T08:00:00Z'));
  let s: TestServer;
  let f: ReturnType<typeof flows>;
  const at = (iso: string) => clock.set(new Date(iso));

  beforeAll(async () => {
    s = await startTestServer({ clock, scheduler: 'schedule' });
    f = flows(s);
  });
  afterAll(() => s.close());

  const targets = async (id: string) => {
    const res = await s.gql(TicketSlaCyclesDocument, { id }, await f.token(AGENT));
    expect(res.errors).toBeUndefined();
    return res.data!.ticket!.sla!.targets;
  };
  const target = async (id: string, kind: SlaTargetKind) => (await targets(id)).find((t) => t.kind === kind)!;
  const va = (id: string) => target(id, 'FIRST_RESPONSE');
  const ops = (id: string) => target(id, 'NEXT_RESPONSE');
  const events = async (id: string, type: string) =>
    (await f.get(AGENT, id))!.events.filter((e) => e.type === type).map((e) => e.payload);

  describe('seed 000: two clocks', () => {
    it('both clocks are named on the Premium policy; the Operations clock waits for In progress', async () => {
      at('2026-12-07T10:00:00Z');
      const t = await f.create(IVAN, { subject: 'List our products' });
      expect((await targets(t.id)).map((x) => [x.kind, x.name, x.state, x.cycle])).toEqual([
        ['FIRST_RESPONSE', 'Virtual Assistant response time', 'ACTIVE', 1],
        ['NEXT_RESPONSE', 'Operations response time', 'INACTIVE', 0],
      ]);
    });

    it('"the start of virtual assistant response time" is the ticket’s creation; it ends "When the task ticket transfer from Open to In Progress"; the Operations clock "will start when support team transfer the ticket to In Progress"', async () => {
      at('2026-12-07T10:00:00Z');
      const t = await f.create(IVAN, { subject: 'Set up the shop' });
      at('2026-12-07T12:00:00Z');
      await f.move(AGENT, t.id, 'in_progress');
      expect(await va(t.id)).toMatchObject({
        state: 'ACHIEVED',
        startedAt: '2026-12-07T10:00:00.000Z',
        achievedAt: '2026-12-07T12:00:00.000Z',
        elapsedSeconds: 7200,
      });
      // 27 business hours from Monday 12:00: 6 + 9 + 9 + 3, Thursday 12:00.
      expect(await ops(t.id)).toMatchObject({
        state: 'ACTIVE',
        cycle: 1,
        startedAt: '2026-12-07T12:00:00.000Z',
        dueAt: '2026-12-10T12:00:00.000Z',
      });
    });

    it('the Operations clock ends "When the task ticket transfer from In progress to Open"; each entry into In progress starts a new cycle, measured, warned and breached on its own', async () => {
      at('2026-12-07T10:00:01Z');
      const t = await f.create(IVAN, { subject: 'Import the catalogue' });
      at('2026-12-07T12:00:00Z');
      await f.move(AGENT, t.id, 'in_progress');
      at('2026-12-07T15:00:00Z');
      await f.move(AGENT, t.id, 'open');
      expect(await ops(t.id)).toMatchObject({
        state: 'ACHIEVED',
        cycle: 1,
        achievedAt: '2026-12-07T15:00:00.000Z',
      });
      expect(await va(t.id)).toMatchObject({ state: 'ACHIEVED', achievedAt: '2026-12-07T12:00:00.000Z' });

      at('2026-12-08T10:00:00Z');
      await f.move(AGENT, t.id, 'in_progress');
      // A fresh 27 business hours: Tuesday 8 + Wednesday 9 + Thursday 9 + Friday 1, Friday 10:00.
      const second = await ops(t.id);
      expect(second).toMatchObject({ state: 'ACTIVE', cycle: 2, dueAt: '2026-12-11T10:00:00.000Z' });
      expect(second.nextWarningAt).toBe('2026-12-10T12:15:00.000Z'); // 75 %: 20.25 business hours

      at('2026-12-10T12:20:00Z');
      await s.scheduler!.sweep();
      expect((await events(t.id, 'SLA_WARNING')).filter((p) => p.kind === 'NEXT_RESPONSE')).toEqual([
        expect.objectContaining({ cycle: 2, percent: 75 }),
      ]);
      at('2026-12-11T12:00:00Z');
      await s.scheduler!.sweep(); // the breach, at Friday 10:00
      expect((await events(t.id, 'SLA_BREACHED')).filter((p) => p.kind === 'NEXT_RESPONSE')).toEqual([
        { kind: 'NEXT_RESPONSE', cycle: 2, breachedAt: '2026-12-11T10:00:00.000Z' },
      ]);
      // Entering a wait ends the cycle (late); the next entry into In progress starts a third.
      await f.move(AGENT, t.id, 'awaiting_client');
      at('2026-12-14T09:00:00Z');
      await f.comment(IVAN, { ticketId: t.id, body: 'Here is the file' });
      expect(await f.status(AGENT, t.id)).toBe('client_responded');
      expect((await ops(t.id)).cycle).toBe(2); // Client responded is not In progress
      await f.move(AGENT, t.id, 'in_progress');
      const third = await ops(t.id);
      expect(third).toMatchObject({ state: 'ACTIVE', cycle: 3, startedAt: '2026-12-14T09:00:00.000Z' });
      expect(third.explain.cycles).toEqual([
        {
          number: 1,
          start: '2026-12-07T12:00:00.000Z',
          end: '2026-12-07T15:00:00.000Z',
          state: 'ACHIEVED',
          elapsedSeconds: 3 * 3600,
          breachedAt: null,
        },
        {
          number: 2,
          start: '2026-12-08T10:00:00.000Z',
          end: '2026-12-11T12:00:00.000Z',
          state: 'BREACHED',
          elapsedSeconds: 29 * 3600, // Tuesday 8, Wednesday 9, Thursday 9, Friday 3
          breachedAt: '2026-12-11T10:00:00.000Z',
        },
        {
          number: 3,
          start: '2026-12-14T09:00:00.000Z',
          end: null,
          state: 'ACTIVE',
          elapsedSeconds: 0,
          breachedAt: null,
        },
      ]);
      // Metrics count cycles: this ticket alone was created at 10:00:01.
      const metrics = await s.gql(
        SlaCycleMetricsDocument,
        { filter: { from: '2026-12-07T10:00:01Z', to: '2026-12-07T10:00:02Z' } },
        await f.token(AGENT),
      );
      expect(metrics.data!.slaMetrics[0]!.targets.find((x) => x.kind === 'NEXT_RESPONSE')).toEqual({
        kind: 'NEXT_RESPONSE',
        met: 0,
        breached: 1,
        cycles: 3,
        breachedCycles: 1,
      });
    });

    it('the Virtual Assistant clock ends "When the task ticket is Awaiting for Client or Marketplace Platform reply", "When the task ticket cancelled by the client", and stays ended through the 15-day automatic end', async () => {
      at('2026-12-07T10:00:00Z');
      const platform = await f.create(IVAN, { subject: 'Publish the listing' });
      const cancelled = await f.create(IVAN, { subject: 'Not needed any more' });
      const silent = await f.create(IVAN, { subject: 'Logo' });
      at('2026-12-07T11:00:00Z');
      await f.move(AGENT, platform.id, 'awaiting_platform');
      await f.move(IVAN, cancelled.id, 'cancelled', 'We found another way');
      await f.move(AGENT, silent.id, 'awaiting_client');
      for (const t of [platform, cancelled, silent])
        expect(await va(t.id)).toMatchObject({ state: 'ACHIEVED', achievedAt: '2026-12-07T11:00:00.000Z' });
      at('2026-12-22T11:00:01Z'); // 15 days without a client response
      await s.scheduler!.sweep();
      expect(await f.status(AGENT, silent.id)).toBe('cancelled');
      expect(await va(silent.id)).toMatchObject({
        state: 'ACHIEVED',
        cycle: 1,
        achievedAt: '2026-12-07T11:00:00.000Z',
      });
      expect(await ops(silent.id)).toMatchObject({ state: 'INACTIVE', cycle: 0 });
    });

    it('the Operations clock ends "When the task ticket cancelled by the client" and "When the task ticket is Awaiting for Client or Platform reply"', async () => {
      at('2026-12-07T10:00:00Z');
      const cancelled = await f.create(IVAN, { subject: 'Stop please' });
      const waiting = await f.create(IVAN, { subject: 'Need the credentials' });
      at('2026-12-07T11:00:00Z');
      await f.move(AGENT, cancelled.id, 'in_progress');
      await f.move(AGENT, waiting.id, 'in_progress');
      at('2026-12-07T13:00:00Z');
      await f.move(IVAN, cancelled.id, 'cancelled', 'Changed our mind');
      await f.move(AGENT, waiting.id, 'awaiting_platform');
      for (const t of [cancelled, waiting])
        expect(await ops(t.id)).toMatchObject({
          state: 'ACHIEVED',
          cycle: 1,
          achievedAt: '2026-12-07T13:00:00.000Z',
          elapsedSeconds: 7200,
        });
    });
  });

  describe('seed 002: "Project communications will almost always be handled by the lead agent on your project"', () => {
    const RITA = 'rita@acme.example'; // Acme Agency Clients (agency workflow)
    const setLead = async (organizationId: string, leadAgentId: string | null, as = 'admin@docket.local') =>
      (
        await s.gql(
          SetOrganizationLeadAgentDocument,
          { input: { organizationId, leadAgentId } },
          await f.token(as),
        )
      ).data!.setOrganizationLeadAgent;
    const id = async (email: string) =>
      (await s.gql(ViewerDocument, {}, await f.token(email))).data!.viewer!.id;
    const acme = async () =>
      (await s.gql(ViewerOrganizationDocument, {}, await f.token(RITA))).data!.viewer!.organization!.id;

    it('admins name an organization’s lead agent: an agent, and only admins', async () => {
      const org = await acme();
      expect((await setLead(org, await id(RITA))).errors).toMatchObject([
        { code: 'INVALID_INPUT', field: 'leadAgentId' },
      ]);
      expect((await setLead(org, await id('bob@docket.local'), AGENT)).errors).toMatchObject([
        { code: 'NOT_PERMITTED' },
      ]);
      const ok = await setLead(org, await id('bob@docket.local'));
      expect(ok).toMatchObject({ errors: [], organization: { leadAgent: { name: 'Bob Tier1' } } });
      // The requester sees who leads their projects.
      expect(
        (await s.gql(ViewerOrganizationDocument, {}, await f.token(RITA))).data!.viewer!.organization,
      ).toMatchObject({ leadAgent: { name: 'Bob Tier1' } });
    });

    it('a project communication goes to the lead agent; other categories to the agent the client mostly worked with', async () => {
      const org = await acme();
      await setLead(org, await id('bob@docket.local'));
      // Make Alice the agent Rita has mostly worked with, whoever the demo data gave her tickets to.
      for (let i = 0; i < 4; i++) {
        const q = await f.create(RITA, { subject: 'Where is the invoice?', description: 'Which page?' });
        const res = await s.gql(
          AssignTicketDocument,
          { input: { ticketId: q.id, assigneeId: await id(AGENT) } },
          await f.token(AGENT),
        );
        expect(res.data!.assignTicket.errors).toEqual([]);
      }
      const project = await f.create(RITA, {
        subject: 'Milestone review for the launch',
        description: 'Can we walk through the deliverables?',
      });
      expect(project).toMatchObject({ category: 'project communication', assignee: { name: 'Bob Tier1' } });
      const question = await f.create(RITA, {
        subject: 'How do I reset my password?',
        description: 'Thanks',
      });
      expect(question).toMatchObject({ category: 'question', assignee: { name: 'Alice Tier1' } });
    });

    it('each step stays within the ticket’s tier: a tier-2 lead agent is skipped for a tier-1 ticket', async () => {
      const org = await acme();
      await setLead(org, await id('carol@docket.local'));
      const project = await f.create(RITA, { subject: 'Project kickoff', description: 'New project' });
      expect(project.tier).toBe(1);
      expect(project.assignee!.name).toBe('Alice Tier1'); // the familiar agent, the next step
      await setLead(org, null);
    });
  });

  describe('seed 003: channel hours', () => {
    const UMA = 'uma@umbrella.example'; // Umbrella Cloud: saas workflow
    const SATURDAY = '2026-12-12T10:00:00Z';
    const MONDAY_OPEN = '2026-12-14T09:00:00.000Z';
    const open = async (as: string, input: Record<string, unknown>) =>
      (
        await s.gql(
          CreateTicketDocument,
          {
            input: {
              subject: 'Help',
              description: 'Something is wrong',
              channel: 'PORTAL',
              ...input,
            } as never,
          },
          await f.token(as),
        )
      ).data!.createTicket;
    const count = async () => Number((await s.sql<{ n: string }>('select count(*) as n from ticket'))[0]!.n);

    it('"Live Chat: Available during business hours": outside them a chat is refused with when it opens, and nothing is written', async () => {
      at(SATURDAY);
      const before = await count();
      const chat = await open(UMA, { channel: 'CHAT' });
      expect(chat.ticket).toBeNull();
      expect(chat.errors).toEqual([
        expect.objectContaining({
          __typename: 'ChannelClosedUserError',
          code: 'CHANNEL_CLOSED',
          channel: 'CHAT',
          opensAt: MONDAY_OPEN,
          field: 'channel',
        }),
      ]);
      expect(chat.errors[0]!.message).toContain(MONDAY_OPEN);
      expect(await count()).toBe(before);
      at('2026-12-14T10:00:00Z');
      expect((await open(UMA, { channel: 'CHAT' })).errors).toEqual([]);
    });

    it('"Support is available 24/7 for critical issues": the phone takes CRITICAL at any hour, other priorities in business hours', async () => {
      at(SATURDAY);
      expect((await open(UMA, { channel: 'PHONE', priority: 'HIGH' })).errors).toMatchObject([
        { code: 'CHANNEL_CLOSED', opensAt: MONDAY_OPEN },
      ]);
      const critical = await open(UMA, { channel: 'PHONE', priority: 'CRITICAL', subject: 'Outage' });
      expect(critical.errors).toEqual([]);
      expect(critical.ticket!.assignee).not.toBeNull();
      // Email and the ticket system take tickets at any hour; staff log a call whenever it comes.
      expect((await open(UMA, { channel: 'EMAIL' })).errors).toEqual([]);
      expect((await open(UMA, { channel: 'PORTAL' })).errors).toEqual([]);
      const uma = (await s.gql(ViewerDocument, {}, await f.token(UMA))).data!.viewer!.id;
      expect((await open(AGENT, { channel: 'PHONE', requesterId: uma })).errors).toEqual([]);
    });

    it('a workflow may accept and queue instead: unassigned until the channel opens, and said so in the log', async () => {
      const saas = PRESETS.find((p) => p.key === 'saas')!.definition;
      const admin = await f.token('admin@docket.local');
      const bad = await s.gql(
        CreateWorkflowDocument,
        {
          input: {
            key: 'saas-typo',
            name: 'typo',
            isDefault: false,
            definition: {
              ...saas,
              channelHours: [{ channels: ['CHAT'], calendarKey: 'nope', outsideHours: 'QUEUE' }],
            } as WorkflowDefinitionInput,
          },
        },
        admin,
      );
      expect(bad.data!.createWorkflow.errors).toMatchObject([
        { code: 'INVALID_INPUT', field: 'definition.channelHours[0].calendarKey' },
      ]);
      const created = await s.gql(
        CreateWorkflowDocument,
        {
          input: {
            key: 'saas-queue',
            name: 'SaaS, chats queued',
            isDefault: false,
            definition: {
              ...saas,
              channelHours: [{ channels: ['CHAT'], calendarKey: 'business-hours', outsideHours: 'QUEUE' }],
            } as WorkflowDefinitionInput,
          },
        },
        admin,
      );
      expect(created.data!.createWorkflow.errors).toEqual([]);
      await s.sql("update organization set workflow_key = 'saas-queue' where name = 'Umbrella Cloud'");
      try {
        at(SATURDAY);
        const queued = await open(UMA, { channel: 'CHAT' });
        expect(queued.errors).toEqual([]);
        expect(queued.ticket!.assignee).toBeNull();
        const log = (await f.get(AGENT, queued.ticket!.id))!.events;
        expect(log.find((e) => e.type === 'TICKET_CREATED')!.payload).toMatchObject({
          queuedUntil: MONDAY_OPEN,
        });
        expect(log.map((e) => e.type)).not.toContain('TICKET_ASSIGNED');
      } finally {
        await s.sql("update organization set workflow_key = 'saas' where name = 'Umbrella Cloud'");
      }
    });
  });
});
