import { GraphQLSafeInt } from 'graphql-scalars';
import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { StatusCategoryEnum, asEnum } from '../server/enums.js';
import { UserError } from '../server/user-errors.js';
import { Priority } from '../shared/enums.js';
import type { StatusCategory } from '../workflow/definition.js';
import { TicketEventType } from '../events/event-types.js';
import { TicketEventFilterInput } from '../events/realtime.types.js';
import { TicketEventObject } from '../ticket/ticket.types.js';

/** GraphQL shapes of webhooks, their delivery log and the event export (src/webhooks). */

const ERRORS_DOC = 'Empty when the mutation succeeded; otherwise nothing was written';

@ObjectType('WebhookFilter', {
  description: 'Which events an endpoint receives: the ticketEvents vocabulary (every list given must match)',
})
export class WebhookFilterType {
  @Field(() => [ID], { nullable: true })
  ticketIds?: string[];

  @Field(() => [ID], { nullable: true })
  organizationIds?: string[];

  @Field(() => [ID], { nullable: true })
  teamIds?: string[];

  @Field(() => [ID], { nullable: true })
  assigneeIds?: string[];

  @Field(() => [StatusCategoryEnum], { nullable: true })
  statusCategories?: StatusCategory[];

  @Field(() => [Priority], { nullable: true })
  priorities?: Priority[];

  @Field(() => [TicketEventType], { nullable: true, description: 'The event types sent (default: all)' })
  types?: TicketEventType[];
}

@ObjectType('WebhookEndpoint', {
  description:
    'Where a partner receives its tickets’ events, signed per Standard Webhooks (docs/WEBHOOKS.md)',
})
export class WebhookEndpointType {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  partnerId!: string;

  @Field()
  url!: string;

  @Field()
  description!: string;

  @Field(() => WebhookFilterType)
  filter!: WebhookFilterType;

  @Field()
  enabled!: boolean;

  @Field({ nullable: true })
  disabledAt?: Date;

  @Field(() => String, {
    nullable: true,
    description: 'Why it was disabled (by hand, 410 Gone, the retry window)',
  })
  disabledReason?: string;

  @Field(() => GraphQLSafeInt, {
    description: 'Its cursor: the last event-log sequence queued for it (sent in order after those before)',
  })
  position!: number;

  @Field({ nullable: true, description: 'Deliveries have failed since then (none has succeeded)' })
  failingSince?: Date;

  @Field()
  createdAt!: Date;

  @Field()
  updatedAt!: Date;
}

@ObjectType('WebhookEndpointPayload')
export class WebhookEndpointPayload {
  @Field(() => [UserError], { description: ERRORS_DOC })
  errors!: UserError[];

  @Field(() => WebhookEndpointType, { nullable: true })
  endpoint?: WebhookEndpointType;

  @Field(() => String, {
    nullable: true,
    description: 'The signing secret (whsec_…), shown this once (create and rotate)',
  })
  secret?: string;
}

@InputType()
export class CreateWebhookEndpointInput {
  @Field(() => ID, { nullable: true, description: 'Admins: the partner; a partner key: its own (default)' })
  partnerId?: string;

  @Field({ description: 'https:// in production; private addresses are refused (WEBHOOK_ALLOW_PRIVATE)' })
  url!: string;

  @Field({ nullable: true })
  description?: string;

  @Field(() => TicketEventFilterInput, {
    nullable: true,
    description: 'Default: every event the partner may see',
  })
  filter?: TicketEventFilterInput;

  @Field({ nullable: true, description: 'Default true' })
  enabled?: boolean;
}

@InputType()
export class UpdateWebhookEndpointInput {
  @Field(() => ID)
  id!: string;

  @Field({ nullable: true })
  url?: string;

  @Field({ nullable: true })
  description?: string;

  @Field(() => TicketEventFilterInput, { nullable: true })
  filter?: TicketEventFilterInput;

  @Field({
    nullable: true,
    description: 'false: stop where it is; true again: resume from there (nothing missed)',
  })
  enabled?: boolean;
}

@InputType()
export class RotateWebhookSecretInput {
  @Field(() => ID)
  id!: string;

  @Field(() => Int, {
    nullable: true,
    description: 'Seconds the old secrets keep signing beside the new one (default 86400, at most 604800)',
  })
  overlapSeconds?: number;
}

export const WebhookDeliveryStatusEnum = asEnum(['QUEUED', 'SENDING', 'SENT', 'FAILED'] as const);
registerEnumType(WebhookDeliveryStatusEnum, { name: 'WebhookDeliveryStatus' });

@ObjectType('WebhookAttempt', { description: 'One try of a delivery' })
export class WebhookAttemptType {
  @Field(() => Int)
  attempt!: number;

  @Field({ description: 'The process that made it (host:pid)' })
  worker!: string;

  @Field()
  startedAt!: Date;

  @Field({ nullable: true, description: 'Empty: its worker died during it' })
  finishedAt?: Date;

  @Field(() => String, { nullable: true, description: 'SENT, RETRY or FAILED' })
  outcome?: string;

  @Field(() => Int, { nullable: true, description: 'The receiver’s HTTP status' })
  statusCode?: number;

  @Field(() => Int, { nullable: true })
  latencyMs?: number;

  @Field(() => String, {
    nullable: true,
    description: 'The start of the receiver’s answer (at most 1000 characters)',
  })
  responseExcerpt?: string;

  @Field(() => String, { nullable: true })
  error?: string;
}

@ObjectType('WebhookDelivery', { description: 'One event for one endpoint, with every attempt' })
export class WebhookDeliveryType {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  endpointId!: string;

  @Field({ description: 'The webhook-id header: the same on every retry, redelivery and replay' })
  webhookId!: string;

  @Field(() => GraphQLSafeInt)
  eventSeq!: number;

  @Field(() => TicketEventType, { nullable: true })
  eventType?: string;

  @Field(() => ID, { nullable: true })
  ticketId?: string;

  @Field(() => WebhookDeliveryStatusEnum)
  status!: string;

  @Field({ description: 'When it is tried next (queued) or its lease ends (sending)' })
  nextAttemptAt!: Date;

  @Field()
  createdAt!: Date;

  @Field({ nullable: true })
  sentAt?: Date;

  @Field(() => String, { nullable: true })
  lastError?: string;

  @Field(() => [WebhookAttemptType])
  attempts!: WebhookAttemptType[];
}

@InputType('WebhookDeliveryFilter')
export class WebhookDeliveryFilterInput {
  @Field(() => [WebhookDeliveryStatusEnum], { nullable: true })
  statuses?: string[];

  @Field(() => GraphQLSafeInt, { nullable: true, description: 'Deliveries of events after this sequence' })
  afterSeq?: number;

  @Field(() => GraphQLSafeInt, { nullable: true })
  eventSeq?: number;

  @Field(() => Int, {
    nullable: true,
    description: 'At most this many, newest first (default 50, at most 500)',
  })
  first?: number;
}

@ObjectType('WebhookDeliveryPayload')
export class WebhookDeliveryPayload {
  @Field(() => [UserError], { description: ERRORS_DOC })
  errors!: UserError[];

  @Field(() => WebhookDeliveryType, { nullable: true })
  delivery?: WebhookDeliveryType;
}

@ObjectType('EventLogEdge')
export class EventLogEdge {
  @Field({ description: 'The event’s seq, as text: pass it as `after` to go on' })
  cursor!: string;

  @Field(() => TicketEventObject)
  node!: TicketEventObject;
}

@ObjectType('EventLogPageInfo')
export class EventLogPageInfo {
  @Field()
  hasNextPage!: boolean;

  @Field(() => GraphQLSafeInt, {
    description:
      'Resume after this sequence: the last event returned, or the log position read up to when none matched',
  })
  endSeq!: number;
}

@ObjectType('EventLogConnection', {
  description: 'The event log after a cursor, with the caller’s visibility',
})
export class EventLogConnection {
  @Field(() => [EventLogEdge])
  edges!: EventLogEdge[];

  @Field(() => EventLogPageInfo)
  pageInfo!: EventLogPageInfo;
}

@InputType()
export class InvolvePartnerInput {
  @Field(() => ID)
  ticketId!: string;

  @Field(() => ID)
  partnerId!: string;

  @Field(() => Int, { nullable: true })
  expectedVersion?: number;
}
