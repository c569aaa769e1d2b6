import { createHmac, timingSafeEqual } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { canReadTicket, isStaff } from '../access/policy.js';
import type { AttachmentsConfig } from '../config.js';
import { Checks } from '../shared/checks.js';
import { InvalidInputError, NotFoundError, NotPermittedError, TicketClosedError } from '../shared/errors.js';
import type { UseCaseContext } from '../shared/use-case.js';
import { Ticket } from '../ticket/ticket.entity.js';
import { addAttachments, safeFilename, type AttachmentRow } from './attachments.js';
import type { AttachmentStore } from './store.js';

/** What a signed upload link allows: one file, to one ticket, by one person, until it expires. */
export interface UploadClaim {
  ticketId: string;
  /** The uploader (undefined for a partner key). */
  userId?: string;
  filename: string;
  internal: boolean;
  /** Unix seconds. */
  expires: number;
}

const sign = (secret: string, payload: string) =>
  createHmac('sha256', secret).update(`upload:${payload}`).digest('base64url');

/**
 * A signed upload link (issue 15: "a signed upload URL"): the client PUTs the file's bytes to it, then
 * names the attachment's id in `addComment(input: { attachmentIds })`. Only someone who may read the
 * ticket gets one; internal files (for internal notes) are for staff. Errors: NOT_FOUND (no such
 * ticket, or not yours), NOT_PERMITTED (internal by a customer), TICKET_CLOSED, INVALID_INPUT.
 */
export async function createUploadLink(
  ctx: UseCaseContext,
  config: AttachmentsConfig,
  publicUrl: string,
  input: { ticketId: string; filename: string; internal?: boolean },
): Promise<{ url: string; expiresAt: Date; maxBytes: number }> {
  new Checks().text('filename', input.filename, { min: 1, max: 255 }).done();
  const ticket = await ctx.em.findOne(Ticket, input.ticketId);
  if (!ticket || !canReadTicket(ctx.actor, ticket, ctx.visibility))
    throw new NotFoundError('Ticket', input.ticketId);
  if (input.internal && !isStaff(ctx.actor)) throw new NotPermittedError('upload internal attachments');
  if (ticket.statusCategory === 'CLOSED') throw new TicketClosedError(ticket.reference);
  const claim: UploadClaim = {
    ticketId: ticket.id,
    userId: ctx.actor.userId,
    filename: safeFilename(input.filename),
    internal: input.internal ?? false,
    expires: Math.floor(ctx.clock.now().getTime() / 1000) + config.linkTtlSeconds,
  };
  const payload = Buffer.from(JSON.stringify(claim)).toString('base64url');
  return {
    url: `${publicUrl}/attachments/uploads/${payload}.${sign(config.linkSecret, payload)}`,
    expiresAt: new Date(claim.expires * 1000),
    maxBytes: config.maxFileBytes,
  };
}

/** The claim of an upload token whose signature holds and which has not expired; else undefined. */
export function verifyUploadToken(
  config: AttachmentsConfig,
  token: string,
  now: Date,
): UploadClaim | undefined {
  const [payload, sig] = token.split('.');
  if (!payload || !sig) return undefined;
  const want = Buffer.from(sign(config.linkSecret, payload));
  const given = Buffer.from(sig);
  if (want.length !== given.length || !timingSafeEqual(want, given)) return undefined;
  try {
    const claim = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as UploadClaim;
    return claim.expires * 1000 >= now.getTime() ? claim : undefined;
  } catch {
    return undefined;
  }
}

/** Stores an uploaded file as a pending attachment of the claim's ticket (limits as for mail, all or nothing). */
export async function receiveUpload(
  em: EntityManager,
  store: AttachmentStore,
  config: AttachmentsConfig,
  claim: UploadClaim,
  content: Buffer,
  now: Date,
): Promise<AttachmentRow> {
  const { saved } = await addAttachments(
    em,
    store,
    config,
    {
      ticketId: claim.ticketId,
      internal: claim.internal,
      source: 'UPLOAD',
      uploadedById: claim.userId,
      pending: true,
    },
    [{ filename: claim.filename, content }],
    now,
  );
  return saved[0]!;
}

/**
 * Gives pending uploads to a comment (or, for a reply that became a follow-up ticket, to that ticket):
 * each must be the same uploader's, of this ticket, and not given yet; the comment's visibility wins
 * (an upload given to a public reply is public). INVALID_INPUT on `attachmentIds` otherwise.
 */
export async function claimUploads(
  em: EntityManager,
  input: {
    attachmentIds: readonly string[];
    ticketId: string;
    uploaderId?: string;
    commentId?: string;
    internal: boolean;
    /** Moves them to this ticket (a follow-up). */
    toTicketId?: string;
  },
): Promise<number> {
  const ids = [...new Set(input.attachmentIds)];
  if (!ids.length) return 0;
  if (ids.some((id) => !/^[0-9a-f-]{36}$/i.test(id)))
    throw InvalidInputError.field('attachmentIds', 'are not attachment ids');
  const updated = await em.execute<{ id: string }[]>(
    `update attachment set pending = false, comment_id = ?, internal = ?, ticket_id = ?
      where id = any(?::uuid[]) and ticket_id = ? and pending and uploaded_by_id is not distinct from ?
      returning id`,
    [
      input.commentId ?? null,
      input.internal,
      input.toTicketId ?? input.ticketId,
      `{${ids.join(',')}}`,
      input.ticketId,
      input.uploaderId ?? null,
    ],
  );
  if (updated.length !== ids.length)
    throw InvalidInputError.field(
      'attachmentIds',
      'must be your own uploads to this ticket that no comment has taken yet',
    );
  return updated.length;
}
