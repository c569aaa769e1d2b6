import { GraphQLError } from 'graphql';
import { GraphQLSafeInt } from 'graphql-scalars';
import { IANAZone } from 'luxon';
import type { SubscribeResolverData } from 'type-graphql';
import { Arg, Ctx, FieldResolver, ID, Int, Resolver, Root, Subscription } from 'type-graphql';
import { isStaff } from '../access/policy.js';
import type { AuthedContext, RealtimeConnection, RequestContext } from '../server/context.js';
import { parseId, toGlobalId } from '../server/global-id.js';
import { authed, query } from '../server/guard.js';
import { SlaTargetKindEnum } from '../sla/sla.types.js';
import type { SlaTargetKind } from '../sla/policy-definition.js';
import { InvalidInputError, NotPermittedError } from '../shared/errors.js';
import { TicketType, TicketEventObject } from '../ticket/ticket.types.js';
import { UserType } from '../directory/directory.types.js';
import { CloseCodes } from './close-codes.js';
import type { Audience, EventFilter } from './event-filter.js';
import { TicketEventType } from './event-types.js';
import type { FeedEvent } from './feed-event.js';
import type { QueueStats } from './queue-stats.js';
import {
  QueueStatsFilterInput,
  QueueStatsType,
  SlaAlertFilterInput,
  SlaAlertKindEnum,
  SlaAlertType,
  TicketEventFilterInput,
  type TicketFactsFilterInput,
  type SlaAlertKind,
} from './realtime.types.js';

/**
 * The three subscriptions. Their `subscribe` functions check the caller and the arguments once and
 * return the caller's stream; the methods below declare the arguments and pass each pushed value on
 * (buildDocketSchema serves that part as a plain identity, and src/server/ws.ts runs it once per event
 * for all subscribers sharing a document, variables and rights).
 */
type Data = SubscribeResolverData<unknown, Record<string, unknown>, RequestContext>;

function connection(ctx: RequestContext): { c: AuthedContext; rt: RealtimeConnection } {
  const c = authed(ctx);
  if (!ctx.realtime)
    throw new GraphQLError('Subscriptions run over a WebSocket (graphql-ws protocol) on this same /graphql', {
      extensions: { code: 'BAD_REQUEST' },
    });
  return { c, rt: ctx.realtime };
}

const audienceOf = (c: AuthedContext): Audience => ({
  actor: c.actor,
  visibility: { requestersSeeOrganizationTickets: c.config.requestersSeeOrganizationTickets },
});

type Plain<T> = { [K in keyof T]?: T[K] | null };

/** A list argument: absent or null is "any"; ids may be global or bare UUIDs. */
function ids(type: string, list: readonly string[] | null | undefined, field: string): string[] | undefined {
  return list === null || list === undefined
    ? undefined
    : list.map((v, i) => parseId(type, v, `${field}[${i}]`));
}
const list = <T>(v: readonly T[] | null | undefined): T[] | undefined =>
  v === null || v === undefined ? undefined : [...v];

/** The ticket facts of either event filter, ids parsed. */
const factsFilter = (f: Plain<TicketFactsFilterInput>): EventFilter => ({
  ticketIds: ids('Ticket', f.ticketIds, 'filter.ticketIds'),
  organizationIds: ids('Organization', f.organizationIds, 'filter.organizationIds'),
  teamIds: ids('Team', f.teamIds, 'filter.teamIds'),
  assigneeIds: ids('User', f.assigneeIds, 'filter.assigneeIds'),
  priorities: list(f.priorities),
});

function afterArg(v: unknown): number | undefined {
  if (v === null || v === undefined) return undefined;
  if (typeof v !== 'number' || v < 0) throw InvalidInputError.field('after', 'must be a sequence number ≥ 0');
  return v;
}

function overflow(rt: RealtimeConnection) {
  return () =>
    rt.close(CloseCodes.SLOW_CONSUMER, 'Too slow to keep up: reconnect and resubscribe with `after`');
}

const ALERT_TYPES: Record<SlaAlertKind, TicketEventType> = {
  WARNING: TicketEventType.SLA_WARNING,
  BREACH: TicketEventType.SLA_BREACHED,
};

function subscribeTicketEvents({ args, context }: Data) {
  return query(async () => {
    const { c, rt } = connection(context);
    const f = (args.filter ?? {}) as Plain<TicketEventFilterInput>;
    const filter: EventFilter = {
      ...factsFilter(f),
      statusCategories: list(f.statusCategories),
      types: list(f.types),
    };
    return rt.hub.events(audienceOf(c), filter, afterArg(args.after), overflow(rt));
  });
}

function subscribeSlaAlerts({ args, context }: Data) {
  return query(async () => {
    const { c, rt } = connection(context);
    const f = (args.filter ?? {}) as Plain<SlaAlertFilterInput>;
    const kinds = list(f.kinds) ?? (Object.keys(ALERT_TYPES) as SlaAlertKind[]);
    const filter: EventFilter = { ...factsFilter(f), types: kinds.map((k) => ALERT_TYPES[k]) };
    return rt.hub.events(audienceOf(c), filter, afterArg(args.after), overflow(rt));
  });
}

function subscribeQueueStats({ args, context }: Data) {
  return query(async () => {
    const { c, rt } = connection(context);
    if (!isStaff(c.actor)) throw new NotPermittedError('see queue statistics');
    const f = (args.filter ?? {}) as Plain<QueueStatsFilterInput>;
    const timeZone = f.timeZone ?? 'UTC';
    if (!IANAZone.isValidZone(timeZone))
      throw InvalidInputError.field('filter.timeZone', `is not an IANA time zone: ${timeZone}`);
    return rt.hub.queueStats({
      teamIds: ids('Team', f.teamIds, 'filter.teamIds'),
      organizationIds: ids('Organization', f.organizationIds, 'filter.organizationIds'),
      assigneeIds: ids('User', f.assigneeIds, 'filter.assigneeIds'),
      priorities: list(f.priorities),
      timeZone,
    });
  });
}

@Resolver()
export class RealtimeResolver {
  @Subscription(() => TicketEventObject, {
    subscribe: subscribeTicketEvents,
    description:
      'Events of the log as they commit, whichever process made them. With `after`: first every stored event after ' +
      'that sequence that matches, then live ones, with no gap and no duplicate. Requesters get only their tickets’ ' +
      'public events.',
  })
  ticketEvents(
    @Root() event: FeedEvent,
    @Arg('filter', () => TicketEventFilterInput, { nullable: true }) _filter?: TicketEventFilterInput,
    @Arg('after', () => GraphQLSafeInt, {
      nullable: true,
      description: 'The last `seq` this client received',
    })
    _after?: number,
  ): FeedEvent {
    return event;
  }

  @Subscription(() => SlaAlertType, {
    subscribe: subscribeSlaAlerts,
    description: 'SLA warnings and breaches as they are recorded (resumable with `after`, like ticketEvents)',
  })
  slaAlerts(
    @Root() event: FeedEvent,
    @Arg('filter', () => SlaAlertFilterInput, { nullable: true }) _filter?: SlaAlertFilterInput,
    @Arg('after', () => GraphQLSafeInt, { nullable: true }) _after?: number,
  ): FeedEvent {
    return event;
  }

  @Subscription(() => QueueStatsType, {
    subscribe: subscribeQueueStats,
    description:
      'Staff: wallboard counters, the current ones at once, then whenever one changes (at most once a second)',
  })
  queueStats(
    @Root() stats: QueueStats,
    @Arg('filter', () => QueueStatsFilterInput, { nullable: true }) _filter?: QueueStatsFilterInput,
  ): QueueStats {
    return stats;
  }
}

/** Fields of an event that come from elsewhere: who acted, and the ticket. */
@Resolver(() => TicketEventObject)
export class TicketEventResolver {
  @FieldResolver(() => ID, { description: 'The ticket’s global id' })
  ticketId(@Root() e: FeedEvent): string {
    return toGlobalId('Ticket', e.ticketId);
  }

  @FieldResolver(() => TicketType, { description: 'The ticket as it is now' })
  async ticket(@Root() e: FeedEvent, @Ctx() ctx: RequestContext) {
    return (await ctx.loaders.ticket.load(e.ticketId)) as never;
  }

  @FieldResolver(() => ID, {
    nullable: true,
    description: 'Audit (staff only): the API key a partner acted with (global id of an ApiKey)',
  })
  apiKeyId(@Root() e: FeedEvent, @Ctx() ctx: RequestContext): string | undefined {
    return e.apiKeyId && ctx.actor && isStaff(ctx.actor) ? toGlobalId('ApiKey', e.apiKeyId) : undefined;
  }

  @FieldResolver(() => UserType, { nullable: true })
  async actor(@Root() e: FeedEvent, @Ctx() ctx: RequestContext) {
    return e.actorId ? ((await ctx.loaders.user.load(e.actorId)) as never) : undefined;
  }
}

@Resolver(() => SlaAlertType)
export class SlaAlertResolver {
  @FieldResolver(() => SlaAlertKindEnum)
  kind(@Root() e: FeedEvent): SlaAlertKind {
    return e.type === TicketEventType.SLA_WARNING ? 'WARNING' : 'BREACH';
  }

  @FieldResolver(() => SlaTargetKindEnum, {
    description: 'The target: first response, next response or resolution',
  })
  target(@Root() e: FeedEvent): SlaTargetKind {
    return e.payload.kind as SlaTargetKind;
  }

  @FieldResolver(() => Int, { nullable: true, description: 'Warnings: the share of the target elapsed (%)' })
  percent(@Root() e: FeedEvent): number | undefined {
    return typeof e.payload.percent === 'number' ? e.payload.percent : undefined;
  }

  @FieldResolver(() => Date, { nullable: true, description: 'Warnings: when the target falls due' })
  dueAt(@Root() e: FeedEvent): Date | undefined {
    return typeof e.payload.dueAt === 'string' ? new Date(e.payload.dueAt) : undefined;
  }

  @FieldResolver(() => Date, { nullable: true, description: 'Breaches: when the target was breached' })
  breachedAt(@Root() e: FeedEvent): Date | undefined {
    return typeof e.payload.breachedAt === 'string' ? new Date(e.payload.breachedAt) : undefined;
  }

  @FieldResolver(() => ID)
  ticketId(@Root() e: FeedEvent): string {
    return toGlobalId('Ticket', e.ticketId);
  }

  @FieldResolver(() => TicketType)
  async ticket(@Root() e: FeedEvent, @Ctx() ctx: RequestContext) {
    return (await ctx.loaders.ticket.load(e.ticketId)) as never;
  }
}
