import { Organization } from '../directory/organization.entity.js';
import { Team } from '../directory/team.entity.js';
import { User } from '../directory/user.entity.js';
import { canReadTicket, isStaff } from '../access/policy.js';
import { TicketEventType } from '../events/event-types.js';
import { Checks, LIMITS } from '../shared/checks.js';
import { Channel, Priority, RelationKind, Role } from '../shared/enums.js';
import { InvalidInputError, NotFoundError, NotPermittedError } from '../shared/errors.js';
import type { UseCaseContext } from '../shared/use-case.js';
import { assignmentStepsFor, categoryOf, categorise } from '../workflow/rules.js';
import { currentVersionFor } from '../workflow/workflow-store.js';
import { pickAssignee } from './assignment.js';
import { TicketChange } from './ticket-changes.js';
import { TicketRelation } from './ticket-relation.entity.js';
import { Ticket } from './ticket.entity.js';
import { normaliseTags } from './tags.js';
import { applyMatchingPolicy } from '../sla/sla-service.js';
import { slaFacts } from './sla-facts.js';
import { checkChannelHours } from './channel-hours.js';

export interface CreateTicketInput {
  subject: string;
  description: string;
  channel: Channel;
  priority?: Priority;
  category?: string;
  /** Staff and partners: whom the ticket is for (a requester creates tickets for themselves). */
  requesterId?: string;
  /** Staff and partners, instead of requesterId: the requester by email, created on first sight. */
  requesterEmail?: string;
  /** With requesterEmail: the name of a requester created on first sight (default: the email's local part). */
  requesterName?: string;
  /** Staff only: the workflow to use instead of the organization's or the default. */
  workflowKey?: string;
  teamId?: string;
  tags?: string[];
  /** Opens this ticket as a follow-up or revision of another. */
  relatedTo?: { ticketId: string; kind: RelationKind };
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** The user with this email; a new requester (no organization) if there is none. */
export async function requesterByEmail(
  em: UseCaseContext['em'],
  email: string,
  name?: string,
): Promise<User> {
  const known = await em.findOne(User, { email }, { populate: ['organization.plan'] });
  if (known) return known;
  const user = em.create(User, {
    email,
    name: name?.trim() || email.split('@')[0]!,
    role: Role.REQUESTER,
  } as User);
  await em.flush();
  return user;
}

/**
 * Opens a ticket: picks its workflow, categorises and prioritises it, assigns it, links it to the ticket
 * it follows up, and moves it to the workflow's intake status, all in the caller's transaction.
 */
export async function createTicket(
  ctx: UseCaseContext,
  input: CreateTicketInput,
  /**
   * Set by the system: a follow-up stays on the workflow of the ticket it follows (`followUpOf`: it is
   * a reply, not a new contact, so channel hours do not apply).
   */
  options: { workflowKey?: string; followUpOf?: string } = {},
): Promise<Ticket> {
  const { em, actor } = ctx;
  const staff = isStaff(actor);
  const partner = actor.kind === 'PARTNER';
  // Staff and partners open tickets for someone; a requester for themselves.
  const onBehalf = staff || partner;
  const email = input.requesterEmail?.trim().toLowerCase();
  new Checks()
    .text('subject', input.subject, { min: 1, max: LIMITS.subject })
    .text('description', input.description, { max: LIMITS.description })
    .text('requesterName', input.requesterName, { min: 1, max: 200 })
    .that(
      onBehalf || input.requesterId === undefined || input.requesterId === actor.userId,
      'requesterId',
      'only agents open tickets for someone else',
    )
    .that(onBehalf || email === undefined, 'requesterEmail', 'only agents and partners name the requester')
    .that(email === undefined || EMAIL.test(email), 'requesterEmail', 'is not an email address')
    .that(
      input.requesterId === undefined || email === undefined,
      'requesterEmail',
      'give requesterId or requesterEmail, not both',
    )
    .that(staff || input.workflowKey === undefined, 'workflowKey', 'only agents choose the workflow')
    .that(staff || input.category === undefined, 'category', 'only agents set the category')
    .that(staff || input.teamId === undefined, 'teamId', 'only agents set the team')
    .that(
      !onBehalf || actor.kind === 'SYSTEM' || input.requesterId !== undefined || email !== undefined,
      'requesterId',
      'say whom the ticket is for (requesterId or requesterEmail)',
    )
    .done();

  const requester = email
    ? await requesterByEmail(em, email, input.requesterName)
    : await em.findOne(User, onBehalf ? input.requesterId! : actor.userId!, {
        populate: ['organization.plan'],
      });
  if (!requester)
    throw InvalidInputError.field('requesterId', `no user ${input.requesterId ?? actor.userId}`);
  if (requester.role !== Role.REQUESTER && !staff) throw new NotPermittedError('open tickets for staff');
  const organization: Organization | undefined = requester.organization;

  const version = await currentVersionFor(
    em,
    input.workflowKey ?? options.workflowKey ?? organization?.workflowKey,
  );
  const def = version.definition;
  if (input.category !== undefined && !def.categorisation.categories.includes(input.category)) {
    throw InvalidInputError.field('category', `must be one of ${def.categorisation.categories.join(', ')}`);
  }
  const team = input.teamId ? await em.findOne(Team, input.teamId) : undefined;
  if (input.teamId && !team) throw InvalidInputError.field('teamId', `no team ${input.teamId}`);

  const source = input.relatedTo ? await em.findOne(Ticket, input.relatedTo.ticketId) : undefined;
  if (input.relatedTo && (!source || !canReadTicket(actor, source, ctx.visibility))) {
    throw new NotFoundError('Ticket', input.relatedTo.ticketId);
  }

  const now = ctx.clock.now();
  const priority = input.priority ?? organization?.plan?.defaultPriority ?? Priority.MEDIUM;
  // Channel hours (issue 16): refused outside them (nothing written), or accepted and queued.
  const { queuedUntil } = options.followUpOf
    ? {}
    : await checkChannelHours(em, def, { channel: input.channel, priority }, actor, now);
  const ticket = em.create(Ticket, {
    subject: input.subject.trim(),
    description: input.description,
    channel: input.channel,
    category: input.category ?? categorise(def, input.subject, input.description),
    priority,
    workflowVersion: version,
    status: def.initialStatus,
    statusCategory: categoryOf(def, def.initialStatus),
    tier: 1,
    requester,
    organization,
    team,
    tags: normaliseTags(input.tags ?? []),
    // A partner's ticket, or a follow-up of one, belongs to the partner.
    partnerId: partner ? actor.partnerId : source?.partnerId,
    createdAt: now,
    updatedAt: now,
  } as Ticket);
  await em.flush(); // the database gives the reference number

  const change = new TicketChange(ctx, ticket, def);
  change.enteredStatus = true; // the initial status's timers start
  change.record(TicketEventType.TICKET_CREATED, {
    reference: ticket.reference,
    channel: ticket.channel,
    priority: ticket.priority,
    category: ticket.category,
    status: ticket.status,
    workflow: { id: version.id, version: version.version },
    ...(queuedUntil ? { queuedUntil } : {}),
  });
  if (source && input.relatedTo) {
    em.create(TicketRelation, { source, ticket, kind: input.relatedTo.kind, createdAt: now });
    change.events.push({
      ticketId: source.id,
      type: TicketEventType.FOLLOW_UP_OPENED,
      actor,
      payload: { ticketId: ticket.id, reference: ticket.reference, kind: input.relatedTo.kind },
      occurredAt: now,
    });
  }
  const slaApplied = await applyMatchingPolicy(
    em,
    ticket,
    slaFacts(ticket, version.workflow.key, organization?.plan?.name),
    now,
  );
  if (slaApplied) change.events.push(slaApplied);
  const system = { kind: 'SYSTEM' as const };
  // A ticket queued outside its channel's hours waits, unassigned, for the first agent when it opens.
  const assigneeId = queuedUntil
    ? undefined
    : await pickAssignee(em, {
        requesterId: requester.id,
        organizationId: organization?.id,
        tier: ticket.tier,
        teamId: team?.id,
        steps: assignmentStepsFor(def, ticket.category),
      });
  change.assign(assigneeId, system);
  if (def.intakeStatus && def.intakeStatus !== ticket.status) {
    change.moveTo(def.intakeStatus, 'Categorised and prioritised', system);
  }
  await change.commit();
  return ticket;
}
