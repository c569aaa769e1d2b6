import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { PRESETS } from '../src/workflow/presets/index.js';
import {
  ApplySlaPolicyDocument,
  CreateSlaPolicyDocument,
  CreateWorkflowDocument,
  EscalateTicketDocument,
  PreviewSlaPolicyDocument,
  TicketSlaDocument,
  TransitionTicketDocument,
  UpdateSlaPolicyDocument,
  UpdateTicketDocument,
  ViewerDocument,
  type CreateSlaPolicyInput,
  type Priority,
  type SlaTargetInput,
  type WorkflowDefinitionInput,
} from './generated/graphql.js';
import { flows } from './support/flows.js';
import { gid, ManualClock, startTestServer, type TestServer } from './support/harness.js';

/**
 * Issue 12, item 5: rule faults found by replaying help-desk scenarios through the API. The server's
 * clock is set by the test; the real scheduler's sweep (the path that fires a breach nobody else
 * noticed) is run by hand at the instants the test chooses.
 */
const AGENT = 'alice@docket.local';
const ADMIN = 'admin@docket.local';
const UMA = 'uma@umbrella.example'; // Umbrella Cloud (saas, seed 003)
const SOFIA = 'sofia@globex.example'; // Globex Marketplace (seed 001)

describe('rule faults (issue 12)', () => {
  const clock = new ManualClock(new Date('2026-12-07T10:00:00Z')); // a Monday, in business hours
  let s: TestServer;
  let f: ReturnType<typeof flows>;
  const ids: Record<string, string> = {};
  const later = (ms: number) => clock.set(new Date(clock.now().getTime() + ms));

  beforeAll(async () => {
    s = await startTestServer({ clock, scheduler: 'schedule' });
    f = flows(s);
    for (const email of [UMA, SOFIA, 'carol@docket.local', 'dave@docket.local'])
      ids[email] = (await s.gql(ViewerDocument, {}, await f.token(email))).data!.viewer!.id;
  });
  afterAll(() => s.close());

  /** A copy of a preset under its own key, so the policies a test adds touch only its tickets. */
  const workflow = async (preset: string, key: string) => {
    const p = PRESETS.find((x) => x.key === preset)!;
    const res = await s.gql(
      CreateWorkflowDocument,
      { input: { key, name: key, isDefault: false, definition: p.definition as WorkflowDefinitionInput } },
      await f.token(ADMIN),
    );
    expect(res.data!.createWorkflow.errors).toEqual([]);
    return key;
  };
  const target = (t: Partial<SlaTargetInput> & Pick<SlaTargetInput, 'kind' | 'within'>): SlaTargetInput => ({
    clock: 'ALWAYS',
    warnAtPercent: [],
    pausedIn: [],
    onBreach: 'NONE',
    ...t,
  });
  const policy = async (input: Omit<CreateSlaPolicyInput, 'name'>) => {
    const res = await s.gql(
      CreateSlaPolicyDocument,
      { input: { name: input.key, ...input } },
      await f.token(ADMIN),
    );
    expect(res.data!.createSlaPolicy.errors).toEqual([]);
  };
  const forPriority = (wf: string, priority: Priority, position: number, targets: SlaTargetInput[]) =>
    policy({
      key: `${wf}-${priority.toLowerCase()}`,
      position,
      definition: {
        conditions: { workflows: [wf], priorities: [priority] },
        calendarKey: 'always-open',
        targets,
      },
    });
  const open = (wf: string, priority: Priority, requester = UMA) =>
    f.create(AGENT, { requesterId: ids[requester], workflowKey: wf, priority });
  const setPriority = async (id: string, priority: Priority) => {
    const res = await s.gql(
      UpdateTicketDocument,
      { input: { ticketId: id, priority } },
      await f.token(AGENT),
    );
    expect(res.data!.updateTicket.errors).toEqual([]);
  };
  const events = async (id: string, type: string) =>
    (await f.get(AGENT, id))!.events.filter((e) => e.type === type);
  const sla = async (id: string) =>
    (await s.gql(TicketSlaDocument, { id }, await f.token(AGENT))).data!.ticket!.sla;

  describe('automatic assignment stays within the ticket’s tier (and team)', () => {
    it('001: a seller whose earlier tickets went to Carol (tier 2) gets a tier-1 agent on a new tier-1 ticket', async () => {
      for (let i = 0; i < 2; i++) {
        const t = await f.create(SOFIA, { subject: 'Payment missing', description: 'Order 77' });
        const esc = await s.gql(
          EscalateTicketDocument,
          { input: { ticketId: t.id, reason: 'Payments team' } },
          await f.token(AGENT),
        );
        expect(esc.data!.escalateTicket.ticket!.assignee!.name).toBe('Carol Tier2');
      }
      const fresh = await f.create(SOFIA, { subject: 'Another payment', description: 'Order 78' });
      expect(fresh.tier).toBe(1);
      expect(['Alice Tier1', 'Bob Tier1']).toContain(fresh.assignee!.name);
    });

    it('003: the same with Dave (tier 3)', async () => {
      for (let i = 0; i < 3; i++) {
        const t = await f.create(AGENT, { requesterId: ids[UMA], workflowKey: 'saas', subject: 'Data loss' });
        await s.gql(
          EscalateTicketDocument,
          { input: { ticketId: t.id, toTier: 3, reason: 'Engineering' } },
          await f.token(AGENT),
        );
        expect((await f.get(AGENT, t.id))!.assignee!.name).toBe('Dave Tier3');
      }
      const fresh = await f.create(UMA, { subject: 'A question', description: 'How do I log in?' });
      expect(fresh.tier).toBe(1);
      expect(['Alice Tier1', 'Bob Tier1']).toContain(fresh.assignee!.name);
    });

    it('a ticket with a team goes to a member of that team in its tier', async () => {
      const teams = await s.sql<{ id: string; key: string }>('select id, key from team');
      const frontline = teams.find((t) => t.key === 'frontline')!.id;
      // Bob joins no team; a new tier-1 agent does not serve the frontline team either.
      await s.sql('delete from team_member where user_id = (select id from app_user where email = $1)', [
        'bob@docket.local',
      ]);
      const t = await f.create(AGENT, {
        requesterId: ids[UMA],
        workflowKey: 'saas',
        teamId: gid('Team', frontline),
      });
      expect(t.assignee!.name).toBe('Alice Tier1');
    });
  });

  it('a breach is recorded and acted on once per target and cycle, whatever the policy changes in between', async () => {
    const wf = await workflow('saas', 'faults-twice');
    await forPriority(wf, 'HIGH', 1, [
      target({ kind: 'FIRST_RESPONSE', within: 'PT3S', onBreach: 'RAISE_TIER' }),
    ]);
    await forPriority(wf, 'MEDIUM', 2, [target({ kind: 'FIRST_RESPONSE', within: 'PT1H' })]);
    const t = await open(wf, 'HIGH');
    later(4000);
    await s.scheduler!.sweep();
    expect((await f.get(AGENT, t.id))!.tier).toBe(2);
    const [first] = await events(t.id, 'SLA_BREACHED');
    await setPriority(t.id, 'MEDIUM');
    await setPriority(t.id, 'HIGH');
    await s.scheduler!.sweep();
    const breaches = await events(t.id, 'SLA_BREACHED');
    expect(breaches).toHaveLength(1);
    expect(breaches[0]!.payload).toEqual(first!.payload);
    expect(await events(t.id, 'TICKET_ESCALATED')).toHaveLength(1);
    expect((await f.get(AGENT, t.id))!.tier).toBe(2);
  });

  describe('a breach action never acts on a resolved or closed ticket; the breach is still recorded', () => {
    it('a priority change on a resolved ticket finds a breach: recorded, but no escalation', async () => {
      const wf = await workflow('saas', 'faults-resolved');
      await forPriority(wf, 'LOW', 1, [target({ kind: 'FIRST_RESPONSE', within: 'PT1H' })]);
      await forPriority(wf, 'CRITICAL', 2, [
        target({ kind: 'FIRST_RESPONSE', within: 'PT2S', onBreach: 'RAISE_TIER' }),
      ]);
      const t = await open(wf, 'LOW');
      later(3000);
      await f.move(AGENT, t.id, 'resolved');
      await setPriority(t.id, 'CRITICAL');
      await s.scheduler!.sweep();
      expect(await events(t.id, 'SLA_BREACHED')).toHaveLength(1);
      const after = await f.get(AGENT, t.id);
      expect(after).toMatchObject({ tier: 1, status: { key: 'resolved' }, assignee: { id: t.assignee!.id } });
      expect(await events(t.id, 'TICKET_ESCALATED')).toEqual([]);
    });

    it('a late reply that also resolves: recorded, but no escalation, team move or priority raise', async () => {
      const wf = await workflow('saas', 'faults-late');
      await forPriority(wf, 'HIGH', 1, [
        target({ kind: 'FIRST_RESPONSE', within: 'PT2S', onBreach: 'RAISE_TIER' }),
        target({
          kind: 'PERIODIC_UPDATE',
          within: 'PT2S',
          onBreach: 'MOVE_TO_TEAM',
          breachTeamKey: 'technical',
        }),
        target({ kind: 'RESOLUTION', within: 'PT2S', onBreach: 'RAISE_PRIORITY' }),
      ]);
      const t = await open(wf, 'HIGH');
      later(3000);
      await f.comment(AGENT, { ticketId: t.id, body: 'Fixed, sorry for the wait', status: 'resolved' });
      expect((await events(t.id, 'SLA_BREACHED')).map((e) => e.payload.kind).sort()).toEqual([
        'FIRST_RESPONSE',
        'PERIODIC_UPDATE',
        'RESOLUTION',
      ]);
      const after = await f.get(AGENT, t.id);
      expect(after).toMatchObject({ tier: 1, priority: 'HIGH', team: null, status: { key: 'resolved' } });
      expect(await events(t.id, 'TICKET_ESCALATED')).toEqual([]);
      expect(await events(t.id, 'TICKET_UPDATED')).toEqual([]);
    });
  });

  it('an automatic priority raise chooses the policy again, once per breach (no cascade)', async () => {
    const wf = await workflow('saas', 'faults-raise');
    await s.gql(
      CreateSlaPolicyDocument,
      {
        input: {
          key: `${wf}-low`,
          name: 'low',
          position: 1,
          definition: {
            conditions: { workflows: [wf], priorities: ['LOW'] },
            calendarKey: 'business-hours',
            targets: [
              target({ kind: 'FIRST_RESPONSE', within: 'PT2S', onBreach: 'RAISE_PRIORITY' }),
              target({ kind: 'RESOLUTION', within: 'P3D', clock: 'BUSINESS' }),
            ],
          },
        },
      },
      await f.token(ADMIN),
    );
    await s.gql(
      CreateSlaPolicyDocument,
      {
        input: {
          key: `${wf}-medium`,
          name: 'medium',
          position: 2,
          definition: {
            conditions: { workflows: [wf], priorities: ['MEDIUM'] },
            calendarKey: 'business-hours',
            // Already breached when the raise chooses it: the same target and cycle, not a new breach.
            targets: [
              target({ kind: 'FIRST_RESPONSE', within: 'PT1S', onBreach: 'RAISE_PRIORITY' }),
              target({ kind: 'RESOLUTION', within: 'P1D', clock: 'BUSINESS' }),
            ],
          },
        },
      },
      await f.token(ADMIN),
    );
    const t = await open(wf, 'LOW');
    later(3000);
    await s.scheduler!.sweep();
    await s.scheduler!.sweep();
    const after = await f.get(AGENT, t.id);
    expect(after!.priority).toBe('MEDIUM'); // raised once, not on to HIGH
    const now = await sla(t.id);
    expect(now!.policy).toMatchObject({ key: `${wf}-medium` });
    expect(now!.targets.find((x) => x.kind === 'RESOLUTION')!.targetSeconds).toBe(9 * 3600);
    expect(await events(t.id, 'SLA_BREACHED')).toHaveLength(1);
    expect((await events(t.id, 'SLA_POLICY_APPLIED')).map((e) => e.payload.policy)).toEqual([
      `${wf}-low`,
      `${wf}-medium`,
    ]);
  });

  it('001: only the timers (and admins, with a reason) reach Closed on the marketplace', async () => {
    const t = await f.create(SOFIA, { subject: 'Booking question', description: 'Where is my voucher?' });
    await f.move(AGENT, t.id, 'l1_in_progress');
    const resolved = await f.move(AGENT, t.id, 'resolved');
    expect(resolved.allowedTransitions.map((m) => m.to.key)).not.toContain('closed');
    const byAgent = await s.gql(
      TransitionTicketDocument,
      { input: { ticketId: t.id, to: 'closed', expectedVersion: resolved.version, reason: 'Done' } },
      await f.token(AGENT),
    );
    expect(byAgent.data!.transitionTicket.errors).toMatchObject([{ code: 'TRANSITION_NOT_ALLOWED' }]);
    const noReason = await s.gql(
      TransitionTicketDocument,
      { input: { ticketId: t.id, to: 'closed', expectedVersion: resolved.version } },
      await f.token(ADMIN),
    );
    expect(noReason.data!.transitionTicket.errors).toMatchObject([{ code: 'REASON_REQUIRED' }]);
    await f.move(ADMIN, t.id, 'closed', 'Duplicate of another ticket');
    // The timer path: Resolved for 7 days closes.
    const timed = await f.create(SOFIA, { subject: 'Login trouble', description: 'Cannot log in' });
    await f.move(AGENT, timed.id, 'l1_in_progress');
    await f.move(AGENT, timed.id, 'resolved');
    later(7 * 86_400_000 + 1000);
    await s.scheduler!.sweep();
    expect(await f.status(AGENT, timed.id)).toBe('closed');
  });

  it('a deactivated policy: admins preview and move its open tickets onto the policy that matches now', async () => {
    const wf = await workflow('saas', 'faults-withdrawn');
    await policy({
      key: `${wf}-old`,
      position: 1,
      definition: {
        conditions: { workflows: [wf] },
        calendarKey: 'always-open',
        targets: [target({ kind: 'FIRST_RESPONSE', within: 'PT1H' })],
      },
    });
    const t = await open(wf, 'MEDIUM');
    const resolved = await open(wf, 'MEDIUM');
    await f.move(AGENT, resolved.id, 'resolved');
    const admin = await f.token(ADMIN);
    const off = await s.gql(UpdateSlaPolicyDocument, { input: { key: `${wf}-old`, active: false } }, admin);
    expect(off.data!.updateSlaPolicy.errors).toEqual([]);
    await policy({
      key: `${wf}-new`,
      position: 2,
      definition: {
        conditions: { workflows: [wf] },
        calendarKey: 'always-open',
        targets: [
          target({ kind: 'FIRST_RESPONSE', within: 'PT4H' }),
          target({ kind: 'RESOLUTION', within: 'P1D' }),
        ],
      },
    });
    const created = clock.now().getTime();
    const preview = await s.gql(PreviewSlaPolicyDocument, { key: `${wf}-old` }, admin);
    expect(preview.errors).toBeUndefined();
    expect(preview.data!.previewSlaPolicy.map((r) => [r.ticket.id, r.kind, r.newDueAt, r.newPolicy])).toEqual(
      [
        [
          t.id,
          'FIRST_RESPONSE',
          new Date(created + 4 * 3600_000).toISOString(),
          { key: `${wf}-new`, version: 1 },
        ],
        [t.id, 'RESOLUTION', new Date(created + 86_400_000).toISOString(), { key: `${wf}-new`, version: 1 }],
      ],
    );
    expect((await sla(t.id))!.policy.key).toBe(`${wf}-old`); // a dry run
    const applied = await s.gql(ApplySlaPolicyDocument, { key: `${wf}-old` }, admin);
    expect(applied.data!.applySlaPolicy).toMatchObject({ tickets: 1, errors: [] });
    expect((await sla(t.id))!.policy.key).toBe(`${wf}-new`);
    expect((await events(t.id, 'SLA_POLICY_APPLIED')).at(-1)!.payload).toEqual({
      policy: `${wf}-new`,
      version: 1,
      explicit: true,
    });
    expect((await sla(resolved.id))!.policy.key).toBe(`${wf}-old`); // resolved tickets keep theirs
    expect(
      (await s.gql(ApplySlaPolicyDocument, { key: `${wf}-old` }, admin)).data!.applySlaPolicy.tickets,
    ).toBe(0);
  });
});
