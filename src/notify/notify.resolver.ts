import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { canReadTicket, isStaff } from '../access/policy.js';
import type { User } from '../directory/user.entity.js';
import { UserType } from '../directory/directory.types.js';
import { sqlArray } from '../db/sql.js';
import { readRows } from '../db/read.js';
import { inTransaction, useCaseContext, type RequestContext } from '../server/context.js';
import { parseId, parseOptionalId } from '../server/global-id.js';
import { authed, mutate, query } from '../server/guard.js';
import { NotPermittedError } from '../shared/errors.js';
import { MetricsGroupByEnum, SlaMetricsFilterInput } from '../sla/sla.types.js';
import type { MetricsGroupBy } from '../sla/metrics.js';
import { addParticipant, removeParticipant, setFollowing } from '../ticket/participants.js';
import type { Ticket } from '../ticket/ticket.entity.js';
import { TicketPayload, TicketType } from '../ticket/ticket.types.js';
import { csatMetrics } from './csat-metrics.js';
import { NOTIFY_QUEUE } from './derive.js';
import {
  AddParticipantInput,
  CsatGroupType,
  DeleteNotificationTemplatePayload,
  DeliveryStatusEnum,
  NotificationMessageType,
  NotificationTemplatePayload,
  NotificationTemplateSourceInput,
  NotificationTemplateType,
  RateTicketInput,
  RateTicketPayload,
  RemoveParticipantInput,
  RenderedNotificationType,
  SatisfactionType,
  SaveNotificationTemplateInput,
} from './notify.types.js';
import { latestSurvey, rateTicket, ratingLabel, surveyOpen, type Survey } from './survey.js';
import { deleteTemplate, listTemplates, previewNotification, saveTemplate } from './template-admin.js';

type TicketRoot = Readonly<Ticket>;

const MESSAGE_COLUMNS = `m.id, m.message_id, m.recipient_email, m.recipient_role, m.template_key, m.subject, m.automatic,
  m.event_seq, m.created_at, m.ticket_id, d.status, d.attempts, d.max_attempts, d.last_response, d.last_error,
  d.next_attempt_at, d.sent_at`;

function rowToMessage(r: Record<string, unknown>): NotificationMessageType {
  const date = (v: unknown) => (v == null ? null : new Date(v as string));
  return {
    id: r.id as string,
    messageId: r.message_id as string,
    recipient: r.recipient_email as string,
    recipientRole: r.recipient_role as string,
    template: r.template_key as string,
    subject: r.subject as string,
    automatic: r.automatic as boolean,
    eventSeq: Number(r.event_seq),
    createdAt: new Date(r.created_at as string),
    ticketId: r.ticket_id as string,
    status: r.status as DeliveryStatusEnum,
    attempts: Number(r.attempts),
    maxAttempts: Number(r.max_attempts),
    lastResponse: (r.last_response as string | null) ?? null,
    lastError: (r.last_error as string | null) ?? null,
    nextAttemptAt: ['QUEUED', 'SENDING'].includes(r.status as string) ? date(r.next_attempt_at) : null,
    sentAt: date(r.sent_at),
  } as NotificationMessageType;
}

const satisfactionOf = (s: Survey, now: Date): SatisfactionType => ({
  scale: s.scale,
  rating: ratingLabel(s) ?? null,
  good: s.good ?? null,
  comment: s.comment ?? null,
  openedAt: s.openedAt,
  closesAt: s.closesAt,
  open: surveyOpen(s, now),
  ratedAt: s.ratedAt ?? null,
});

/** Thin: notifications, templates, participants and satisfaction surveys (use cases in src/notify, src/ticket). */
@Resolver(() => TicketType)
export class NotifyResolver {
  @Query(() => [NotificationTemplateType], {
    description: 'Staff: the templates in force (for a workflow, or for every workflow)',
  })
  async notificationTemplates(
    @Ctx() ctx: RequestContext,
    @Arg('workflowKey', () => String, { nullable: true }) workflowKey?: string,
  ): Promise<NotificationTemplateType[]> {
    const c = authed(ctx);
    return query(() => listTemplates(useCaseContext(c), workflowKey ?? undefined)) as Promise<
      NotificationTemplateType[]
    >;
  }

  @Mutation(() => NotificationTemplatePayload, {
    description:
      'Admins: save a template; a template that does not parse or render is refused with its line and column',
  })
  async saveNotificationTemplate(
    @Arg('input') input: SaveNotificationTemplateInput,
    @Ctx() ctx: RequestContext,
  ): Promise<NotificationTemplatePayload> {
    const c = authed(ctx);
    return mutate(async () => ({
      template: (await inTransaction(c, (u) =>
        saveTemplate(u, c.config.notify, { ...input, workflowKey: input.workflowKey ?? undefined }),
      )) as NotificationTemplateType,
    }));
  }

  @Mutation(() => DeleteNotificationTemplatePayload, {
    description: 'Admins: remove a saved template (the shared one, or the shipped default, applies again)',
  })
  async deleteNotificationTemplate(
    @Arg('key') key: string,
    @Ctx() ctx: RequestContext,
    @Arg('workflowKey', () => String, { nullable: true }) workflowKey?: string,
  ): Promise<DeleteNotificationTemplatePayload> {
    const c = authed(ctx);
    const payload = await mutate(async () => ({
      deleted: await inTransaction(c, (u) => deleteTemplate(u, key, workflowKey ?? undefined)),
    }));
    return { ...payload, deleted: payload.deleted ?? false };
  }

  @Query(() => RenderedNotificationType, {
    description:
      'Staff: a template rendered for a ticket as it is now, without sending (or a draft given as source)',
  })
  async previewNotification(
    @Arg('ticketId', () => ID) ticketId: string,
    @Arg('template') template: string,
    @Ctx() ctx: RequestContext,
    @Arg('source', () => NotificationTemplateSourceInput, { nullable: true })
    source?: NotificationTemplateSourceInput,
  ): Promise<RenderedNotificationType> {
    const c = authed(ctx);
    return query(() =>
      previewNotification(useCaseContext(c), c.config.notify, {
        ticketId: parseId('Ticket', ticketId, 'ticketId'),
        template,
        source: source ?? undefined,
      }),
    );
  }

  @Query(() => [NotificationMessageType], {
    description:
      'Staff: the latest messages, newest first, optionally by delivery status (FAILED for a dashboard)',
  })
  async notificationMessages(
    @Ctx() ctx: RequestContext,
    @Arg('status', () => [DeliveryStatusEnum], { nullable: true }) status?: DeliveryStatusEnum[],
    @Arg('first', () => Int, { defaultValue: 50 }) first = 50,
  ): Promise<NotificationMessageType[]> {
    const c = authed(ctx);
    if (!isStaff(c.actor)) throw new NotPermittedError('read notifications');
    const rows = await readRows(
      c.em,
      `select ${MESSAGE_COLUMNS} from outbox_delivery d join notification_message m on m.id = d.id
        where d.queue = ? and (?::text[] is null or d.status = any(?::text[]))
        order by d.updated_at desc, d.seq desc limit ?`,
      [
        NOTIFY_QUEUE,
        status ? sqlArray(status) : null,
        status ? sqlArray(status) : null,
        first, // 0 to MAX_PAGE_SIZE (src/server/input-guard.ts)
      ],
    );
    return rows.map(rowToMessage);
  }

  @Query(() => [CsatGroupType], { description: 'Staff: satisfaction (CSAT) by the groupings of slaMetrics' })
  async csatMetrics(
    @Ctx() ctx: RequestContext,
    @Arg('filter', () => SlaMetricsFilterInput, { nullable: true }) filter?: SlaMetricsFilterInput,
    @Arg('groupBy', () => MetricsGroupByEnum, { defaultValue: 'NONE' }) groupBy: MetricsGroupBy = 'NONE',
  ): Promise<CsatGroupType[]> {
    const c = authed(ctx);
    if (!isStaff(c.actor)) throw new NotPermittedError('see satisfaction reports');
    const f = filter ?? {};
    return query(() =>
      csatMetrics(c.em, {
        groupBy,
        filter: {
          from: f.from ?? undefined,
          to: f.to ?? undefined,
          priority: f.priority ?? undefined,
          channel: f.channel ?? undefined,
          planId: parseOptionalId('Plan', f.planId, 'filter.planId') ?? undefined,
          teamId: parseOptionalId('Team', f.teamId, 'filter.teamId') ?? undefined,
          agentId: parseOptionalId('User', f.agentId, 'filter.agentId') ?? undefined,
          organizationId:
            parseOptionalId('Organization', f.organizationId, 'filter.organizationId') ?? undefined,
        },
      }),
    );
  }

  @Mutation(() => TicketPayload, {
    description:
      'Add a participant (CC) by email: requesters add colleagues of their organization, agents anyone',
  })
  async addTicketParticipant(
    @Arg('input') input: AddParticipantInput,
    @Ctx() ctx: RequestContext,
  ): Promise<TicketPayload> {
    const c = authed(ctx);
    return mutate(async () => ({
      ticket: (await inTransaction(c, (u) =>
        addParticipant(u, {
          ticketId: parseId('Ticket', input.ticketId, 'ticketId'),
          email: input.email,
          name: input.name ?? undefined,
          expectedVersion: input.expectedVersion ?? undefined,
        }),
      )) as unknown as TicketType,
    }));
  }

  @Mutation(() => TicketPayload, { description: 'Remove a participant (CC)' })
  async removeTicketParticipant(
    @Arg('input') input: RemoveParticipantInput,
    @Ctx() ctx: RequestContext,
  ): Promise<TicketPayload> {
    const c = authed(ctx);
    return mutate(async () => ({
      ticket: (await inTransaction(c, (u) =>
        removeParticipant(u, {
          ticketId: parseId('Ticket', input.ticketId, 'ticketId'),
          userId: parseId('User', input.userId, 'userId'),
          expectedVersion: input.expectedVersion ?? undefined,
        }),
      )) as unknown as TicketType,
    }));
  }

  @Mutation(() => TicketPayload, {
    description: 'Staff: follow a ticket (receive its FOLLOWERS notifications)',
  })
  async followTicket(
    @Arg('ticketId', () => ID) ticketId: string,
    @Ctx() ctx: RequestContext,
  ): Promise<TicketPayload> {
    const c = authed(ctx);
    return mutate(async () => ({
      ticket: (await inTransaction(c, (u) =>
        setFollowing(u, { ticketId: parseId('Ticket', ticketId, 'ticketId'), follow: true }),
      )) as unknown as TicketType,
    }));
  }

  @Mutation(() => TicketPayload, { description: 'Staff: stop following a ticket' })
  async unfollowTicket(
    @Arg('ticketId', () => ID) ticketId: string,
    @Ctx() ctx: RequestContext,
  ): Promise<TicketPayload> {
    const c = authed(ctx);
    return mutate(async () => ({
      ticket: (await inTransaction(c, (u) =>
        setFollowing(u, { ticketId: parseId('Ticket', ticketId, 'ticketId'), follow: false }),
      )) as unknown as TicketType,
    }));
  }

  @Mutation(() => RateTicketPayload, {
    description:
      'The requester rates the ticket’s open satisfaction survey, or changes the rating until it closes',
  })
  async rateTicket(
    @Arg('input') input: RateTicketInput,
    @Ctx() ctx: RequestContext,
  ): Promise<RateTicketPayload> {
    const c = authed(ctx);
    return mutate(async () => {
      const r = await inTransaction(c, (u) =>
        rateTicket(u, {
          ticketId: parseId('Ticket', input.ticketId, 'ticketId'),
          rating: input.rating,
          comment: input.comment ?? undefined,
        }),
      );
      return {
        ticket: r.ticket as unknown as TicketType,
        satisfaction: satisfactionOf(r.survey, c.clock.now()),
      };
    });
  }

  @FieldResolver(() => [UserType], {
    description: 'Participants (CCs): they read, reply to and receive the public side',
  })
  async participants(@Root() t: TicketRoot, @Ctx() ctx: RequestContext): Promise<User[]> {
    const users = await ctx.loaders.user.loadMany(t.participantIds ?? []);
    return users.filter((u): u is User => !!u && !(u instanceof Error));
  }

  @FieldResolver(() => [UserType], { description: 'Staff: agents following the ticket (empty for others)' })
  async followers(@Root() t: TicketRoot, @Ctx() ctx: RequestContext): Promise<User[]> {
    if (!isStaff(authed(ctx).actor)) return [];
    const users = await ctx.loaders.user.loadMany(t.followerIds ?? []);
    return users.filter((u): u is User => !!u && !(u instanceof Error));
  }

  @FieldResolver(() => [NotificationMessageType], {
    nullable: true,
    description: 'Staff: the messages this ticket caused and their delivery, oldest first (null for others)',
  })
  async notifications(
    @Root() t: TicketRoot,
    @Ctx() ctx: RequestContext,
  ): Promise<NotificationMessageType[] | null> {
    if (!isStaff(authed(ctx).actor)) return null;
    const rows = await readRows(
      ctx.em,
      `select ${MESSAGE_COLUMNS} from notification_message m join outbox_delivery d on d.id = m.id
        where m.ticket_id = ? order by d.seq limit 500`,
      [t.id],
    );
    return rows.map(rowToMessage);
  }

  @FieldResolver(() => SatisfactionType, {
    nullable: true,
    description: 'The latest satisfaction survey: for staff and the requester it was sent to',
  })
  async satisfaction(@Root() t: TicketRoot, @Ctx() ctx: RequestContext): Promise<SatisfactionType | null> {
    const c = authed(ctx);
    const survey = await latestSurvey(c.em, t.id);
    if (!survey) return null;
    if (!isStaff(c.actor) && c.actor.userId !== survey.requesterId) return null;
    return satisfactionOf(survey, c.clock.now());
  }
}

/** The ticket a message belongs to. */
@Resolver(() => NotificationMessageType)
export class NotificationMessageResolver {
  @FieldResolver(() => TicketType)
  async ticket(@Root() m: NotificationMessageType, @Ctx() ctx: RequestContext): Promise<TicketType> {
    const c = authed(ctx);
    const t = (await c.loaders.ticket.load(m.ticketId))!;
    if (!canReadTicket(c.actor, t, useCaseContext(c).visibility))
      throw new NotPermittedError('read this ticket');
    return t as unknown as TicketType;
  }
}
