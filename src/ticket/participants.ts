import { isStaff } from '../access/policy.js';
import { Organization } from '../directory/organization.entity.js';
import { User } from '../directory/user.entity.js';
import { TicketEventType } from '../events/event-types.js';
import { Checks } from '../shared/checks.js';
import { Role } from '../shared/enums.js';
import { InvalidInputError, NotFoundError, NotPermittedError, TicketClosedError } from '../shared/errors.js';
import type { UseCaseContext } from '../shared/use-case.js';
import { TicketChange } from './ticket-changes.js';
import type { Ticket } from './ticket.entity.js';

/** At most this many participants (CCs) per ticket. */
export const MAX_PARTICIPANTS = 50;
const EMAIL = /^[^\s@<>()",;:]+@[^\s@<>()",;:]+\.[^\s@<>()",;:]+$/;

/**
 * Participants (CCs) and followers.
 *
 * A participant is a requester who reads the ticket's public side, replies to it and receives its
 * public messages, like the requester (seed 001: "add someone else from the Seller's team to the
 * loop"). A requester (or a participant) adds and removes colleagues of their own organization by
 * email, created as requesters of that organization on first sight; agents add any email (a new
 * address becomes a requester without organization). Staff addresses cannot be participants: agents
 * follow tickets instead, and followers receive the rules' FOLLOWERS messages. Events:
 * PARTICIPANT_ADDED / PARTICIPANT_REMOVED with `role` CC (public) or FOLLOWER (internal).
 */
export async function addParticipant(
  ctx: UseCaseContext,
  input: { ticketId: string; email: string; name?: string; expectedVersion?: number },
): Promise<Ticket> {
  const email = input.email.trim().toLowerCase();
  new Checks()
    .that(EMAIL.test(email) && email.length <= 320, 'email', 'is not an email address')
    .text('name', input.name, { min: 1, max: 200 })
    .done();
  if (ctx.actor.kind === 'PARTNER') throw new NotPermittedError('add participants');
  const change = await TicketChange.load(ctx, input.ticketId, input.expectedVersion);
  const { ticket } = change;
  if (ticket.statusCategory === 'CLOSED') throw new TicketClosedError(ticket.reference);
  const staff = isStaff(ctx.actor);
  let organization: Organization | undefined;
  if (!staff) {
    if (!ctx.actor.organizationId)
      throw new NotPermittedError('add participants without an organization of your own');
    organization = ctx.em.getReference(Organization, ctx.actor.organizationId);
  }
  let user = await ctx.em.findOne(User, { email });
  if (user) {
    if (user.role !== Role.REQUESTER)
      throw InvalidInputError.field('email', 'belongs to staff: agents follow tickets instead');
    if (!staff && user.organization?.id !== ctx.actor.organizationId)
      throw InvalidInputError.field('email', 'is not a colleague of your organization');
  } else {
    user = ctx.em.create(User, {
      email,
      name: input.name?.trim() || email.split('@')[0]!,
      role: Role.REQUESTER,
      organization,
    } as User);
  }
  if (user.id === ticket.requester.id || ticket.participantIds.includes(user.id)) return ticket;
  if (ticket.participantIds.length >= MAX_PARTICIPANTS)
    throw InvalidInputError.field('email', `a ticket has at most ${MAX_PARTICIPANTS} participants`);
  ticket.participantIds = [...ticket.participantIds, user.id];
  change.touch();
  change.record(TicketEventType.PARTICIPANT_ADDED, { userId: user.id, role: 'CC' });
  await change.commit();
  return ticket;
}

export async function removeParticipant(
  ctx: UseCaseContext,
  input: { ticketId: string; userId: string; expectedVersion?: number },
): Promise<Ticket> {
  if (ctx.actor.kind === 'PARTNER') throw new NotPermittedError('remove participants');
  const change = await TicketChange.load(ctx, input.ticketId, input.expectedVersion);
  const { ticket } = change;
  if (!ticket.participantIds.includes(input.userId)) throw new NotFoundError('Participant', input.userId);
  if (!isStaff(ctx.actor) && input.userId !== ctx.actor.userId) {
    const user = await ctx.em.findOne(User, input.userId);
    if (!ctx.actor.organizationId || user?.organization?.id !== ctx.actor.organizationId)
      throw new NotPermittedError('remove participants of another organization');
  }
  ticket.participantIds = ticket.participantIds.filter((id) => id !== input.userId);
  change.touch();
  change.record(TicketEventType.PARTICIPANT_REMOVED, { userId: input.userId, role: 'CC' });
  await change.commit();
  return ticket;
}

/** Staff follow (or stop following) a ticket themselves. */
export async function setFollowing(
  ctx: UseCaseContext,
  input: { ticketId: string; follow: boolean },
): Promise<Ticket> {
  if (!isStaff(ctx.actor) || !ctx.actor.userId) throw new NotPermittedError('follow tickets');
  const me = ctx.actor.userId;
  const change = await TicketChange.load(ctx, input.ticketId);
  const { ticket } = change;
  const following = ticket.followerIds.includes(me);
  if (following === input.follow) return ticket;
  ticket.followerIds = input.follow
    ? [...ticket.followerIds, me]
    : ticket.followerIds.filter((id) => id !== me);
  change.touch();
  change.record(
    input.follow ? TicketEventType.PARTICIPANT_ADDED : TicketEventType.PARTICIPANT_REMOVED,
    { userId: me, role: 'FOLLOWER' },
    { internal: true },
  );
  await change.commit();
  return ticket;
}
