import type { EntityManager } from '@mikro-orm/postgresql';
import { actorKindOf, type Actor } from '../access/actor.js';
import { Organization } from '../directory/organization.entity.js';
import { Plan } from '../directory/plan.entity.js';
import { Team } from '../directory/team.entity.js';
import { User } from '../directory/user.entity.js';
import type { Clock } from '../shared/clock.js';
import { Channel, Priority, Role } from '../shared/enums.js';
import type { UseCaseContext } from '../shared/use-case.js';
import { addComment } from '../ticket/add-comment.js';
import { escalateTicket, transitionTicket } from '../ticket/change-ticket.js';
import { createTicket } from '../ticket/create-ticket.js';
import { Ticket } from '../ticket/ticket.entity.js';
import { PRESETS } from '../workflow/presets/index.js';
import { Workflow, WorkflowVersion } from '../workflow/workflow.entity.js';
import { loadSlaPresets } from '../sla/load-sla-presets.js';

/** The preset a fresh installation uses when an organization names none (seed 002's agency desk). */
export const DEFAULT_WORKFLOW_KEY = 'agency';

/** Loads the five workflow presets, the shipped calendars and SLA policies (those missing). Idempotent. */
export async function loadPresets(em: EntityManager, clock: Clock): Promise<void> {
  await loadSlaPresets(em, clock);
  const hasDefault = (await em.count(Workflow, { isDefault: true })) > 0;
  for (const preset of PRESETS) {
    if (await em.findOne(Workflow, { key: preset.key })) continue;
    const workflow = em.create(Workflow, {
      key: preset.key,
      name: preset.name,
      description: preset.description,
      isDefault: !hasDefault && preset.key === DEFAULT_WORKFLOW_KEY,
      currentVersion: 1,
      createdAt: clock.now(),
      updatedAt: clock.now(),
    });
    em.create(WorkflowVersion, {
      workflow,
      version: 1,
      definition: preset.definition,
      createdAt: clock.now(),
    });
  }
  await em.flush();
}

export const DEMO_USERS = {
  admin: 'admin@docket.local',
  alice: 'alice@docket.local',
  bob: 'bob@docket.local',
  carol: 'carol@docket.local',
  dave: 'dave@docket.local',
  rita: 'rita@acme.example',
  sam: 'sam@acme.example',
  sofia: 'sofia@globex.example',
  ivan: 'ivan@initech.example',
  uma: 'uma@umbrella.example',
  hana: 'hana@hooli.example',
} as const;

/**
 * Demo data for a new installation: the presets, plans Basic/Pro/Premium, five organizations (one per
 * preset), teams, agents in tiers 1–3, requesters, and sample tickets in several statuses. Idempotent:
 * rows are found by their natural keys, and sample tickets are made only when there are none.
 */
export async function loadDemoData(em: EntityManager, clock: Clock): Promise<{ tickets: number }> {
  await loadPresets(em, clock);
  const plan = async (name: string, defaultPriority: Priority) =>
    (await em.findOne(Plan, { name })) ?? em.create(Plan, { name, defaultPriority });
  const basic = await plan('Basic', Priority.LOW);
  const pro = await plan('Pro', Priority.MEDIUM);
  const premium = await plan('Premium', Priority.HIGH);

  const org = async (name: string, p: Plan, workflowKey: string, domain: string) => {
    const found =
      (await em.findOne(Organization, { name })) ??
      em.create(Organization, { name, plan: p, workflowKey, emailDomains: [domain] });
    // Senders of the domain become requesters of the organization by email (docs/INBOUND.md).
    if (!found.emailDomains.length) found.emailDomains = [domain];
    return found;
  };
  const acme = await org('Acme Agency Clients', pro, 'agency', 'acme.example');
  const globex = await org('Globex Marketplace', basic, 'marketplace', 'globex.example');
  const initech = await org('Initech', premium, 'managed-service', 'initech.example');
  const umbrella = await org('Umbrella Cloud', premium, 'saas', 'umbrella.example');
  const hooli = await org('Hooli Learning', basic, 'knowledge-base', 'hooli.example');

  const team = async (key: string, name: string) =>
    (await em.findOne(Team, { key })) ?? em.create(Team, { key, name });
  const frontline = await team('frontline', 'Frontline (Tier 1)');
  const technical = await team('technical', 'Technical support (Tier 2)');
  const engineering = await team('engineering', 'Specialist engineering (Tier 3)');

  const user = async (
    email: string,
    name: string,
    role: Role,
    extra: Partial<User> = {},
    teams: Team[] = [],
  ) => {
    let u = await em.findOne(User, { email });
    if (!u) {
      u = em.create(User, { email, name, role, available: true, createdAt: clock.now(), ...extra });
      teams.forEach((t) => u!.teams.add(t));
    }
    return u;
  };
  await user(DEMO_USERS.admin, 'Ada Admin', Role.ADMIN);
  const alice = await user(DEMO_USERS.alice, 'Alice Tier1', Role.AGENT, { tier: 1 }, [frontline]);
  await user(DEMO_USERS.bob, 'Bob Tier1', Role.AGENT, { tier: 1 }, [frontline]);
  const carol = await user(DEMO_USERS.carol, 'Carol Tier2', Role.AGENT, { tier: 2 }, [technical]);
  await user(DEMO_USERS.dave, 'Dave Tier3', Role.AGENT, { tier: 3 }, [engineering]);
  const rita = await user(DEMO_USERS.rita, 'Rita Requester', Role.REQUESTER, { organization: acme });
  const sam = await user(DEMO_USERS.sam, 'Sam Requester', Role.REQUESTER, { organization: acme });
  const sofia = await user(DEMO_USERS.sofia, 'Sofia Seller', Role.REQUESTER, { organization: globex });
  const ivan = await user(DEMO_USERS.ivan, 'Ivan Client', Role.REQUESTER, { organization: initech });
  const uma = await user(DEMO_USERS.uma, 'Uma Operator', Role.REQUESTER, { organization: umbrella });
  const hana = await user(DEMO_USERS.hana, 'Hana Learner', Role.REQUESTER, { organization: hooli });
  await em.flush();

  if ((await em.count(Ticket, {})) > 0) return { tickets: 0 };
  await em.transactional((tx) =>
    sampleTickets(tx, clock, { alice, carol, rita, sam, sofia, ivan, uma, hana }),
  );
  return { tickets: await em.count(Ticket, {}) };
}

/** Sample tickets made through the use cases, so their history and events are real. */
async function sampleTickets(em: EntityManager, clock: Clock, people: Record<string, User>): Promise<void> {
  const { alice, carol, rita, sam, sofia, ivan, uma, hana } = people as Record<string, User>;
  const as = (u: User): UseCaseContext => ({
    actor: {
      kind: actorKindOf(u.role),
      userId: u.id,
      organizationId: u.organization?.id,
      tier: u.tier,
    } as Actor,
    em,
    clock,
    visibility: { requestersSeeOrganizationTickets: false },
  });
  const open = (u: User, subject: string, description: string, channel: Channel, priority?: Priority) =>
    createTicket(as(u), { subject, description, channel, priority });

  const t1 = await open(
    rita,
    'How do I export my invoices?',
    'Is there a way to export all invoices as CSV?',
    Channel.EMAIL,
  );
  await addComment(as(alice), { ticketId: t1.id, body: 'Which date range do you need?', status: 'pending' });
  const t2 = await open(
    sam,
    'Please update the homepage banner',
    'Change the banner text for the spring campaign.',
    Channel.PORTAL,
  );
  await addComment(as(alice), { ticketId: t2.id, body: 'Done, the new banner is live.', status: 'solved' });
  await open(
    rita,
    'Project milestone review',
    'Can we review the milestone plan for the launch project?',
    Channel.PORTAL,
  );
  const t4 = await open(
    sofia,
    'Payment not received for order 1182',
    'The buyer paid a week ago but I see nothing.',
    Channel.CHAT,
  );
  await transitionTicket(as(alice), { ticketId: t4.id, to: 'l1_in_progress', expectedVersion: t4.version });
  await escalateTicket(as(alice), { ticketId: t4.id, reason: 'Needs the payments product team' });
  const t5 = await open(
    ivan,
    'Set up a storefront on the marketplace',
    'Please list our 40 products on the platform.',
    Channel.EMAIL,
  );
  await transitionTicket(as(alice), { ticketId: t5.id, to: 'in_progress', expectedVersion: t5.version });
  await addComment(as(alice), {
    ticketId: t5.id,
    body: 'Waiting for the platform to approve the seller account.',
    internal: true,
  });
  const t6 = await open(
    uma,
    'Platform outage: API returns 500',
    'All API calls fail since 09:12 UTC.',
    Channel.PHONE,
    Priority.CRITICAL,
  );
  await addComment(as(carol), {
    ticketId: t6.id,
    body: 'We are on it; next update within the hour.',
    status: 'in_progress',
  });
  await open(
    uma,
    'Feature usage guidance for webhooks',
    'How do I verify webhook signatures?',
    Channel.FORUM,
    Priority.MEDIUM,
  );
  const t8 = await open(
    hana,
    'Cannot access course materials',
    'The course page shows an empty list.',
    Channel.PORTAL,
  );
  await transitionTicket(as(alice), { ticketId: t8.id, to: 'processing', expectedVersion: t8.version });
  await addComment(as(alice), {
    ticketId: t8.id,
    body: 'Fixed: your enrolment was missing.',
    status: 'resolved',
  });
}
