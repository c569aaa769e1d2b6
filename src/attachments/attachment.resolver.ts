import { Arg, Ctx, FieldResolver, Mutation, Resolver, Root } from 'type-graphql';
import { canSeeInternal } from '../access/policy.js';
import type { RequestContext } from '../server/context.js';
import { authed, mutate } from '../server/guard.js';
import { inTransaction } from '../server/context.js';
import { parseId } from '../server/global-id.js';
import { createUploadLink } from './uploads.js';
import { CommentType, TicketType } from '../ticket/ticket.types.js';
import type { Comment } from '../ticket/comment.entity.js';
import type { Ticket } from '../ticket/ticket.entity.js';
import { downloadLink, type AttachmentRow } from './attachments.js';
import { AttachmentType, AttachmentUploadPayload, CreateAttachmentUploadInput } from './attachment.types.js';

/**
 * The viewer's attachments with fresh signed links. The roots are a ticket or comment the viewer may
 * read (the parent resolvers checked); internal attachments are for staff only.
 */
function visible(ctx: RequestContext, rows: AttachmentRow[]): AttachmentType[] {
  const c = authed(ctx);
  const staff = canSeeInternal(c.actor);
  const now = ctx.clock.now();
  return rows
    .filter((r) => staff || !r.internal)
    .map((r) => {
      const link = downloadLink(ctx.config.attachments, ctx.config.notify.publicUrl, r.id, now);
      return { ...r, url: link.url, urlExpiresAt: link.expiresAt };
    });
}

@Resolver(() => TicketType)
export class TicketAttachmentResolver {
  @Mutation(() => AttachmentUploadPayload, {
    description:
      'A signed upload link for one file of a ticket; then addComment(input: { attachmentIds }) attaches it (docs/INBOUND.md)',
  })
  async createAttachmentUpload(
    @Arg('input') input: CreateAttachmentUploadInput,
    @Ctx() ctx: RequestContext,
  ): Promise<AttachmentUploadPayload> {
    const c = authed(ctx);
    return mutate(async () => ({
      upload: await inTransaction(c, (tx) =>
        createUploadLink(tx, c.config.attachments, c.config.notify.publicUrl, {
          ...input,
          ticketId: parseId('Ticket', input.ticketId, 'ticketId'),
        }),
      ),
    }));
  }

  @FieldResolver(() => [AttachmentType], {
    description:
      'Every attachment of the ticket the viewer may see (of its comments, and of the mail that opened it)',
  })
  async attachments(@Root() t: Readonly<Ticket>, @Ctx() ctx: RequestContext): Promise<AttachmentType[]> {
    return visible(ctx, await ctx.loaders.attachmentsOfTicket.load(t.id));
  }
}

@Resolver(() => CommentType)
export class CommentAttachmentResolver {
  @FieldResolver(() => [AttachmentType], { description: 'The files of this comment' })
  async attachments(@Root() c: Readonly<Comment>, @Ctx() ctx: RequestContext): Promise<AttachmentType[]> {
    return visible(ctx, await ctx.loaders.attachmentsOfComment.load(c.id));
  }
}
