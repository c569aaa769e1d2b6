import { GraphQLSafeInt } from 'graphql-scalars';
import { Arg, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import type { EventFilter } from '../events/event-filter.js';
import { TicketEventFilterInput } from '../events/realtime.types.js';
import { inTransaction, type AuthedContext, type RequestContext } from '../server/context.js';
import { parseId, parseOptionalId, toGlobalId } from '../server/global-id.js';
import { authed, mutate, query } from '../server/guard.js';
import { involvePartner, removeInvolvedPartner } from '../ticket/partners.js';
import { TicketPayload, type TicketType } from '../ticket/ticket.types.js';
import {
  listDeliveries,
  redeliver,
  replayEndpoint,
  retryPolicyOf,
  type DeliveryRecord,
} from './deliveries.js';
import {
  createEndpoint,
  deleteEndpoint,
  listEndpoints,
  rotateSecret,
  updateEndpoint,
  type WebhookEndpoint,
} from './endpoints.js';
import { readEventLog } from './export.js';
import {
  CreateWebhookEndpointInput,
  EventLogConnection,
  InvolvePartnerInput,
  RotateWebhookSecretInput,
  UpdateWebhookEndpointInput,
  WebhookDeliveryFilterInput,
  WebhookDeliveryPayload,
  WebhookDeliveryType,
  WebhookEndpointPayload,
  WebhookEndpointType,
} from './webhooks.types.js';

type Plain<T> = { [K in keyof T]?: T[K] | null };

const ids = (type: string, list: readonly string[] | null | undefined, field: string) =>
  list === null || list === undefined ? undefined : list.map((v, i) => parseId(type, v, `${field}[${i}]`));
const list = <T>(v: readonly T[] | null | undefined): T[] | undefined =>
  v === null || v === undefined ? undefined : [...v];

/** The ticketEvents filter vocabulary, ids parsed. */
function filterOf(f: Plain<TicketEventFilterInput> | null | undefined): EventFilter | undefined {
  if (!f) return undefined;
  const out: EventFilter = {
    ticketIds: ids('Ticket', f.ticketIds, 'filter.ticketIds'),
    organizationIds: ids('Organization', f.organizationIds, 'filter.organizationIds'),
    teamIds: ids('Team', f.teamIds, 'filter.teamIds'),
    assigneeIds: ids('User', f.assigneeIds, 'filter.assigneeIds'),
    priorities: list(f.priorities),
    statusCategories: list(f.statusCategories),
    types: list(f.types),
  };
  return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== undefined)) as EventFilter;
}

const globalIds = (type: string, v: readonly string[] | undefined) => v?.map((id) => toGlobalId(type, id));

function endpointView(e: WebhookEndpoint): WebhookEndpointType {
  return {
    ...e,
    id: toGlobalId('WebhookEndpoint', e.id),
    partnerId: toGlobalId('Partner', e.partnerId),
    filter: {
      ...e.filter,
      ticketIds: globalIds('Ticket', e.filter.ticketIds),
      organizationIds: globalIds('Organization', e.filter.organizationIds),
      teamIds: globalIds('Team', e.filter.teamIds),
      assigneeIds: globalIds('User', e.filter.assigneeIds),
    } as WebhookEndpointType['filter'],
  };
}

function deliveryView(d: DeliveryRecord): WebhookDeliveryType {
  return {
    ...d,
    id: toGlobalId('WebhookDelivery', d.id),
    endpointId: toGlobalId('WebhookEndpoint', d.endpointId),
    ticketId: d.ticketId ? toGlobalId('Ticket', d.ticketId) : undefined,
  };
}

const maxAttempts = (c: AuthedContext) => retryPolicyOf(c.config.webhooks).maxAttempts;

/**
 * Webhook endpoints, their delivery log and replay (admins for any partner; a partner key with
 * `webhooks:manage` for its own), the event export as a connection, and partners involved in tickets.
 */
@Resolver()
export class WebhooksResolver {
  @Query(() => [WebhookEndpointType], {
    description: 'Admins: every endpoint (or a partner’s); a partner key (webhooks:manage): its own',
  })
  async webhookEndpoints(
    @Ctx() ctx: RequestContext,
    @Arg('partnerId', () => ID, { nullable: true }) partnerId?: string,
  ): Promise<WebhookEndpointType[]> {
    const c = authed(ctx);
    return query(async () =>
      (
        await listEndpoints(c.em, c.actor, parseOptionalId('Partner', partnerId, 'partnerId') ?? undefined)
      ).map(endpointView),
    );
  }

  @Query(() => [WebhookDeliveryType], {
    description: 'An endpoint’s deliveries with every attempt, newest first (kept WEBHOOK_RETENTION_DAYS)',
  })
  async webhookDeliveries(
    @Ctx() ctx: RequestContext,
    @Arg('endpointId', () => ID) endpointId: string,
    @Arg('filter', () => WebhookDeliveryFilterInput, { nullable: true }) filter?: WebhookDeliveryFilterInput,
  ): Promise<WebhookDeliveryType[]> {
    const c = authed(ctx);
    return query(async () =>
      (
        await listDeliveries(c.em, c.actor, parseId('WebhookEndpoint', endpointId, 'endpointId'), {
          statuses: filter?.statuses ?? undefined,
          afterSeq: filter?.afterSeq ?? undefined,
          eventSeq: filter?.eventSeq ?? undefined,
          first: filter?.first ?? undefined,
        })
      ).map(deliveryView),
    );
  }

  @Query(() => EventLogConnection, {
    description:
      'The event log after `after` (a seq), oldest first, with the caller’s visibility (as ticketEvents): ' +
      'an export for loaders that catch up from any point. Also as NDJSON: GET /export/events',
  })
  async eventLog(
    @Ctx() ctx: RequestContext,
    @Arg('after', () => GraphQLSafeInt, { nullable: true, defaultValue: 0 }) after: number,
    @Arg('first', () => Int, {
      nullable: true,
      defaultValue: 100,
      description: 'At most 100, as every page size',
    })
    first: number,
    @Arg('filter', () => TicketEventFilterInput, { nullable: true })
    filter?: TicketEventFilterInput,
  ): Promise<EventLogConnection> {
    const c = authed(ctx);
    return query(async () => {
      const page = await readEventLog(
        c.em,
        {
          actor: c.actor,
          visibility: { requestersSeeOrganizationTickets: c.config.requestersSeeOrganizationTickets },
        },
        filterOf(filter) ?? {},
        after,
        first,
      );
      return {
        edges: page.events.map((e) => ({ cursor: String(e.seq), node: e as never })),
        pageInfo: { hasNextPage: page.hasNextPage, endSeq: page.endSeq },
      };
    });
  }

  @Mutation(() => WebhookEndpointPayload, {
    description:
      'A new endpoint (receives what commits from now on); the payload’s `secret` is shown this once',
  })
  async createWebhookEndpoint(
    @Arg('input') input: CreateWebhookEndpointInput,
    @Ctx() ctx: RequestContext,
  ): Promise<WebhookEndpointPayload> {
    const c = authed(ctx);
    return mutate(async () => {
      const made = await inTransaction(c, ({ em }) =>
        createEndpoint(
          em,
          c.actor,
          {
            partnerId: parseOptionalId('Partner', input.partnerId, 'partnerId') ?? undefined,
            url: input.url,
            description: input.description ?? undefined,
            filter: filterOf(input.filter),
            enabled: input.enabled ?? undefined,
          },
          c.config.webhooks,
          c.clock,
        ),
      );
      return { endpoint: endpointView(made.endpoint), secret: made.secret };
    });
  }

  @Mutation(() => WebhookEndpointPayload, {
    description: 'Change an endpoint; `enabled: false` stops it where it is, `true` resumes from there',
  })
  async updateWebhookEndpoint(
    @Arg('input') input: UpdateWebhookEndpointInput,
    @Ctx() ctx: RequestContext,
  ): Promise<WebhookEndpointPayload> {
    const c = authed(ctx);
    return mutate(async () => ({
      endpoint: endpointView(
        await inTransaction(c, ({ em }) =>
          updateEndpoint(
            em,
            c.actor,
            {
              id: parseId('WebhookEndpoint', input.id, 'id'),
              url: input.url ?? undefined,
              description: input.description ?? undefined,
              filter: filterOf(input.filter),
              enabled: input.enabled ?? undefined,
            },
            c.config.webhooks,
            c.clock,
          ),
        ),
      ),
    }));
  }

  @Mutation(() => WebhookEndpointPayload, {
    description: 'Delete an endpoint, its secrets and its delivery log',
  })
  async deleteWebhookEndpoint(
    @Arg('id', () => ID) id: string,
    @Ctx() ctx: RequestContext,
  ): Promise<WebhookEndpointPayload> {
    const c = authed(ctx);
    return mutate(async () => ({
      endpoint: endpointView(
        await inTransaction(c, ({ em }) => deleteEndpoint(em, c.actor, parseId('WebhookEndpoint', id, 'id'))),
      ),
    }));
  }

  @Mutation(() => WebhookEndpointPayload, {
    description:
      'A new signing secret (shown this once); the old ones keep signing beside it for overlapSeconds',
  })
  async rotateWebhookSecret(
    @Arg('input') input: RotateWebhookSecretInput,
    @Ctx() ctx: RequestContext,
  ): Promise<WebhookEndpointPayload> {
    const c = authed(ctx);
    return mutate(async () => {
      const r = await inTransaction(c, ({ em }) =>
        rotateSecret(
          em,
          c.actor,
          {
            id: parseId('WebhookEndpoint', input.id, 'id'),
            overlapSeconds: input.overlapSeconds ?? undefined,
          },
          c.clock,
        ),
      );
      return { endpoint: endpointView(r.endpoint), secret: r.secret };
    });
  }

  @Mutation(() => WebhookDeliveryPayload, {
    description: 'Send one delivery again now (same webhook-id), with a fresh allowance of attempts',
  })
  async redeliverWebhook(
    @Arg('deliveryId', () => ID) deliveryId: string,
    @Ctx() ctx: RequestContext,
  ): Promise<WebhookDeliveryPayload> {
    const c = authed(ctx);
    return mutate(async () => {
      const id = parseId('WebhookDelivery', deliveryId, 'deliveryId');
      const endpointId = await inTransaction(c, async ({ em }) => {
        await redeliver(em, c.actor, id, { now: c.clock.now(), maxAttempts: maxAttempts(c) });
        const [row] = await em.execute<{ ordering_key: string }[]>(
          'select ordering_key from outbox_delivery where id = ?',
          [id],
        );
        return row!.ordering_key;
      });
      const [d] = (await listDeliveries(c.em, c.actor, endpointId, { first: 500 })).filter(
        (x) => x.id === id,
      );
      return { delivery: d ? deliveryView(d) : undefined };
    });
  }

  @Mutation(() => WebhookEndpointPayload, {
    description:
      'Send every event the endpoint may see again, from `fromSeq` on, in order, before anything newer',
  })
  async replayWebhookEndpoint(
    @Arg('endpointId', () => ID) endpointId: string,
    @Arg('fromSeq', () => GraphQLSafeInt) fromSeq: number,
    @Ctx() ctx: RequestContext,
  ): Promise<WebhookEndpointPayload> {
    const c = authed(ctx);
    return mutate(async () => ({
      endpoint: endpointView(
        await inTransaction(c, ({ em }) =>
          replayEndpoint(em, c.actor, { id: parseId('WebhookEndpoint', endpointId, 'endpointId'), fromSeq }),
        ),
      ),
    }));
  }

  @Mutation(() => TicketPayload, {
    description:
      'Staff: involve a partner in a ticket it did not open (seed 001); it then reads, comments and receives its events',
  })
  async involvePartner(
    @Arg('input') input: InvolvePartnerInput,
    @Ctx() ctx: RequestContext,
  ): Promise<TicketPayload> {
    const c = authed(ctx);
    return mutate(async () => ({
      ticket: (await inTransaction(c, (u) =>
        involvePartner(u, {
          ticketId: parseId('Ticket', input.ticketId, 'ticketId'),
          partnerId: parseId('Partner', input.partnerId, 'partnerId'),
          expectedVersion: input.expectedVersion ?? undefined,
        }),
      )) as unknown as TicketType,
    }));
  }

  @Mutation(() => TicketPayload, { description: 'Staff: end a partner’s involvement in a ticket' })
  async removeInvolvedPartner(
    @Arg('input') input: InvolvePartnerInput,
    @Ctx() ctx: RequestContext,
  ): Promise<TicketPayload> {
    const c = authed(ctx);
    return mutate(async () => ({
      ticket: (await inTransaction(c, (u) =>
        removeInvolvedPartner(u, {
          ticketId: parseId('Ticket', input.ticketId, 'ticketId'),
          partnerId: parseId('Partner', input.partnerId, 'partnerId'),
          expectedVersion: input.expectedVersion ?? undefined,
        }),
      )) as unknown as TicketType,
    }));
  }
}
