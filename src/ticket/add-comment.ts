import { User } from '../directory/user.entity.js';
import { canManageTickets, isStaff } from '../access/policy.js';
import { TicketEventType } from '../events/event-types.js';
import { Checks, LIMITS } from '../shared/checks.js';
import { RelationKind } from '../shared/enums.js';
import { NotPermittedError, TicketClosedError } from '../shared/errors.js';
import type { UseCaseContext } from '../shared/use-case.js';
import { checkTransition, partnerCommentRule, requesterReplyRule } from '../workflow/rules.js';
import { WorkflowVersion } from '../workflow/workflow.entity.js';
import { claimUploads } from '../attachments/uploads.js';
import { Comment } from './comment.entity.js';
import { createTicket } from './create-ticket.js';
import { TicketChange } from './ticket-changes.js';
import type { Ticket } from './ticket.entity.js';

export interface AddCommentInput {
  ticketId: string;
  body: string;
  internal?: boolean;
  /** Staff only: move the ticket in the same change (reply and set Pending, say). */
  status?: string;
  reason?: string;
  expectedVersion?: number;
  /** Files uploaded through signed upload links (src/attachments/uploads.ts) that this comment takes. */
  attachmentIds?: readonly string[];
}

export interface AddCommentResult {
  /** The ticket the comment landed on: a new follow-up when the workflow says so. */
  ticket: Ticket;
  comment?: Comment;
  createdFollowUp: boolean;
}

/**
 * A public reply or an internal note. A requester's reply (and a partner's comment) does what the
 * workflow says for the current status: nothing, a move (a reopen, say), a follow-up ticket, or a
 * refusal. An agent's first public reply is the ticket's first response, and an unassigned ticket then
 * stays with that agent (seed 002).
 */
export async function addComment(ctx: UseCaseContext, input: AddCommentInput): Promise<AddCommentResult> {
  const staff = canManageTickets(ctx.actor);
  new Checks()
    .text('body', input.body, { min: 1, max: LIMITS.comment })
    .text('reason', input.reason, { max: LIMITS.reason })
    .that(staff || !input.internal, 'internal', 'only agents write internal notes')
    .that(staff || input.status === undefined, 'status', 'only agents move a ticket while replying')
    .done();
  const change = await TicketChange.load(ctx, input.ticketId, input.expectedVersion);
  const { ticket, def } = change;

  if (!isStaff(ctx.actor)) {
    const rule =
      ctx.actor.kind === 'PARTNER'
        ? partnerCommentRule(def, ticket.status)
        : requesterReplyRule(def, ticket.status);
    if (rule.action === 'REJECT') throw new TicketClosedError(ticket.reference);
    if (rule.action === 'FOLLOW_UP') {
      const source = await ctx.em.findOneOrFail(WorkflowVersion, ticket.workflowVersion.id, {
        populate: ['workflow'],
      });
      const followUp = await createTicket(
        ctx,
        {
          subject: ticket.subject.startsWith('Re: ')
            ? ticket.subject
            : `Re: ${ticket.subject}`.slice(0, LIMITS.subject),
          description: input.body,
          channel: ticket.channel,
          priority: ticket.priority,
          // A partner's follow-up is for the same requester (a requester's is for themselves).
          requesterId: ctx.actor.kind === 'PARTNER' ? ticket.requester.id : undefined,
          relatedTo: { ticketId: ticket.id, kind: RelationKind.FOLLOW_UP },
        },
        { workflowKey: source.workflow.key, followUpOf: ticket.id },
      );
      await takeUploads(ctx, input, ticket.id, undefined, false, followUp.id);
      return { ticket: followUp, createdFollowUp: true };
    }
    if (ticket.statusCategory === 'CLOSED' && rule.action !== 'MOVE')
      throw new TicketClosedError(ticket.reference);
    const comment = addTo(change, input);
    await takeUploads(ctx, input, ticket.id, comment.id, false);
    if (rule.action === 'MOVE' && rule.to)
      change.moveTo(rule.to, ctx.actor.kind === 'PARTNER' ? 'Partner commented' : 'Requester replied');
    await change.commit();
    return { ticket, comment, createdFollowUp: false };
  }

  if (ticket.statusCategory === 'CLOSED') throw new TicketClosedError(ticket.reference);
  if (input.status !== undefined)
    checkTransition(def, ticket.status, input.status, ctx.actor.kind, input.reason);
  const comment = addTo(change, input);
  await takeUploads(ctx, input, ticket.id, comment.id, comment.internal);
  if (!comment.internal && ctx.actor.kind !== 'SYSTEM') {
    ticket.firstRespondedAt ??= change.now;
    if (!ticket.assignee && ctx.actor.userId) change.assign(ctx.actor.userId);
  }
  if (input.status !== undefined && input.status !== ticket.status)
    change.moveTo(input.status, input.reason?.trim() || undefined);
  await change.commit();
  return { ticket, comment, createdFollowUp: false };
}

/** The comment (or follow-up) takes the uploads named in `attachmentIds`. */
async function takeUploads(
  ctx: UseCaseContext,
  input: AddCommentInput,
  ticketId: string,
  commentId: string | undefined,
  internal: boolean,
  toTicketId?: string,
): Promise<void> {
  if (!input.attachmentIds?.length) return;
  // The comment's row must exist before the attachments refer to it.
  await ctx.em.flush();
  await claimUploads(ctx.em, {
    attachmentIds: input.attachmentIds,
    ticketId,
    uploaderId: ctx.actor.userId,
    commentId,
    internal,
    toTicketId,
  });
}

function addTo(change: TicketChange, input: AddCommentInput): Comment {
  const { ctx, ticket } = change;
  if (input.internal && !isStaff(ctx.actor)) throw new NotPermittedError('write internal notes');
  const comment = ctx.em.create(Comment, {
    ticket,
    author: ctx.actor.userId ? ctx.em.getReference(User, ctx.actor.userId) : undefined,
    authorKind: ctx.actor.kind,
    body: input.body,
    internal: input.internal ?? false,
    createdAt: change.now,
  } as Comment);
  ticket.commentsTotal += 1;
  if (!comment.internal) ticket.commentsPublic += 1;
  change.touch();
  change.record(
    TicketEventType.COMMENT_ADDED,
    { commentId: comment.id, internal: comment.internal, authorKind: comment.authorKind },
    { internal: comment.internal },
  );
  return comment;
}
