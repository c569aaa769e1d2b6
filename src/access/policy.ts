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

export function canReadTicket(actor: Actor, ticket: Ticket, opts: VisibilityOptions): boolean {
  if (isStaff(actor)) return true;
  if (actor.kind !== 'REQUESTER') return false;
  if (ticket.requester.id === actor.userId) return true;
  return (
    opts.requestersSeeOrganizationTickets &&
    actor.organizationId !== undefined &&
    ticket.organization?.id === actor.organizationId
  );
}

export const canSeeInternal = isStaff;
export const canManageTickets = isStaff;
export const canManageWorkflows = (actor: Actor) => actor.kind === 'ADMIN';
/** Contact details of people are for staff and for the person themselves. */
export const canSeeContactOf = (actor: Actor, userId: string) => isStaff(actor) || actor.userId === userId;
