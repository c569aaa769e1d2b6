import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { TicketType } from '../ticket/ticket.types.js';
import { INBOUND_REASONS } from './rules.js';

/** GraphQL shapes of inbound mail (staff). */
export enum InboundEmailStatusEnum {
  TICKET_CREATED = 'TICKET_CREATED',
  COMMENT_ADDED = 'COMMENT_ADDED',
  FOLLOW_UP_CREATED = 'FOLLOW_UP_CREATED',
  IGNORED = 'IGNORED',
  REJECTED = 'REJECTED',
}
registerEnumType(InboundEmailStatusEnum, {
  name: 'InboundEmailStatus',
  description:
    'What became of a received message: a ticket, a comment, a follow-up ticket; IGNORED (auto-replies, bounces, bulk, loops, rate limit: never answered) or REJECTED (with a reason)',
});

export const InboundEmailReasonEnum = Object.fromEntries(INBOUND_REASONS.map((r) => [r, r])) as Record<
  (typeof INBOUND_REASONS)[number],
  (typeof INBOUND_REASONS)[number]
>;
registerEnumType(InboundEmailReasonEnum, {
  name: 'InboundEmailReason',
  description: 'Why a message was ignored or refused (docs/INBOUND.md)',
});

@ObjectType('InboundEmail', {
  description: 'One message received by mail (staff): what became of it and why',
})
export class InboundEmailType {
  @Field(() => ID)
  id!: string;

  @Field()
  messageId!: string;

  @Field({ description: 'SMTP (the built-in listener) or HTTP (the raw-message endpoint)' })
  source!: string;

  @Field(() => String, { nullable: true })
  from?: string;

  @Field(() => [String], { description: 'Envelope recipients and To addresses' })
  recipients!: string[];

  @Field()
  subject!: string;

  @Field(() => InboundEmailStatusEnum)
  status!: InboundEmailStatusEnum;

  @Field(() => InboundEmailReasonEnum, { nullable: true })
  reason?: string;

  @Field(() => String, { nullable: true, description: 'Why, in words; notes such as attachments not kept' })
  detail?: string;

  @Field(() => Int, { description: 'Bytes of the raw message (kept whole)' })
  size!: number;

  @Field(() => String, {
    nullable: true,
    description: 'The full text, before quotes and signature were stripped',
  })
  text?: string;

  @Field()
  receivedAt!: Date;

  @Field(() => TicketType, { nullable: true })
  ticket?: TicketType;

  ticketId?: string;
}

@InputType()
export class SetOrganizationEmailDomainsInput {
  @Field(() => ID)
  organizationId!: string;

  @Field(() => [String], { description: 'Domains such as acme.example; an empty list clears them' })
  domains!: string[];
}
