import type { GraphQLResolveInfo } from 'graphql';
import { GraphQLSafeInt } from 'graphql-scalars';
import { Arg, Ctx, FieldResolver, ID, Info, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { canReadTicket, canSeeInternal } from '../access/policy.js';
import type { Organization } from '../directory/organization.entity.js';
import type { Team } from '../directory/team.entity.js';
import type { User } from '../directory/user.entity.js';
import { TicketEvent } from '../events/ticket-event.entity.js';
import { TicketEventType } from '../events/event-types.js';
import {
  FEED_EVENT_COLUMNS,
  rowToFeedEvent,
  type FeedEvent,
  type FeedEventRow,
} from '../events/feed-event.js';
import { readRows } from '../db/read.js';
import { inTransaction, useCaseContext, type RequestContext } from '../server/context.js';
import { TicketOrder } from '../server/enums.js';
import { parseId, parseOptionalId } from '../server/global-id.js';
import { authed, mutate, query } from '../server/guard.js';
import { selectsField } from '../server/selection.js';
import { decodeCursor, encodeCursor } from '../server/cursor.js';
import { allowedTransitions, statusOf } from '../workflow/rules.js';
import { cachedDefinition, definitionOf } from '../workflow/workflow-store.js';
import { addComment } from './add-comment.js';
import { Comment } from './comment.entity.js';
import { assignTicket, escalateTicket, transitionTicket, updateTicket } from './change-ticket.js';
import { createTicket } from './create-ticket.js';
import { TicketRelation } from './ticket-relation.entity.js';
import { Ticket } from './ticket.entity.js';
import {
  AddCommentInput,
  AssignTicketInput,
  CreateTicketInput,
  EscalateTicketInput,
  TicketFilterInput,
  TransitionTicketInput,
  UpdateTicketInput,
} from './ticket.inputs.js';
import { findTicketPage } from './ticket-query.js';
import {
  AddCommentPayload,
  AllowedTransitionType,
  CommentConnection,
  RelatedTicketType,
  RelationDirection,
  TicketConnection,
  TicketEventObject,
  TicketPayload,
  TicketStatusType,
  TicketType,
  TicketWorkflowType,
  TransitionType,
} from './ticket.types.js';

/**
 * Roots are typed through a mapped type on purpose: with a class type, TypeGraphQL would copy every
 * plain read-path object into a new entity instance before each field resolver call.
 */
type TicketRoot = Readonly<Ticket>;

/** Thin: authorize, parse ids, call one use case, return its result. */
@Resolver(() => TicketType)
export class TicketResolver {
  @Query(() => TicketType, {
    nullable: true,
    description: 'A ticket by id; null when it does not exist or is not yours to see',
  })
  async ticket(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext): Promise<Ticket | null> {
    const c = authed(ctx);
    const ticket = await query(async () => c.loaders.ticket.load(parseId('Ticket', id, 'id')));
    return ticket && canReadTicket(c.actor, ticket, useCaseContext(c).visibility) ? ticket : null;
  }

  @Query(() => TicketType, { nullable: true })
  async ticketByReference(
    @Arg('reference') reference: string,
    @Ctx() ctx: RequestContext,
  ): Promise<Ticket | null> {
    const c = authed(ctx);
    const ticket = await c.em.findOne(Ticket, { reference: reference.trim().toUpperCase() });
    return ticket && canReadTicket(c.actor, ticket, useCaseContext(c).visibility) ? ticket : null;
  }

  @Query(() => TicketConnection, {
    description: 'Tickets the viewer may see, filtered and ordered (QUEUE by default)',
  })
  async tickets(
    @Ctx() ctx: RequestContext,
    @Info() info: GraphQLResolveInfo,
    @Arg('filter', () => TicketFilterInput, { nullable: true }) filter?: TicketFilterInput,
    @Arg('orderBy', () => TicketOrder, { defaultValue: TicketOrder.QUEUE })
    orderBy: TicketOrder = TicketOrder.QUEUE,
    @Arg('first', () => Int, { defaultValue: 20 }) first = 20,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ): Promise<TicketConnection> {
    const c = authed(ctx);
    return query(async () => {
      const f = filter ?? {};
      const withTotal = selectsField(info, 'totalCount');
      const page = await findTicketPage(c.em, c.actor, {
        filter: {
          ...f,
          assigneeId: parseOptionalId('User', f.assigneeId, 'filter.assigneeId') ?? undefined,
          teamId: parseOptionalId('Team', f.teamId, 'filter.teamId') ?? undefined,
          requesterId: parseOptionalId('User', f.requesterId, 'filter.requesterId') ?? undefined,
          organizationId:
            parseOptionalId('Organization', f.organizationId, 'filter.organizationId') ?? undefined,
        },
        order: orderBy,
        first,
        after: after ?? undefined,
        withTotal,
        orgVisible: c.config.requestersSeeOrganizationTickets,
      });
      page.tickets.forEach((t) => c.loaders.ticket.prime(t.id, t));
      return {
        edges: page.tickets.map((t, i) => ({ cursor: page.cursors[i]!, node: t as unknown as TicketType })),
        pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.cursors.at(-1) ?? null },
        totalCount: page.totalCount ?? 0,
      };
    });
  }

  @Mutation(() => TicketPayload)
  async createTicket(
    @Arg('input') input: CreateTicketInput,
    @Ctx() ctx: RequestContext,
  ): Promise<TicketPayload> {
    const c = authed(ctx);
    return mutate(async () => ({
      ticket: (await inTransaction(c, (ctx) =>
        createTicket(ctx, {
          ...input,
          requesterId: parseOptionalId('User', input.requesterId, 'requesterId') ?? undefined,
          requesterEmail: input.requesterEmail ?? undefined,
          requesterName: input.requesterName ?? undefined,
          teamId: parseOptionalId('Team', input.teamId, 'teamId') ?? undefined,
          relatedTo: input.relatedTo && {
            ...input.relatedTo,
            ticketId: parseId('Ticket', input.relatedTo.ticketId, 'relatedTo.ticketId'),
          },
        }),
      )) as unknown as TicketType,
    }));
  }

  @Mutation(() => TicketPayload)
  async updateTicket(
    @Arg('input') input: UpdateTicketInput,
    @Ctx() ctx: RequestContext,
  ): Promise<TicketPayload> {
    const c = authed(ctx);
    return mutate(async () => ({
      ticket: (await inTransaction(c, (ctx) =>
        updateTicket(ctx, {
          ...input,
          ticketId: parseId('Ticket', input.ticketId, 'ticketId'),
          teamId: parseOptionalId('Team', input.teamId, 'teamId'),
        }),
      )) as unknown as TicketType,
    }));
  }

  @Mutation(() => AddCommentPayload, {
    description: 'A public reply or an internal note; a requester’s reply follows the workflow’s reply rule',
  })
  async addComment(
    @Arg('input') input: AddCommentInput,
    @Ctx() ctx: RequestContext,
  ): Promise<AddCommentPayload> {
    const c = authed(ctx);
    const payload = await mutate(async () => {
      const result = await inTransaction(c, (ctx) =>
        addComment(ctx, {
          ...input,
          ticketId: parseId('Ticket', input.ticketId, 'ticketId'),
          attachmentIds: input.attachmentIds?.map((id, i) =>
            parseId('Attachment', id, `attachmentIds[${i}]`),
          ),
        }),
      );
      return {
        ticket: result.ticket as unknown as TicketType,
        comment: (result.comment ?? null) as never,
        createdFollowUp: result.createdFollowUp,
      };
    });
    return { ...payload, createdFollowUp: payload.createdFollowUp ?? false };
  }

  @Mutation(() => TicketPayload, {
    description: 'Assign to an agent (overrides automatic assignment) or unassign',
  })
  async assignTicket(
    @Arg('input') input: AssignTicketInput,
    @Ctx() ctx: RequestContext,
  ): Promise<TicketPayload> {
    const c = authed(ctx);
    return mutate(async () => ({
      ticket: (await inTransaction(c, (ctx) =>
        assignTicket(ctx, {
          ticketId: parseId('Ticket', input.ticketId, 'ticketId'),
          assigneeId: parseOptionalId('User', input.assigneeId, 'assigneeId') ?? null,
          expectedVersion: input.expectedVersion,
        }),
      )) as unknown as TicketType,
    }));
  }

  @Mutation(() => TicketPayload, { description: 'Raise the ticket to a higher support tier' })
  async escalateTicket(
    @Arg('input') input: EscalateTicketInput,
    @Ctx() ctx: RequestContext,
  ): Promise<TicketPayload> {
    const c = authed(ctx);
    return mutate(async () => ({
      ticket: (await inTransaction(c, (ctx) =>
        escalateTicket(ctx, { ...input, ticketId: parseId('Ticket', input.ticketId, 'ticketId') }),
      )) as unknown as TicketType,
    }));
  }

  @Mutation(() => TicketPayload, { description: 'Move a ticket to another status of its workflow' })
  async transitionTicket(
    @Arg('input') input: TransitionTicketInput,
    @Ctx() ctx: RequestContext,
  ): Promise<TicketPayload> {
    const c = authed(ctx);
    return mutate(async () => ({
      ticket: (await inTransaction(c, (ctx) =>
        transitionTicket(ctx, { ...input, ticketId: parseId('Ticket', input.ticketId, 'ticketId') }),
      )) as unknown as TicketType,
    }));
  }

  @FieldResolver(() => TicketStatusType)
  status(@Root() t: TicketRoot, @Ctx() ctx: RequestContext): TicketStatusType | Promise<TicketStatusType> {
    const def = cachedDefinition(t.workflowVersion.id);
    return def
      ? statusOf(def, t.status)
      : definitionOf(ctx.em, t.workflowVersion.id).then((d) => statusOf(d, t.status));
  }

  @FieldResolver(() => TicketWorkflowType)
  async workflow(@Root() t: TicketRoot, @Ctx() ctx: RequestContext): Promise<TicketWorkflowType> {
    const v = (await ctx.loaders.workflowVersion.load(t.workflowVersion.id))!;
    return { key: v.workflow.key, name: v.workflow.name, version: v.version };
  }

  @FieldResolver(() => [AllowedTransitionType])
  async allowedTransitions(
    @Root() t: TicketRoot,
    @Ctx() ctx: RequestContext,
  ): Promise<AllowedTransitionType[]> {
    const c = authed(ctx);
    const def = await definitionOf(c.em, t.workflowVersion.id);
    return allowedTransitions(def, t.status, c.actor.kind).map((m) => ({
      to: statusOf(def, m.to),
      requiresReason: m.requiresReason,
      reopen: m.reopen,
    }));
  }

  @FieldResolver()
  async requester(@Root() t: TicketRoot, @Ctx() ctx: RequestContext): Promise<User | undefined> {
    return ctx.loaders.user.load(t.requester.id);
  }

  @FieldResolver()
  async assignee(@Root() t: TicketRoot, @Ctx() ctx: RequestContext): Promise<User | undefined> {
    return t.assignee ? ctx.loaders.user.load(t.assignee.id) : undefined;
  }

  @FieldResolver()
  async team(@Root() t: TicketRoot, @Ctx() ctx: RequestContext): Promise<Team | undefined> {
    return t.team ? ctx.loaders.team.load(t.team.id) : undefined;
  }

  @FieldResolver()
  async organization(@Root() t: TicketRoot, @Ctx() ctx: RequestContext): Promise<Organization | undefined> {
    return t.organization ? ctx.loaders.organization.load(t.organization.id) : undefined;
  }

  @FieldResolver(() => Int)
  commentCount(@Root() t: TicketRoot, @Ctx() ctx: RequestContext): number {
    return canSeeInternal(authed(ctx).actor) ? t.commentsTotal : t.commentsPublic;
  }

  @FieldResolver(() => CommentConnection)
  async comments(
    @Root() t: TicketRoot,
    @Ctx() ctx: RequestContext,
    @Arg('first', () => Int, { defaultValue: 50 }) first = 50,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ): Promise<CommentConnection> {
    const c = authed(ctx);
    return query(async () => {
      const where: Record<string, unknown> = { ticket: t.id };
      if (!canSeeInternal(c.actor)) where.internal = false;
      if (after) {
        const [at, id] = decodeCursor(after, ['timestamp', 'uuid']) as [string, string];
        where.$or = [{ createdAt: { $gt: new Date(at) } }, { createdAt: new Date(at), id: { $gt: id } }];
      }
      const rows = await c.em.find(Comment, where, {
        orderBy: { createdAt: 'asc', id: 'asc' },
        limit: first + 1,
      });
      const page = rows.slice(0, first);
      const cursor = (m: Comment) => encodeCursor([m.createdAt.toISOString(), m.id]);
      return {
        edges: page.map((m) => ({ cursor: cursor(m), node: m as never })),
        pageInfo: { hasNextPage: rows.length > first, endCursor: page.length ? cursor(page.at(-1)!) : null },
      };
    });
  }

  @FieldResolver(() => [TicketEventObject])
  async events(
    @Root() t: TicketRoot,
    @Ctx() ctx: RequestContext,
    @Arg('after', () => GraphQLSafeInt, {
      nullable: true,
      description: 'Only events after this sequence number',
    })
    after?: number,
    @Arg('first', () => Int, { defaultValue: 100 }) first = 100,
  ): Promise<FeedEvent[]> {
    const c = authed(ctx);
    const rows = await readRows<FeedEventRow>(
      c.em,
      `select ${FEED_EVENT_COLUMNS} from ticket_event
        where ticket_id = ? and seq > ? and (? or not internal) order by seq limit ?`,
      [t.id, after ?? 0, canSeeInternal(c.actor), first],
    );
    return rows.map(rowToFeedEvent);
  }

  @FieldResolver(() => [TransitionType])
  async transitions(@Root() t: TicketRoot, @Ctx() ctx: RequestContext): Promise<TransitionType[]> {
    const c = authed(ctx);
    const def = await definitionOf(c.em, t.workflowVersion.id);
    const rows = await c.em.find(
      TicketEvent,
      { ticketId: t.id, type: TicketEventType.STATUS_CHANGED },
      { orderBy: { seq: 'asc' } },
    );
    const known = (key: unknown) => def.statuses.find((s) => s.key === key);
    return Promise.all(
      rows.map(async (e) => ({
        from: known(e.payload.from),
        to: known(e.payload.to) ?? {
          key: String(e.payload.to),
          name: String(e.payload.to),
          category: t.statusCategory,
        },
        reason: (e.payload.reason as string | null) ?? null,
        actorKind: e.actorKind,
        actor: e.actorId ? ((await c.loaders.user.load(e.actorId)) as never) : undefined,
        at: e.occurredAt,
      })),
    );
  }

  @FieldResolver(() => [RelatedTicketType])
  async relatedTickets(@Root() t: TicketRoot, @Ctx() ctx: RequestContext): Promise<RelatedTicketType[]> {
    const c = authed(ctx);
    const rows = await c.em.find(
      TicketRelation,
      { $or: [{ source: t.id }, { ticket: t.id }] },
      { orderBy: { createdAt: 'asc' } },
    );
    const related = await Promise.all(
      rows.map(async (r) => {
        const openedFrom = r.ticket.id === t.id;
        const other = await c.loaders.ticket.load(openedFrom ? r.source.id : r.ticket.id);
        if (!other || !canReadTicket(c.actor, other, useCaseContext(c).visibility)) return undefined;
        return {
          kind: r.kind,
          direction: openedFrom ? RelationDirection.OPENED_FROM : RelationDirection.OPENED_AS,
          ticket: other as unknown as TicketType,
        };
      }),
    );
    return related.filter((r): r is RelatedTicketType => r !== undefined);
  }
}
