import { Field, ID, InputType, Int } from 'type-graphql';
import { StatusCategoryEnum } from '../server/enums.js';
import { Channel, Priority, RelationKind } from '../shared/enums.js';
import type { StatusCategory } from '../workflow/definition.js';

/** Inputs have their own classes; ids are global ids or UUIDs, parsed by the resolvers. */
@InputType()
export class RelatedToInput {
  @Field(() => ID)
  ticketId!: string;

  @Field(() => RelationKind)
  kind!: RelationKind;
}

@InputType()
export class CreateTicketInput {
  @Field({ description: 'At most 200 characters' })
  subject!: string;

  @Field({ description: 'At most 20,000 characters' })
  description!: string;

  @Field(() => Channel)
  channel!: Channel;

  @Field(() => Priority, { nullable: true, description: 'Defaults to the plan’s priority, then MEDIUM' })
  priority?: Priority;

  @Field(() => String, {
    nullable: true,
    description: 'Agents only; otherwise set from the text by the workflow’s rules',
  })
  category?: string;

  @Field(() => ID, { nullable: true, description: 'Agents and partners: whom the ticket is for' })
  requesterId?: string;

  @Field(() => String, {
    nullable: true,
    description:
      'Agents and partners, instead of requesterId: the requester by email, created on first sight',
  })
  requesterEmail?: string;

  @Field(() => String, { nullable: true, description: 'With requesterEmail: the name of a new requester' })
  requesterName?: string;

  @Field(() => String, { nullable: true, description: 'Agents only: the workflow to use' })
  workflowKey?: string;

  @Field(() => ID, { nullable: true })
  teamId?: string;

  @Field(() => [String], { nullable: true })
  tags?: string[];

  @Field(() => RelatedToInput, {
    nullable: true,
    description: 'Open as a follow-up or revision of another ticket',
  })
  relatedTo?: RelatedToInput;
}

@InputType()
export class UpdateTicketInput {
  @Field(() => ID)
  ticketId!: string;

  @Field(() => Int, { nullable: true })
  expectedVersion?: number;

  @Field(() => String, { nullable: true })
  subject?: string;

  @Field(() => String, { nullable: true })
  description?: string;

  @Field(() => String, { nullable: true })
  category?: string;

  @Field(() => Priority, { nullable: true })
  priority?: Priority;

  @Field(() => ID, { nullable: true, description: 'null removes the team' })
  teamId?: string | null;

  @Field(() => [String], { nullable: true })
  addTags?: string[];

  @Field(() => [String], { nullable: true })
  removeTags?: string[];
}

@InputType()
export class AddCommentInput {
  @Field(() => ID)
  ticketId!: string;

  @Field()
  body!: string;

  @Field({ defaultValue: false, description: 'An internal note, hidden from requesters (agents only)' })
  internal!: boolean;

  @Field(() => String, { nullable: true, description: 'Agents: also move the ticket to this status' })
  status?: string;

  @Field(() => String, { nullable: true })
  reason?: string;

  @Field(() => Int, { nullable: true })
  expectedVersion?: number;

  @Field(() => [ID], {
    nullable: true,
    description: 'Files uploaded with createAttachmentUpload links that this comment takes (docs/INBOUND.md)',
  })
  attachmentIds?: string[];
}

@InputType()
export class AssignTicketInput {
  @Field(() => ID)
  ticketId!: string;

  @Field(() => ID, { nullable: true, description: 'null unassigns' })
  assigneeId?: string | null;

  @Field(() => Int, { nullable: true })
  expectedVersion?: number;
}

@InputType()
export class EscalateTicketInput {
  @Field(() => ID)
  ticketId!: string;

  @Field(() => Int, { nullable: true, description: 'Defaults to the next tier' })
  toTier?: number;

  @Field()
  reason!: string;

  @Field(() => Int, { nullable: true })
  expectedVersion?: number;
}

@InputType()
export class TransitionTicketInput {
  @Field(() => ID)
  ticketId!: string;

  @Field({ description: 'The status key to move to' })
  to!: string;

  @Field(() => Int, {
    description: 'The version you saw; a different current version is a STALE_VERSION error',
  })
  expectedVersion!: number;

  @Field(() => String, { nullable: true })
  reason?: string;
}

@InputType()
export class TicketFilterInput {
  @Field(() => [String], { nullable: true })
  status?: string[];

  @Field(() => [StatusCategoryEnum], { nullable: true })
  statusCategory?: StatusCategory[];

  @Field(() => [Priority], { nullable: true })
  priority?: Priority[];

  @Field(() => [Channel], { nullable: true })
  channel?: Channel[];

  @Field(() => ID, { nullable: true })
  assigneeId?: string;

  @Field(() => Boolean, { nullable: true })
  unassigned?: boolean;

  @Field(() => ID, { nullable: true })
  teamId?: string;

  @Field(() => Int, { nullable: true })
  tier?: number;

  @Field(() => ID, { nullable: true })
  requesterId?: string;

  @Field(() => ID, { nullable: true })
  organizationId?: string;

  @Field(() => String, { nullable: true })
  tag?: string;

  @Field(() => String, { nullable: true, description: 'Words to find in the subject and description' })
  search?: string;
}
