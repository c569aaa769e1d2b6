import { Team } from '../directory/team.entity.js';
import { User } from '../directory/user.entity.js';
import { canManageTickets } from '../access/policy.js';
import { TicketEventType } from '../events/event-types.js';
import { Checks, LIMITS } from '../shared/checks.js';
import { Priority, Role } from '../shared/enums.js';
import { InvalidInputError, NotPermittedError, TicketClosedError } from '../shared/errors.js';
import type { UseCaseContext } from '../shared/use-case.js';
import { checkTransition } from '../workflow/rules.js';
import { MAX_TIER } from '../workflow/validate.js';
import { TicketChange } from './ticket-changes.js';
import type { Ticket } from './ticket.entity.js';
import { normaliseTags } from './tags.js';

export interface TransitionTicketInput {
  ticketId: string;
  to: string;
  expectedVersion: number;
  reason?: string;
}

/** Moves a ticket to another status, if the workflow lets this actor make that move. */
export async function transitionTicket(ctx: UseCaseContext, input: TransitionTicketInput): Promise<Ticket> {
  new Checks().text('reason', input.reason, { max: LIMITS.reason }).done();
  const change = await TicketChange.load(ctx, input.ticketId, input.expectedVersion);
  checkTransition(change.def, change.ticket.status, input.to, ctx.actor.kind, input.reason);
  change.moveTo(input.to, input.reason?.trim() || undefined);
  await change.commit();
  return change.ticket;
}

export interface UpdateTicketInput {
  ticketId: string;
  expectedVersion?: number;
  subject?: string;
  description?: string;
  category?: string;
  priority?: Priority;
  teamId?: string | null;
  addTags?: string[];
  removeTags?: string[];
}

const STAFF_FIELDS = ['category', 'priority', 'teamId', 'addTags', 'removeTags'] as const;

/** Edits a ticket's details. Requesters may edit the subject and description of their own open tickets. */
export async function updateTicket(ctx: UseCaseContext, input: UpdateTicketInput): Promise<Ticket> {
  const checks = new Checks()
    .text('subject', input.subject, { min: 1, max: LIMITS.subject })
    .text('description', input.description, { max: LIMITS.description });
  if (!canManageTickets(ctx.actor)) {
    for (const f of STAFF_FIELDS) checks.that(input[f] === undefined, f, 'only agents change this field');
  }
  checks.done();
  const change = await TicketChange.load(ctx, input.ticketId, input.expectedVersion);
  const { ticket, def } = change;
  if (ticket.statusCategory === 'CLOSED') throw new TicketClosedError(ticket.reference);

  const changed: Record<string, unknown> = {};
  const set = <K extends 'subject' | 'description' | 'category' | 'priority'>(
    key: K,
    value: Ticket[K] | undefined,
  ) => {
    if (value !== undefined && value !== ticket[key]) {
      changed[key] = {
        from: key === 'description' ? undefined : ticket[key],
        to: key === 'description' ? undefined : value,
      };
      ticket[key] = value;
    }
  };
  if (input.category !== undefined && !def.categorisation.categories.includes(input.category)) {
    throw InvalidInputError.field('category', `must be one of ${def.categorisation.categories.join(', ')}`);
  }
  set('subject', input.subject?.trim());
  set('description', input.description);
  set('category', input.category);
  set('priority', input.priority);
  if (input.teamId !== undefined && (input.teamId ?? null) !== (ticket.team?.id ?? null)) {
    const team = input.teamId ? await ctx.em.findOne(Team, input.teamId) : undefined;
    if (input.teamId && !team) throw InvalidInputError.field('teamId', `no team ${input.teamId}`);
    changed.team = { from: ticket.team?.id ?? null, to: team?.id ?? null };
    ticket.team = team ?? undefined;
  }
  if (Object.keys(changed).length) {
    change.touch();
    change.record(TicketEventType.TICKET_UPDATED, { changes: changed });
  }
  // The facts SLA policies are chosen by changed (seed 003: severity): the matching policy applies.
  if (changed.priority || changed.category) await change.reapplySlaPolicy();
  if (input.addTags || input.removeTags) {
    const remove = new Set(normaliseTags(input.removeTags ?? [], 'removeTags'));
    const next = normaliseTags(
      [...ticket.tags.filter((t) => !remove.has(t)), ...(input.addTags ?? [])],
      'addTags',
    );
    const added = next.filter((t) => !ticket.tags.includes(t));
    const removed = ticket.tags.filter((t) => !next.includes(t));
    if (added.length || removed.length) {
      ticket.tags = next;
      change.touch();
      change.record(TicketEventType.TAGS_CHANGED, { added, removed });
    }
  }
  await change.commit();
  return ticket;
}

export interface AssignTicketInput {
  ticketId: string;
  expectedVersion?: number;
  /** null unassigns. */
  assigneeId: string | null;
}

/** Manual assignment by an agent: overrides the automatic choice. */
export async function assignTicket(ctx: UseCaseContext, input: AssignTicketInput): Promise<Ticket> {
  if (!canManageTickets(ctx.actor)) throw new NotPermittedError('assign tickets');
  const change = await TicketChange.load(ctx, input.ticketId, input.expectedVersion);
  if (change.ticket.statusCategory === 'CLOSED') throw new TicketClosedError(change.ticket.reference);
  if (input.assigneeId) {
    const agent = await ctx.em.findOne(User, input.assigneeId);
    if (!agent || agent.role === Role.REQUESTER) {
      throw InvalidInputError.field('assigneeId', 'must be an agent or an admin');
    }
  }
  change.assign(input.assigneeId ?? undefined);
  await change.commit();
  return change.ticket;
}

export interface EscalateTicketInput {
  ticketId: string;
  expectedVersion?: number;
  /** Defaults to the next tier. */
  toTier?: number;
  reason: string;
}

/**
 * Escalates to a higher tier: the workflow's escalation rule may move the status (seed 001: L2 in
 * progress), and the ticket goes to the least-loaded available agent of the new tier (or unassigned).
 */
export async function escalateTicket(ctx: UseCaseContext, input: EscalateTicketInput): Promise<Ticket> {
  if (!canManageTickets(ctx.actor)) throw new NotPermittedError('escalate tickets');
  new Checks().text('reason', input.reason, { min: 1, max: LIMITS.reason }).done();
  const change = await TicketChange.load(ctx, input.ticketId, input.expectedVersion);
  const { ticket } = change;
  if (ticket.statusCategory === 'CLOSED' || ticket.statusCategory === 'RESOLVED') {
    throw new TicketClosedError(ticket.reference);
  }
  const toTier = input.toTier ?? ticket.tier + 1;
  new Checks()
    .that(
      Number.isInteger(toTier) && toTier > ticket.tier && toTier <= MAX_TIER,
      'toTier',
      `must be above the current tier ${ticket.tier} and at most ${MAX_TIER}`,
    )
    .done();
  await change.escalate(toTier, input.reason.trim());
  await change.commit();
  return ticket;
}
