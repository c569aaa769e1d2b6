import { GraphQLJSONObject, GraphQLSafeInt } from 'graphql-scalars';
import { Field, Int, ObjectType, registerEnumType } from 'type-graphql';
import { OrganizationType, TeamType, UserType } from '../directory/directory.types.js';
import { TicketEventType } from '../events/event-types.js';
import { ActorKindEnum, StatusCategoryEnum } from '../server/enums.js';
import { Node } from '../server/node.js';
import { UserError } from '../server/user-errors.js';
import { Channel, Priority, RelationKind } from '../shared/enums.js';
import type { ActorKind, StatusCategory } from '../workflow/definition.js';

/** GraphQL shapes of tickets. Resolvers receive entities as root values; relations resolve through loaders. */
@ObjectType('TicketStatus')
export class TicketStatusType {
  @Field()
  key!: string;

  @Field()
  name!: string;

  @Field(() => StatusCategoryEnum)
  category!: StatusCategory;
}

@ObjectType('TicketWorkflow', { description: 'The workflow version a ticket runs on' })
export class TicketWorkflowType {
  @Field()
  key!: string;

  @Field()
  name!: string;

  @Field(() => Int)
  version!: number;
}

@ObjectType('AllowedTransition')
export class AllowedTransitionType {
  @Field(() => TicketStatusType)
  to!: TicketStatusType;

  @Field()
  requiresReason!: boolean;

  @Field({ description: 'Whether this move reopens a resolved or closed ticket' })
  reopen!: boolean;
}

@ObjectType('Transition', { description: 'One status change in a ticket’s history' })
export class TransitionType {
  @Field(() => TicketStatusType, { nullable: true })
  from?: TicketStatusType;

  @Field(() => TicketStatusType)
  to!: TicketStatusType;

  @Field(() => String, { nullable: true })
  reason?: string | null;

  @Field(() => ActorKindEnum)
  actorKind!: ActorKind;

  @Field(() => UserType, { nullable: true })
  actor?: UserType;

  @Field()
  at!: Date;
}

/** Root values are FeedEvents (src/events/feed-event.ts); `actor` and `ticket` resolve in TicketEventResolver. */
@ObjectType('TicketEvent', { description: 'An entry of the ordered event log' })
export class TicketEventObject {
  @Field(() => GraphQLSafeInt, { description: 'Position in the log: commit order, gapless per reader' })
  seq!: number;

  @Field(() => TicketEventType)
  type!: TicketEventType;

  @Field(() => ActorKindEnum)
  actorKind!: ActorKind;

  @Field(() => GraphQLJSONObject, { description: 'Small, type-specific: ids and changed values' })
  payload!: Record<string, unknown>;

  @Field()
  occurredAt!: Date;

  @Field({
    description:
      'Written by importTicket(s): history from another help desk, at its original time. Present in the log and in replays (`after`), never pushed to live subscribers or notified',
  })
  imported!: boolean;
}

@ObjectType('Comment', { implements: Node })
export class CommentType extends Node {
  @Field()
  body!: string;

  @Field({ description: 'Internal notes are never shown to requesters' })
  internal!: boolean;

  @Field(() => ActorKindEnum)
  authorKind!: ActorKind;

  @Field(() => UserType, { nullable: true })
  author?: UserType;

  @Field()
  createdAt!: Date;
}

@ObjectType('PageInfo')
export class PageInfo {
  @Field()
  hasNextPage!: boolean;

  @Field(() => String, { nullable: true })
  endCursor?: string | null;
}

@ObjectType('CommentEdge')
export class CommentEdge {
  @Field()
  cursor!: string;

  @Field(() => CommentType)
  node!: CommentType;
}

@ObjectType('CommentConnection')
export class CommentConnection {
  @Field(() => [CommentEdge])
  edges!: CommentEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;
}

export enum RelationDirection {
  /** This ticket was opened from the related one. */
  OPENED_FROM = 'OPENED_FROM',
  /** The related ticket was opened from this one. */
  OPENED_AS = 'OPENED_AS',
}
registerEnumType(RelationDirection, { name: 'RelationDirection' });

@ObjectType('Ticket', { implements: Node })
export class TicketType extends Node {
  @Field({ description: 'Human reference, e.g. TCK-000042' })
  reference!: string;

  @Field()
  subject!: string;

  @Field()
  description!: string;

  @Field(() => Channel)
  channel!: Channel;

  @Field()
  category!: string;

  @Field(() => Priority)
  priority!: Priority;

  @Field(() => TicketStatusType)
  status!: TicketStatusType;

  @Field(() => Int)
  tier!: number;

  @Field(() => [String])
  tags!: string[];

  @Field(() => String, {
    nullable: true,
    description: 'Imported tickets (importTickets): the ticket’s id in the help desk it came from',
  })
  externalId?: string | null;

  @Field(() => Int, { description: 'Optimistic-locking version: pass it back as expectedVersion' })
  version!: number;

  @Field()
  createdAt!: Date;

  @Field()
  updatedAt!: Date;

  @Field(() => Date, { nullable: true, description: 'When an agent first replied in public' })
  firstRespondedAt?: Date;

  @Field(() => UserType)
  requester!: UserType;

  @Field(() => UserType, { nullable: true })
  assignee?: UserType;

  @Field(() => TeamType, { nullable: true })
  team?: TeamType;

  @Field(() => OrganizationType, { nullable: true })
  organization?: OrganizationType;

  @Field(() => TicketWorkflowType)
  workflow!: TicketWorkflowType;

  @Field(() => Int, { description: 'Comments the viewer can see' })
  commentCount!: number;

  @Field(() => CommentConnection)
  comments!: CommentConnection;

  @Field(() => [TransitionType], { description: 'Status history, oldest first' })
  transitions!: TransitionType[];

  @Field(() => [TicketEventObject], { description: 'This ticket’s events the viewer may see, oldest first' })
  events!: TicketEventObject[];

  @Field(() => [RelatedTicketType])
  relatedTickets!: RelatedTicketType[];

  @Field(() => [AllowedTransitionType], { description: 'Moves the viewer may make from the current status' })
  allowedTransitions!: AllowedTransitionType[];
}

@ObjectType('RelatedTicket')
export class RelatedTicketType {
  @Field(() => RelationKind)
  kind!: RelationKind;

  @Field(() => RelationDirection)
  direction!: RelationDirection;

  @Field(() => TicketType)
  ticket!: TicketType;
}

@ObjectType('TicketEdge')
export class TicketEdge {
  @Field()
  cursor!: string;

  @Field(() => TicketType)
  node!: TicketType;
}

@ObjectType('TicketConnection')
export class TicketConnection {
  @Field(() => [TicketEdge])
  edges!: TicketEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;

  @Field(() => Int, { description: 'Tickets matching the filter, across all pages' })
  totalCount!: number;
}

const ERRORS_DOC = 'Empty when the mutation succeeded; otherwise nothing was written';

@ObjectType('TicketPayload', { description: 'The result of a change to one ticket' })
export class TicketPayload {
  @Field(() => [UserError], { description: ERRORS_DOC })
  errors!: UserError[];

  @Field(() => TicketType, { nullable: true })
  ticket?: TicketType | null;
}

@ObjectType('AddCommentPayload')
export class AddCommentPayload {
  @Field(() => [UserError], { description: ERRORS_DOC })
  errors!: UserError[];

  @Field(() => CommentType, { nullable: true })
  comment?: CommentType | null;

  @Field(() => TicketType, { nullable: true, description: 'The ticket the comment landed on' })
  ticket?: TicketType | null;

  @Field({ description: 'True when the workflow opened a follow-up ticket for this reply (a closed ticket)' })
  createdFollowUp!: boolean;
}
