import { Field, ID, InputType, Int, ObjectType, Float, registerEnumType } from 'type-graphql';
import { SurveyScaleEnum } from '../server/enums.js';
import { UserError } from '../server/user-errors.js';
import { TicketType } from '../ticket/ticket.types.js';
import type { SurveyScale } from './rules.js';

/** GraphQL shapes of notifications, templates, participants and satisfaction surveys. */
export enum DeliveryStatusEnum {
  QUEUED = 'QUEUED',
  SENDING = 'SENDING',
  SENT = 'SENT',
  FAILED = 'FAILED',
}
registerEnumType(DeliveryStatusEnum, {
  name: 'DeliveryStatus',
  description: 'QUEUED (waiting for its next attempt), SENDING (a worker has it), SENT, FAILED (given up)',
});

export enum TemplateSourceEnum {
  DEFAULT = 'DEFAULT',
  SHARED = 'SHARED',
  WORKFLOW = 'WORKFLOW',
}
registerEnumType(TemplateSourceEnum, {
  name: 'NotificationTemplateSource',
  description: 'DEFAULT (shipped), SHARED (saved for every workflow) or WORKFLOW (saved for one)',
});

@ObjectType('NotificationMessage', { description: 'One message of the outbox and its delivery (staff)' })
export class NotificationMessageType {
  @Field(() => ID)
  id!: string;

  @Field({ description: 'The Message-ID it is sent with, the same on every attempt' })
  messageId!: string;

  @Field()
  recipient!: string;

  @Field({ description: 'REQUESTER, PARTICIPANT, ASSIGNEE, TEAM or FOLLOWER' })
  recipientRole!: string;

  @Field()
  template!: string;

  @Field()
  subject!: string;

  @Field({ description: 'Reminders and notices carry Auto-Submitted: auto-generated' })
  automatic!: boolean;

  @Field(() => DeliveryStatusEnum)
  status!: DeliveryStatusEnum;

  @Field(() => Int)
  attempts!: number;

  @Field(() => Int)
  maxAttempts!: number;

  @Field(() => String, { nullable: true, description: 'The last SMTP answer (or where the file went)' })
  lastResponse?: string | null;

  @Field(() => String, { nullable: true })
  lastError?: string | null;

  @Field(() => Date, {
    nullable: true,
    description: 'Next attempt (QUEUED) or end of the current lease (SENDING)',
  })
  nextAttemptAt?: Date | null;

  @Field({ description: 'The event that caused it' })
  eventSeq!: number;

  @Field()
  createdAt!: Date;

  @Field(() => Date, { nullable: true })
  sentAt?: Date | null;

  @Field(() => TicketType)
  ticket!: TicketType;

  /** Not exposed: used to load `ticket`. */
  ticketId!: string;
}

@ObjectType('NotificationTemplate')
export class NotificationTemplateType {
  @Field()
  key!: string;

  @Field(() => String, { nullable: true, description: 'The workflow it is saved for; null: every workflow' })
  workflowKey?: string | null;

  @Field(() => TemplateSourceEnum)
  source!: TemplateSourceEnum;

  @Field(() => String, { nullable: true })
  description?: string | null;

  @Field({ description: 'Liquid' })
  subject!: string;

  @Field({ description: 'Liquid: the plain-text part' })
  text!: string;

  @Field({ description: 'Liquid: the HTML part (every output escaped unless ended with | raw)' })
  html!: string;

  @Field(() => Date, { nullable: true })
  updatedAt?: Date | null;
}

@InputType()
export class NotificationTemplateSourceInput {
  @Field()
  subject!: string;

  @Field()
  text!: string;

  @Field()
  html!: string;
}

@InputType()
export class SaveNotificationTemplateInput extends NotificationTemplateSourceInput {
  @Field({ description: 'e.g. "reminder" (replaces the shipped one) or a new key of your own' })
  key!: string;

  @Field(() => String, { nullable: true, description: 'Only for this workflow; absent: every workflow' })
  workflowKey?: string | null;
}

@ObjectType()
export class NotificationTemplatePayload {
  @Field(() => [UserError])
  errors!: UserError[];

  @Field(() => NotificationTemplateType, { nullable: true })
  template?: NotificationTemplateType | null;
}

@ObjectType()
export class DeleteNotificationTemplatePayload {
  @Field(() => [UserError])
  errors!: UserError[];

  @Field({ description: 'Whether a saved template was removed' })
  deleted!: boolean;
}

@ObjectType('RenderedNotification')
export class RenderedNotificationType {
  @Field()
  subject!: string;

  @Field()
  text!: string;

  @Field()
  html!: string;
}

@InputType()
export class AddParticipantInput {
  @Field(() => ID)
  ticketId!: string;

  @Field({
    description: 'A colleague of your organization (requesters), or anyone (agents); created on first sight',
  })
  email!: string;

  @Field(() => String, { nullable: true, description: 'The name of a person created on first sight' })
  name?: string | null;

  @Field(() => Int, { nullable: true })
  expectedVersion?: number | null;
}

@InputType()
export class RemoveParticipantInput {
  @Field(() => ID)
  ticketId!: string;

  @Field(() => ID)
  userId!: string;

  @Field(() => Int, { nullable: true })
  expectedVersion?: number | null;
}

@ObjectType('Satisfaction', { description: 'A ticket’s latest satisfaction survey' })
export class SatisfactionType {
  @Field(() => SurveyScaleEnum)
  scale!: SurveyScale;

  @Field(() => String, { nullable: true, description: '"good"/"bad" or "1"–"5"; null until rated' })
  rating?: string | null;

  @Field(() => Boolean, { nullable: true, description: 'Good: GOOD_BAD good, or 4–5' })
  good?: boolean | null;

  @Field(() => String, { nullable: true })
  comment?: string | null;

  @Field()
  openedAt!: Date;

  @Field({ description: 'Until when the rating can be given or changed' })
  closesAt!: Date;

  @Field()
  open!: boolean;

  @Field(() => Date, { nullable: true })
  ratedAt?: Date | null;
}

@InputType()
export class RateTicketInput {
  @Field(() => ID)
  ticketId!: string;

  @Field({ description: '"good"/"bad" (GOOD_BAD) or "1"–"5" (ONE_TO_FIVE)' })
  rating!: string;

  @Field(() => String, { nullable: true })
  comment?: string | null;
}

@ObjectType()
export class RateTicketPayload {
  @Field(() => [UserError])
  errors!: UserError[];

  @Field(() => TicketType, { nullable: true })
  ticket?: TicketType | null;

  @Field(() => SatisfactionType, { nullable: true })
  satisfaction?: SatisfactionType | null;
}

@ObjectType('CsatGroup', { description: 'Satisfaction ratings of a group of tickets (by creation)' })
export class CsatGroupType {
  @Field()
  key!: string;

  @Field()
  label!: string;

  @Field(() => Int, { description: 'Tickets with a survey' })
  surveys!: number;

  @Field(() => Int, { description: 'Tickets rated (their latest rating counts)' })
  rated!: number;

  @Field(() => Int)
  good!: number;

  @Field(() => Int)
  bad!: number;

  @Field(() => Float, { nullable: true, description: 'CSAT: good / rated' })
  goodShare?: number;

  @Field(() => Float, { nullable: true, description: 'Mean on 1–5 (good 5, bad 1)' })
  averageRating?: number;
}
