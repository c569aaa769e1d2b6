import { Partner } from '../access/api-key.entity.js';
import { isStaff } from '../access/policy.js';
import { TicketEventType } from '../events/event-types.js';
import { ConflictError, NotFoundError, NotPermittedError, TicketClosedError } from '../shared/errors.js';
import type { UseCaseContext } from '../shared/use-case.js';
import { TicketChange } from './ticket-changes.js';
import type { Ticket } from './ticket.entity.js';

/** At most this many partners involved in one ticket. */
export const MAX_INVOLVED_PARTNERS = 10;

/**
 * Involves a partner platform in a ticket it did not open (seed 001: "one of the Partners involved
 * sends us a comment"; the marketplace platform of seed 000). Until removed, the partner reads the
 * ticket's public side, comments on it (its comments follow the workflow's partner rule), and receives
 * its events by subscription, webhook and export, never internal ones. Staff only. Events:
 * PARTNER_INVOLVED / PARTNER_REMOVED (public: the partner sees that it was involved).
 * Errors: NOT_PERMITTED, NOT_FOUND (ticket, partner), CONFLICT (already involved, or its own ticket),
 * TICKET_CLOSED.
 */
export async function involvePartner(
  ctx: UseCaseContext,
  input: { ticketId: string; partnerId: string; expectedVersion?: number },
): Promise<Ticket> {
  if (!isStaff(ctx.actor)) throw new NotPermittedError('involve partners in tickets');
  const change = await TicketChange.load(ctx, input.ticketId, input.expectedVersion);
  const { ticket } = change;
  if (ticket.statusCategory === 'CLOSED') throw new TicketClosedError(ticket.reference);
  const partner = await ctx.em.findOne(Partner, input.partnerId);
  if (!partner) throw new NotFoundError('Partner', input.partnerId);
  if (ticket.partnerId === partner.id) throw new ConflictError('the ticket is this partner’s own');
  if (ticket.involvedPartnerIds.includes(partner.id))
    throw new ConflictError(`${partner.name} is already involved in ${ticket.reference}`);
  if (ticket.involvedPartnerIds.length >= MAX_INVOLVED_PARTNERS)
    throw new ConflictError(`a ticket has at most ${MAX_INVOLVED_PARTNERS} involved partners`);
  ticket.involvedPartnerIds = [...ticket.involvedPartnerIds, partner.id];
  change.touch();
  change.record(TicketEventType.PARTNER_INVOLVED, { partnerId: partner.id, partnerName: partner.name });
  await change.commit();
  return ticket;
}

/** Ends a partner's involvement (staff). Its own tickets stay its own. Errors: NOT_PERMITTED, NOT_FOUND. */
export async function removeInvolvedPartner(
  ctx: UseCaseContext,
  input: { ticketId: string; partnerId: string; expectedVersion?: number },
): Promise<Ticket> {
  if (!isStaff(ctx.actor)) throw new NotPermittedError('remove partners from tickets');
  const change = await TicketChange.load(ctx, input.ticketId, input.expectedVersion);
  const { ticket } = change;
  if (!ticket.involvedPartnerIds.includes(input.partnerId))
    throw new NotFoundError('Involved partner', input.partnerId);
  const partner = await ctx.em.findOne(Partner, input.partnerId);
  // The event's facts are the ticket's after the change: the removed partner does not receive it.
  change.record(TicketEventType.PARTNER_REMOVED, {
    partnerId: input.partnerId,
    partnerName: partner?.name ?? null,
  });
  ticket.involvedPartnerIds = ticket.involvedPartnerIds.filter((id) => id !== input.partnerId);
  change.touch();
  await change.commit();
  return ticket;
}
