import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { asEnum } from '../server/enums.js';
import { UserError } from '../server/user-errors.js';
import { Channel, Priority } from '../shared/enums.js';
import { TicketType } from '../ticket/ticket.types.js';
import type { ImportAuthorKind } from './history.js';

/** GraphQL shapes of importing history (src/import, docs/IMPORT.md). Inputs have their own classes. */
export const ImportAuthorKindEnum = asEnum(['REQUESTER', 'AGENT', 'PARTNER'] as const);
registerEnumType(ImportAuthorKindEnum, {
  name: 'ImportAuthorKind',
  description: 'Who wrote an imported comment',
  valuesConfig: {
    REQUESTER: { description: 'The ticket’s requester' },
    AGENT: { description: 'Staff: the agent or admin named by authorEmail, or an agent no longer known' },
    PARTNER: { description: 'The importing partner platform (partner keys only)' },
  },
});

@InputType()
export class ImportCommentInput {
  @Field({ description: 'When it was written: not in the future, not before createdAt, in order' })
  at!: Date;

  @Field({ description: 'At most 50,000 characters' })
  body!: string;

  @Field(() => ImportAuthorKindEnum)
  authorKind!: ImportAuthorKind;

  @Field(() => String, {
    nullable: true,
    description: 'AGENT only: the agent or admin, by email (must exist in Docket)',
  })
  authorEmail?: string;

  @Field({ defaultValue: false, description: 'An internal note (AGENT only)' })
  internal!: boolean;
}

@InputType()
export class ImportStatusChangeInput {
  @Field({ description: 'When it happened: not in the future, not before createdAt, in order' })
  at!: Date;

  @Field({ description: 'A status key of the ticket’s workflow, reachable from the previous one' })
  to!: string;

  @Field(() => String, { nullable: true })
  reason?: string;

  @Field(() => String, {
    nullable: true,
    description: 'The agent or admin who made it, by email (must exist); default: the importer',
  })
  byEmail?: string;
}

@InputType()
export class ImportTicketInput {
  @Field({
    description:
      'The ticket’s id in the help desk it comes from (1–200 characters): importing it again is recognised',
  })
  externalId!: string;

  @Field({ description: 'When the ticket was opened there (not in the future)' })
  createdAt!: Date;

  @Field({ description: 'At most 200 characters' })
  subject!: string;

  @Field({ description: 'At most 20,000 characters' })
  description!: string;

  @Field(() => Channel)
  channel!: Channel;

  @Field(() => Priority, { nullable: true, description: 'Defaults to the plan’s priority, then MEDIUM' })
  priority?: Priority;

  @Field(() => String, { nullable: true, description: 'Admins only; otherwise set from the text' })
  category?: string;

  @Field(() => ID, { nullable: true })
  requesterId?: string;

  @Field(() => String, {
    nullable: true,
    description: 'Instead of requesterId: the requester by email, created on first sight',
  })
  requesterEmail?: string;

  @Field(() => String, { nullable: true })
  requesterName?: string;

  @Field(() => String, { nullable: true, description: 'Admins only: the workflow to use' })
  workflowKey?: string;

  @Field(() => ID, { nullable: true, description: 'Admins only' })
  teamId?: string;

  @Field(() => [String], { nullable: true })
  tags?: string[];

  @Field(() => String, { nullable: true, description: 'Admins only: the assigned agent or admin, by email' })
  assigneeEmail?: string;

  @Field(() => [ImportCommentInput], { nullable: true, description: 'In the order they were written' })
  comments?: ImportCommentInput[];

  @Field(() => [ImportStatusChangeInput], {
    nullable: true,
    description: 'In the order they happened, starting from the workflow’s initial status',
  })
  statusChanges?: ImportStatusChangeInput[];
}

@InputType()
export class ImportTicketsInput {
  @Field(() => [ImportTicketInput], { description: 'At most 1,000 tickets' })
  tickets!: ImportTicketInput[];
}

const ERRORS_DOC =
  'Empty when the ticket was imported (or found imported); otherwise nothing of it was written';

@ObjectType('ImportTicketPayload')
export class ImportTicketPayload {
  @Field(() => [UserError], { description: ERRORS_DOC })
  errors!: UserError[];

  @Field(() => TicketType, { nullable: true })
  ticket?: TicketType | null;

  @Field({
    description:
      'True: imported now. False: this external id was imported before with the same history (nothing written) or the import failed',
  })
  created!: boolean;
}

@ObjectType('ImportTicketResult', { description: 'One item of an importTickets batch' })
export class ImportTicketResultType {
  @Field(() => Int, { description: 'The item’s position in `tickets`' })
  index!: number;

  @Field()
  externalId!: string;

  @Field(() => [UserError], { description: `${ERRORS_DOC}; fields are named tickets[index].…` })
  errors!: UserError[];

  @Field(() => TicketType, { nullable: true })
  ticket?: TicketType | null;

  @Field({ description: 'True: imported now; false: found imported before, or refused' })
  created!: boolean;
}

@ObjectType('ImportTicketsPayload')
export class ImportTicketsPayload {
  @Field(() => [UserError], {
    description: 'Problems with the batch as a whole (too many tickets): then nothing was imported',
  })
  errors!: UserError[];

  @Field(() => [ImportTicketResultType], { description: 'One per ticket, in order' })
  results!: ImportTicketResultType[];

  @Field(() => Int, { description: 'Tickets imported by this call' })
  created!: number;

  @Field(() => Int, { description: 'Tickets found imported before with the same history' })
  unchanged!: number;

  @Field(() => Int, { description: 'Tickets refused (see their errors)' })
  failed!: number;
}
