import { Field, InputType, Int, ObjectType } from 'type-graphql';
import {
  ActorKindEnum,
  AssignmentStepEnum,
  NotificationRecipientEnum,
  NotificationTriggerEnum,
  OutsideHoursActionEnum,
  ReplyActionEnum,
  StatusCategoryEnum,
  SurveyScaleEnum,
  TimerActionEnum,
} from '../server/enums.js';
import { Channel, Priority } from '../shared/enums.js';
import type { NotificationRecipient, NotificationTrigger, SurveyScale } from '../notify/rules.js';
import { Node } from '../server/node.js';
import { UserError } from '../server/user-errors.js';
import type {
  ActorKind,
  AssignmentStep,
  OutsideHoursAction,
  ReplyAction,
  StatusCategory,
  TimerAction,
} from './definition.js';

/**
 * The workflow definition in GraphQL. Each class serves as both the output type and the input type
 * (…Input) because the definition reads back exactly as it is written.
 */
@ObjectType('WorkflowStatus')
@InputType('WorkflowStatusInput')
export class WorkflowStatusGql {
  @Field({ description: 'lower_snake_case, unique in the workflow' })
  key!: string;

  @Field()
  name!: string;

  @Field(() => StatusCategoryEnum)
  category!: StatusCategory;

  @Field(() => String, { nullable: true })
  description?: string;
}

@ObjectType('WorkflowTransition')
@InputType('WorkflowTransitionInput')
export class WorkflowTransitionGql {
  @Field(() => [String])
  from!: string[];

  @Field()
  to!: string;

  @Field(() => [ActorKindEnum], { description: 'Who may make this move by hand (ADMIN inherits AGENT)' })
  actors!: ActorKind[];

  @Field({ defaultValue: false })
  requiresReason!: boolean;

  @Field({ defaultValue: false, description: 'A move out of a resolved or closed status' })
  reopen!: boolean;
}

@ObjectType('ReplyRule')
@InputType('ReplyRuleInput')
export class ReplyRuleGql {
  @Field()
  status!: string;

  @Field(() => ReplyActionEnum)
  action!: ReplyAction;

  @Field(() => String, { nullable: true, description: 'MOVE only: the status to move to' })
  to?: string;
}

@ObjectType('EscalationRule')
@InputType('EscalationRuleInput')
export class EscalationRuleGql {
  @Field(() => Int)
  toTier!: number;

  @Field(() => [String], { defaultValue: [], description: 'Applies from these statuses; all when empty' })
  fromStatuses!: string[];

  @Field(() => String, { nullable: true })
  moveTo?: string;
}

@ObjectType('CategoryRule')
@InputType('CategoryRuleInput')
export class CategoryRuleGql {
  @Field()
  category!: string;

  @Field(() => [String], { description: 'Whole words, case-insensitive, in the subject or description' })
  keywords!: string[];
}

@ObjectType('Categorisation')
@InputType('CategorisationInput')
export class CategorisationGql {
  @Field(() => [String])
  categories!: string[];

  @Field()
  defaultCategory!: string;

  @Field(() => [CategoryRuleGql], { description: 'In order: the first rule that matches wins' })
  rules!: CategoryRuleGql[];
}

@ObjectType('StatusTimer')
@InputType('StatusTimerInput')
export class StatusTimerGql {
  @Field({ description: 'The status whose entry starts the timer' })
  status!: string;

  @Field(() => TimerActionEnum)
  action!: TimerAction;

  @Field({ description: 'ISO 8601 duration after entering the status, e.g. P3D or PT24H' })
  after!: string;

  @Field(() => String, { nullable: true, description: 'REMIND: repeat at this interval' })
  repeatEvery?: string;

  @Field(() => Int, { nullable: true, description: 'REMIND: at most this many reminders' })
  maxCount?: number;

  @Field(() => String, { nullable: true, description: 'MOVE: the status to move to' })
  to?: string;

  @Field(() => String, { nullable: true, description: 'MOVE: a tag to add, e.g. "No Response"' })
  addTag?: string;
}

@ObjectType('NotificationRule')
@InputType('NotificationRuleInput')
export class NotificationRuleGql {
  @Field(() => NotificationTriggerEnum)
  on!: NotificationTrigger;

  @Field(() => [String], {
    nullable: true,
    description: 'STATUS_ENTERED, AUTO_MOVE: the status entered; REMINDER: the status waited in',
  })
  statuses?: string[];

  @Field(() => [StatusCategoryEnum], {
    nullable: true,
    description: 'STATUS_ENTERED, AUTO_MOVE: its category',
  })
  categories?: string[];

  @Field(() => [String], {
    nullable: true,
    description: 'STATUS_ENTERED, AUTO_MOVE: only moves out of these',
  })
  fromStatuses?: string[];

  @Field(() => [Channel], { nullable: true })
  channels?: Channel[];

  @Field(() => [ActorKindEnum], { nullable: true, description: 'Who made the change' })
  actorKinds?: string[];

  @Field(() => [Priority], { nullable: true })
  priorities?: Priority[];

  @Field(() => [NotificationRecipientEnum])
  recipients!: NotificationRecipient[];

  @Field({ description: 'The template key (shipped default or saved by an admin)' })
  template!: string;
}

@ObjectType('SatisfactionSurveySettings')
@InputType('SatisfactionSurveySettingsInput')
export class SatisfactionSurveyGql {
  @Field(() => StatusCategoryEnum, { description: 'The survey opens on entering a status of this category' })
  category!: string;

  @Field(() => SurveyScaleEnum)
  scale!: SurveyScale;

  @Field(() => String, {
    nullable: true,
    description:
      'ISO 8601: how long a rating can be given or changed (default P7D; also until the ticket closes)',
  })
  openFor?: string;
}

@ObjectType('AssignmentRule')
@InputType('AssignmentRuleInput')
export class AssignmentRuleGql {
  @Field(() => [String], { description: 'Categories of the workflow this rule assigns' })
  categories!: string[];

  @Field(() => [AssignmentStepEnum], { description: 'Tried in order; the first that finds an agent wins' })
  steps!: AssignmentStep[];
}

@ObjectType('ChannelHours')
@InputType('ChannelHoursInput')
export class ChannelHoursGql {
  @Field(() => [Channel])
  channels!: Channel[];

  @Field({ description: 'The business calendar whose business time the channels are open' })
  calendarKey!: string;

  @Field(() => OutsideHoursActionEnum, {
    description: 'What a requester’s or partner’s ticket gets outside them',
  })
  outsideHours!: OutsideHoursAction;

  @Field(() => [Priority], { nullable: true, description: 'Taken at any hour (seed 003: CRITICAL)' })
  exemptPriorities?: Priority[];
}

@ObjectType('WorkflowDefinition')
@InputType('WorkflowDefinitionInput')
export class WorkflowDefinitionGql {
  @Field()
  initialStatus!: string;

  @Field(() => String, {
    nullable: true,
    description: 'Where the system moves a new ticket after categorising it',
  })
  intakeStatus?: string;

  @Field(() => [WorkflowStatusGql])
  statuses!: WorkflowStatusGql[];

  @Field(() => [WorkflowTransitionGql])
  transitions!: WorkflowTransitionGql[];

  @Field(() => [ReplyRuleGql], {
    defaultValue: [],
    description: 'What a requester reply does per status (NONE when absent)',
  })
  requesterReplies!: ReplyRuleGql[];

  @Field(() => [ReplyRuleGql], { defaultValue: [], description: 'What a partner comment does per status' })
  partnerComments!: ReplyRuleGql[];

  @Field(() => [EscalationRuleGql], { defaultValue: [] })
  escalations!: EscalationRuleGql[];

  @Field(() => CategorisationGql)
  categorisation!: CategorisationGql;

  @Field(() => [StatusTimerGql], { defaultValue: [] })
  timers!: StatusTimerGql[];

  @Field(() => [NotificationRuleGql], {
    defaultValue: [],
    description: 'Who hears of what, in order: the first matching rule per recipient and change wins',
  })
  notifications!: NotificationRuleGql[];

  @Field(() => SatisfactionSurveyGql, { nullable: true })
  satisfaction?: SatisfactionSurveyGql;
  @Field(() => [AssignmentRuleGql], {
    nullable: true,
    description:
      'How new tickets are assigned, by category; other categories (and null) get FAMILIAR_AGENT then LEAST_LOADED',
  })
  assignmentRules?: AssignmentRuleGql[];

  @Field(() => [ChannelHoursGql], {
    nullable: true,
    description: 'When channels are open to requesters and partners (null: always)',
  })
  channelHours?: ChannelHoursGql[];
}

@ObjectType('Workflow', { implements: Node })
export class WorkflowType extends Node {
  @Field()
  key!: string;

  @Field()
  name!: string;

  @Field()
  description!: string;

  @Field()
  isDefault!: boolean;

  @Field(() => Int, { description: 'The current version; new tickets start on it' })
  version!: number;

  @Field(() => WorkflowDefinitionGql, { description: 'The current version’s definition' })
  definition!: WorkflowDefinitionGql;
}

@InputType()
export class CreateWorkflowInput {
  @Field({ description: 'a-z, 0-9 and -, e.g. "agency"' })
  key!: string;

  @Field()
  name!: string;

  @Field(() => String, { nullable: true })
  description?: string;

  @Field({ defaultValue: false })
  isDefault!: boolean;

  @Field(() => WorkflowDefinitionGql)
  definition!: WorkflowDefinitionGql;
}

@InputType()
export class UpdateWorkflowInput {
  @Field()
  key!: string;

  @Field(() => String, { nullable: true })
  name?: string;

  @Field(() => String, { nullable: true })
  description?: string;

  @Field(() => Boolean, { nullable: true, description: 'true makes this the default workflow' })
  isDefault?: boolean;

  @Field(() => WorkflowDefinitionGql, {
    nullable: true,
    description: 'A new definition becomes a new version',
  })
  definition?: WorkflowDefinitionGql;
}

@ObjectType('WorkflowPayload')
export class WorkflowPayload {
  @Field(() => WorkflowType, { nullable: true })
  workflow?: WorkflowType | null;

  @Field(() => [UserError])
  errors!: UserError[];
}
