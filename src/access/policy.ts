import type { Ticket } from '../ticket/ticket.entity.js';
import type { Actor } from './actor.js';

/**
 * Who may do what, in one place. Basic roles for now: requesters see their own tickets (and, when
 * configured, their organization's) and never internal notes; agents and admins see everything;
 * only admins change workflows.
 */
export interface VisibilityOptions {
  requestersSeeOrganizationTickets: boolean;
}

export const isStaff = (actor: Actor) =>
  actor.kind === 'AGENT' || actor.kind === 'ADMIN' || actor.kind === 'SYSTEM';

export const canSeeInternal = isStaff;

/** Whose a ticket is: all that reading rights depend on. */
export interface TicketOwnership {
  requesterId?: string;
  organizationId?: string;
}

export function canReadTicketOf(actor: Actor, owner: TicketOwnership, opts: VisibilityOptions): boolean {
  if (isStaff(actor)) return true;
  if (actor.kind !== 'REQUESTER') return false;
  if (owner.requesterId === actor.userId) return true;
  return (
    opts.requestersSeeOrganizationTickets &&
    actor.organizationId !== undefined &&
    owner.organizationId === actor.organizationId
  );
}

export const canReadTicket = (actor: Actor, ticket: Ticket, opts: VisibilityOptions): boolean =>
  canReadTicketOf(actor, { requesterId: ticket.requester.id, organizationId: ticket.organization?.id }, opts);

/** An event of the log (history, subscriptions): on a ticket the actor may read, and internal ones for staff only. */
export const canSeeEvent = (
  actor: Actor,
  event: TicketOwnership & { internal: boolean },
  opts: VisibilityOptions,
): boolean => canReadTicketOf(actor, event, opts) && (!event.internal || canSeeInternal(actor));

export const canManageTickets = isStaff;
export const canManageWorkflows = (actor: Actor) => actor.kind === 'ADMIN';
/** Contact details of people are for staff and for the person themselves. */
export const canSeeContactOf = (actor: Actor, userId: string) => isStaff(actor) || actor.userId === userId;
