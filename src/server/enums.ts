import { registerEnumType } from 'type-graphql';
import { TicketEventType } from '../events/event-types.js';
import { Channel, Priority, RelationKind, Role } from '../shared/enums.js';
import {
  ACTOR_KINDS,
  ASSIGNMENT_STEPS,
  OUTSIDE_HOURS_ACTIONS,
  REPLY_ACTIONS,
  STATUS_CATEGORIES,
  TIMER_ACTIONS,
} from '../workflow/definition.js';
import { NOTIFICATION_RECIPIENTS, NOTIFICATION_TRIGGERS, SURVEY_SCALES } from '../notify/rules.js';

/** Every enum the schema exposes, registered once. */
export const asEnum = <T extends string>(values: readonly T[]) =>
  Object.fromEntries(values.map((v) => [v, v])) as { [K in T]: K };

export const StatusCategoryEnum = asEnum(STATUS_CATEGORIES);
export const ActorKindEnum = asEnum(ACTOR_KINDS);
export const ReplyActionEnum = asEnum(REPLY_ACTIONS);
export const TimerActionEnum = asEnum(TIMER_ACTIONS);
export const NotificationTriggerEnum = asEnum(NOTIFICATION_TRIGGERS);
export const NotificationRecipientEnum = asEnum(NOTIFICATION_RECIPIENTS);
export const SurveyScaleEnum = asEnum(SURVEY_SCALES);
export const AssignmentStepEnum = asEnum(ASSIGNMENT_STEPS);
export const OutsideHoursActionEnum = asEnum(OUTSIDE_HOURS_ACTIONS);

export enum TicketOrder {
  /** Priority (critical first), then oldest first: how seeds 001, 002 and 004 work their queues. */
  QUEUE = 'QUEUE',
  CREATED_AT_ASC = 'CREATED_AT_ASC',
  CREATED_AT_DESC = 'CREATED_AT_DESC',
  UPDATED_AT_DESC = 'UPDATED_AT_DESC',
}

registerEnumType(Priority, { name: 'Priority' });
registerEnumType(Channel, { name: 'Channel', description: 'How the ticket reached the desk' });
registerEnumType(Role, { name: 'Role' });
registerEnumType(RelationKind, { name: 'RelationKind' });
registerEnumType(TicketEventType, { name: 'TicketEventType' });
registerEnumType(TicketOrder, { name: 'TicketOrder' });
registerEnumType(StatusCategoryEnum, {
  name: 'StatusCategory',
  description: 'What every workflow status means underneath; the SLA clock follows it',
});
registerEnumType(ActorKindEnum, { name: 'ActorKind' });
registerEnumType(ReplyActionEnum, { name: 'ReplyAction' });
registerEnumType(TimerActionEnum, { name: 'TimerAction' });
registerEnumType(OutsideHoursActionEnum, {
  name: 'OutsideHoursAction',
  description:
    'REFUSE: CHANNEL_CLOSED, saying when the channel opens; QUEUE: accepted, unassigned until then',
});
registerEnumType(AssignmentStepEnum, {
  name: 'AssignmentStep',
  description:
    'LEAD_AGENT: the organization’s lead agent; FAMILIAR_AGENT: who handled most of the requester’s (then organization’s) tickets; LEAST_LOADED: the fewest open tickets. Each within the ticket’s tier (and team)',
});
registerEnumType(NotificationTriggerEnum, {
  name: 'NotificationTrigger',
  description: 'What kind of change a notification rule listens for (docs/NOTIFICATIONS.md)',
});
registerEnumType(NotificationRecipientEnum, { name: 'NotificationRecipient' });
registerEnumType(SurveyScaleEnum, {
  name: 'SurveyScale',
  description: 'GOOD_BAD (two links) or ONE_TO_FIVE (five links)',
});
