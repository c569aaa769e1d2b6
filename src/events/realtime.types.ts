import { GraphQLSafeInt } from 'graphql-scalars';
import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { StatusCategoryEnum, asEnum } from '../server/enums.js';
import { Priority } from '../shared/enums.js';
import type { StatusCategory } from '../workflow/definition.js';
import { TicketEventType } from './event-types.js';

/** GraphQL shapes of the subscriptions (src/events/realtime.resolver.ts). */

/** The ticket facts both event filters take (the ticket's, when the event committed). */
@InputType()
export abstract class TicketFactsFilterInput {
  @Field(() => [ID], { nullable: true })
  ticketIds?: string[];

  @Field(() => [ID], { nullable: true })
  organizationIds?: string[];

  @Field(() => [ID], { nullable: true })
  teamIds?: string[];

  @Field(() => [ID], { nullable: true })
  assigneeIds?: string[];

  @Field(() => [Priority], { nullable: true })
  priorities?: Priority[];
}

@InputType('TicketEventFilter', {
  description:
    'Every list given must contain the event’s value; facts are the ticket’s when the event committed',
})
export class TicketEventFilterInput extends TicketFactsFilterInput {
  @Field(() => [StatusCategoryEnum], { nullable: true })
  statusCategories?: StatusCategory[];

  @Field(() => [TicketEventType], { nullable: true })
  types?: TicketEventType[];
}

export const SlaAlertKindEnum = asEnum(['WARNING', 'BREACH'] as const);
export type SlaAlertKind = keyof typeof SlaAlertKindEnum;
registerEnumType(SlaAlertKindEnum, { name: 'SlaAlertKind' });

@InputType('SlaAlertFilter')
export class SlaAlertFilterInput extends TicketFactsFilterInput {
  @Field(() => [SlaAlertKindEnum], { nullable: true, description: 'Default: both' })
  kinds?: SlaAlertKind[];
}

/** Root values are FeedEvents of type SLA_WARNING or SLA_BREACHED. */
@ObjectType('SlaAlert', { description: 'An SLA warning or breach, as it is recorded in the event log' })
export class SlaAlertType {
  @Field(() => GraphQLSafeInt, { description: 'Its position in the event log (resume with `after`)' })
  seq!: number;

  @Field()
  occurredAt!: Date;

  @Field({
    description:
      'A warning or breach found in history imported from another help desk (docs/IMPORT.md): only in replays (`after`), never live',
  })
  imported!: boolean;
}

@InputType('QueueStatsFilter')
export class QueueStatsFilterInput {
  @Field(() => [ID], { nullable: true })
  teamIds?: string[];

  @Field(() => [ID], { nullable: true })
  organizationIds?: string[];

  @Field(() => [ID], { nullable: true })
  assigneeIds?: string[];

  @Field(() => [Priority], { nullable: true })
  priorities?: Priority[];

  @Field(() => String, {
    nullable: true,
    description: 'IANA zone whose midnight starts "today" for breachedToday (default UTC)',
  })
  timeZone?: string;
}

@ObjectType('QueueStatusCount')
export class QueueStatusCountType {
  @Field({ description: 'Status key' })
  status!: string;

  @Field(() => StatusCategoryEnum)
  statusCategory!: StatusCategory;

  @Field(() => Int)
  count!: number;
}

@ObjectType('QueuePriorityCount')
export class QueuePriorityCountType {
  @Field(() => Priority)
  priority!: Priority;

  @Field(() => Int)
  count!: number;
}

@ObjectType('QueueStats', {
  description: 'Live wallboard counters, pushed when they change (at most once a second)',
})
export class QueueStatsType {
  @Field({ description: 'When these counts were taken' })
  at!: Date;

  @Field(() => GraphQLSafeInt, {
    description:
      'The event log position these counts include: subscribe to slaAlerts or ticketEvents with `after: seq` to follow on with no gap',
  })
  seq!: number;

  @Field(() => Int, { description: 'Tickets not resolved or closed' })
  open!: number;

  @Field(() => [QueueStatusCountType], { description: 'Open tickets by status' })
  byStatus!: QueueStatusCountType[];

  @Field(() => [QueuePriorityCountType], { description: 'Open tickets by priority' })
  byPriority!: QueuePriorityCountType[];

  @Field(() => Int, {
    description: 'Open tickets with an SLA target past its warning, not yet met or breached',
  })
  atRisk!: number;

  @Field(() => Int, { description: 'Tickets with an SLA target breached since midnight' })
  breachedToday!: number;

  @Field(() => Int, { description: 'Open tickets waiting on the requester' })
  waitingOnRequester!: number;
}
