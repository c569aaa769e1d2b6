import { Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { StatusCategoryEnum, asEnum } from '../server/enums.js';
import { UserError } from '../server/user-errors.js';
import { Channel, Priority } from '../shared/enums.js';
import { TicketStatusType, TicketType } from '../ticket/ticket.types.js';
import type { StatusCategory } from '../workflow/definition.js';
import {
  BREACH_ACTIONS,
  SLA_CLOCKS,
  SLA_CONDITION_EVENTS,
  SLA_TARGET_KINDS,
  type BreachAction,
  type SlaClockKind,
  type SlaConditionEvent,
  type SlaTargetKind,
} from './policy-definition.js';

export const SlaTargetKindEnum = asEnum(SLA_TARGET_KINDS);
export const SlaClockEnum = asEnum(SLA_CLOCKS);
export const BreachActionEnum = asEnum(BREACH_ACTIONS);
export const SlaConditionEventEnum = asEnum(SLA_CONDITION_EVENTS);
export const SlaTargetStateEnum = asEnum(['ACTIVE', 'PAUSED', 'ACHIEVED', 'BREACHED', 'INACTIVE'] as const);
export const MetricsGroupByEnum = asEnum([
  'NONE',
  'PRIORITY',
  'PLAN',
  'TEAM',
  'AGENT',
  'DAY',
  'WEEK',
] as const);
registerEnumType(SlaTargetKindEnum, { name: 'SlaTargetKind' });
registerEnumType(SlaClockEnum, {
  name: 'SlaClock',
  description: 'BUSINESS: the calendar’s business time; ALWAYS: 24/7',
});
registerEnumType(BreachActionEnum, { name: 'BreachAction' });
registerEnumType(SlaConditionEventEnum, {
  name: 'SlaConditionEvent',
  description:
    'What starts or stops an SLA target’s cycle: CREATED (start only), STATUS_ENTERED/STATUS_LEFT (statuses), CATEGORY_ENTERED/CATEGORY_LEFT (status categories), AGENT_REPLY and REQUESTER_REPLY (public replies)',
});
registerEnumType(SlaTargetStateEnum, { name: 'SlaTargetState' });
registerEnumType(MetricsGroupByEnum, { name: 'SlaMetricsGroupBy' });

/** Calendar and policy definitions read back exactly as written: one class per shape, output and input. */
@ObjectType('WeeklyInterval')
@InputType('WeeklyIntervalInput')
export class WeeklyIntervalGql {
  @Field(() => Int, { description: 'ISO weekday: 1 = Monday … 7 = Sunday' })
  day!: number;

  @Field({ description: 'Local time HH:mm' })
  start!: string;

  @Field({ description: 'Local time HH:mm; 24:00 ends the day; at or before start crosses midnight' })
  end!: string;
}

@ObjectType('Holiday')
@InputType('HolidayInput')
export class HolidayGql {
  @Field({ description: 'Local date YYYY-MM-DD' })
  date!: string;

  @Field(() => String, { nullable: true, description: 'Last day of a range, inclusive' })
  endDate?: string;

  @Field(() => Boolean, { nullable: true, description: 'Every year on the same day(s)' })
  yearly?: boolean;

  @Field(() => String, { nullable: true })
  name?: string;
}

@ObjectType('BusinessCalendarDefinition')
@InputType('BusinessCalendarDefinitionInput')
export class BusinessCalendarDefinitionGql {
  @Field({ description: 'IANA time zone, e.g. Europe/Paris' })
  timeZone!: string;

  @Field({ defaultValue: false, description: '24/7: every minute is business time' })
  alwaysOpen!: boolean;

  @Field(() => [WeeklyIntervalGql], { defaultValue: [] })
  weekly!: WeeklyIntervalGql[];

  @Field(() => [HolidayGql], { defaultValue: [] })
  holidays!: HolidayGql[];

  @Field(() => Float, {
    nullable: true,
    description: 'Hours in one business day (default: the ordinary daily hours)',
  })
  hoursPerBusinessDay?: number;
}

@ObjectType('SlaDuration')
@InputType('SlaDurationInput')
export class SlaDurationGql {
  @Field({ description: 'ISO 8601; on a BUSINESS clock P1D is one business day' })
  within!: string;

  @Field(() => SlaClockEnum)
  clock!: SlaClockKind;
}

@ObjectType('SlaCondition', { description: 'A start or stop condition of an SLA target (docs/SLA.md)' })
@InputType('SlaConditionInput')
export class SlaConditionGql {
  @Field(() => SlaConditionEventEnum)
  on!: SlaConditionEvent;

  @Field(() => [String], { nullable: true, description: 'STATUS_ENTERED, STATUS_LEFT: the status keys' })
  statuses?: string[];

  @Field(() => [StatusCategoryEnum], {
    nullable: true,
    description: 'CATEGORY_ENTERED, CATEGORY_LEFT: the status categories',
  })
  categories?: StatusCategory[];

  @Field(() => [String], {
    nullable: true,
    description: 'STATUS_ENTERED, CATEGORY_ENTERED: only a move from one of these status keys counts',
  })
  fromStatuses?: string[];
}

@ObjectType('SlaTarget')
@InputType('SlaTargetInput')
export class SlaTargetGql {
  @Field(() => SlaTargetKindEnum)
  kind!: SlaTargetKind;

  @Field(() => String, { nullable: true, description: 'A label for people, e.g. "Operations response time"' })
  name?: string;

  @Field(() => [SlaConditionGql], {
    nullable: true,
    description:
      'With stopWhen: each condition opens a cycle when none runs (default: as the kind always starts)',
  })
  startWhen?: SlaConditionGql[];

  @Field(() => [SlaConditionGql], {
    nullable: true,
    description: 'With startWhen: each condition ends the running cycle (resolution always does)',
  })
  stopWhen?: SlaConditionGql[];

  @Field({ description: 'ISO 8601; on a BUSINESS clock P1D is one business day' })
  within!: string;

  @Field(() => SlaClockEnum)
  clock!: SlaClockKind;

  @Field(() => SlaDurationGql, { nullable: true, description: 'For tickets created outside business hours' })
  outsideBusinessHours?: SlaDurationGql;

  @Field(() => String, { nullable: true, description: 'Reporting goal' })
  normalGoal?: string;

  @Field(() => String, { nullable: true, description: 'Reporting goal' })
  averageGoal?: string;

  @Field(() => [Int], { defaultValue: [75, 90] })
  warnAtPercent!: number[];

  @Field(() => [StatusCategoryEnum], {
    defaultValue: ['WAITING_ON_REQUESTER', 'WAITING_ON_THIRD_PARTY', 'ON_HOLD'],
  })
  pausedIn!: StatusCategory[];

  @Field(() => [String], {
    nullable: true,
    description: 'FIRST_RESPONSE: entering one of these statuses also counts',
  })
  stopStatuses?: string[];

  @Field(() => BreachActionEnum, { defaultValue: 'NONE' })
  onBreach!: BreachAction;

  @Field(() => String, { nullable: true })
  breachTeamKey?: string;
}

@ObjectType('SlaConditions')
@InputType('SlaConditionsInput')
export class SlaConditionsGql {
  @Field(() => [String], { nullable: true, description: 'Workflow keys' })
  workflows?: string[];

  @Field(() => [String], { nullable: true, description: 'Plan names' })
  plans?: string[];

  @Field(() => [Priority], { nullable: true })
  priorities?: Priority[];

  @Field(() => [Channel], { nullable: true })
  channels?: Channel[];

  @Field(() => [String], { nullable: true, description: 'Organization ids (UUID)' })
  organizations?: string[];

  @Field(() => [String], { nullable: true })
  categories?: string[];
}

@ObjectType('SlaPolicyDefinition')
@InputType('SlaPolicyDefinitionInput')
export class SlaPolicyDefinitionGql {
  @Field(() => SlaConditionsGql, { description: 'All given conditions must hold; none: every ticket' })
  conditions!: SlaConditionsGql;

  @Field()
  calendarKey!: string;

  @Field(() => [SlaTargetGql])
  targets!: SlaTargetGql[];
}

@ObjectType('BusinessCalendar')
export class BusinessCalendarType {
  @Field()
  key!: string;

  @Field()
  name!: string;

  @Field(() => Int)
  version!: number;

  @Field(() => BusinessCalendarDefinitionGql)
  definition!: BusinessCalendarDefinitionGql;

  @Field(() => Float, { description: 'The length of a business day in hours, for targets in business days' })
  businessDayHours!: number;
}

@ObjectType('SlaPolicy')
export class SlaPolicyType {
  @Field()
  key!: string;

  @Field()
  name!: string;

  @Field(() => Int, { description: 'Policies are tried in ascending position; the first match wins' })
  position!: number;

  @Field()
  active!: boolean;

  @Field(() => Int)
  version!: number;

  @Field(() => SlaPolicyDefinitionGql)
  definition!: SlaPolicyDefinitionGql;
}

@ObjectType('SlaVersionRef')
export class SlaVersionRef {
  @Field()
  key!: string;

  @Field()
  name!: string;

  @Field(() => Int)
  version!: number;
}

@ObjectType('TimeInterval')
export class TimeInterval {
  @Field()
  start!: Date;

  @Field()
  end!: Date;
}

@ObjectType('SlaSegment', { description: 'A stretch of the target’s clock in one status' })
export class SlaSegment {
  @Field()
  start!: Date;

  @Field()
  end!: Date;

  @Field(() => TicketStatusType)
  status!: TicketStatusType;

  @Field({ description: 'False: paused by its status category (or after resolution)' })
  counted!: boolean;

  @Field({ description: 'True for the stretch from now to the due date, if nothing changes' })
  projected!: boolean;

  @Field(() => Int, { description: 'Clock time in the stretch (business time on a BUSINESS clock)' })
  measuredSeconds!: number;

  @Field(() => [TimeInterval], { description: 'The business intervals counted in the stretch' })
  businessIntervals!: TimeInterval[];
}

@ObjectType('SlaCycle', { description: 'One cycle of a target: from a start to a stop' })
export class SlaCycle {
  @Field(() => Int, { description: '1-based' })
  number!: number;

  @Field()
  start!: Date;

  @Field(() => Date, { nullable: true, description: 'When it ended; null while it runs' })
  end?: Date;

  @Field(() => SlaTargetStateEnum, {
    description: 'ACHIEVED (ended in time), BREACHED, or, for the running cycle, the target’s state',
  })
  state!: string;

  @Field(() => Int, { description: 'Clock time counted in this cycle' })
  elapsedSeconds!: number;

  @Field(() => Date, { nullable: true })
  breachedAt?: Date;
}

@ObjectType('SlaExplanation', { description: 'How the due date was reached' })
export class SlaExplanation {
  @Field({ description: 'A sentence a person can read' })
  summary!: string;

  @Field(() => [SlaCycle], { description: 'Every cycle of the target so far, oldest first' })
  cycles!: SlaCycle[];

  @Field(() => [SlaSegment])
  segments!: SlaSegment[];

  @Field(() => [HolidayGql], { description: 'Holidays within the counted stretches that were skipped' })
  holidaysSkipped!: HolidayGql[];
}

@ObjectType('SlaTargetStatus')
export class SlaTargetStatus {
  @Field(() => SlaTargetKindEnum)
  kind!: SlaTargetKind;

  @Field(() => String, { nullable: true, description: 'The policy target’s name, if it has one' })
  name?: string;

  @Field(() => SlaTargetStateEnum)
  state!: string;

  @Field(() => SlaClockEnum)
  clock!: SlaClockKind;

  @Field(() => Int)
  targetSeconds!: number;

  @Field({ description: 'The outside-business-hours alternative applies' })
  outsideBusinessHours!: boolean;

  @Field(() => Int, { description: 'Cycles started so far (see explain.cycles)' })
  cycle!: number;

  @Field(() => Date, { nullable: true })
  startedAt?: Date;

  @Field(() => Date, {
    nullable: true,
    description: 'When it breaches if nothing happens (none while paused)',
  })
  dueAt?: Date;

  @Field(() => Int, { description: 'As of now' })
  elapsedSeconds!: number;

  @Field(() => Int, { description: 'As of now; negative once breached' })
  remainingSeconds!: number;

  @Field(() => Int)
  pausedSeconds!: number;

  @Field(() => TicketStatusType, { nullable: true, description: 'The status that pauses the clock now' })
  pausedBy?: TicketStatusType;

  @Field(() => Date, { nullable: true })
  achievedAt?: Date;

  @Field(() => Date, { nullable: true })
  breachedAt?: Date;

  @Field(() => Date, { nullable: true })
  nextWarningAt?: Date;

  @Field(() => SlaExplanation)
  explain!: SlaExplanation;
}

@ObjectType('TicketSla')
export class TicketSlaType {
  @Field(() => SlaVersionRef)
  policy!: SlaVersionRef;

  @Field(() => SlaVersionRef)
  calendar!: SlaVersionRef;

  @Field(() => [SlaTargetStatus])
  targets!: SlaTargetStatus[];
}

@ObjectType('SlaPreviewRow')
export class SlaPreviewRow {
  @Field(() => TicketType)
  ticket!: TicketType;

  @Field(() => SlaTargetKindEnum)
  kind!: SlaTargetKind;

  @Field(() => SlaTargetStateEnum, { nullable: true })
  currentState?: string;

  @Field(() => Date, { nullable: true })
  currentDueAt?: Date;

  @Field(() => SlaTargetStateEnum)
  newState!: string;

  @Field(() => Date, { nullable: true })
  newDueAt?: Date;

  @Field(() => SlaVersionRef, {
    nullable: true,
    description:
      'The policy version the ticket would be on: this policy’s current version, or, for a deactivated policy, the policy that matches the ticket now (null: none matches, the ticket would have no SLA)',
  })
  newPolicy?: SlaVersionRef | null;
}

@ObjectType('SlaTimeStats', { description: 'Seconds; business time or calendar time as the field says' })
export class SlaTimeStats {
  @Field(() => Int)
  count!: number;

  @Field(() => Float, { nullable: true })
  meanSeconds?: number;

  @Field(() => Float, { nullable: true })
  medianSeconds?: number;

  @Field(() => Float, { nullable: true })
  p90Seconds?: number;
}

@ObjectType('SlaTargetCompliance')
export class SlaTargetCompliance {
  @Field(() => SlaTargetKindEnum)
  kind!: string;

  @Field(() => Int)
  met!: number;

  @Field(() => Int)
  breached!: number;

  @Field(() => Float, { nullable: true, description: 'met / (met + breached)' })
  complianceRate?: number;

  @Field(() => Int, { description: 'Cycles started over these targets (a target may run several)' })
  cycles!: number;

  @Field(() => Int, { description: 'Cycles that breached' })
  breachedCycles!: number;
}

@ObjectType('SlaMetricsGroup')
export class SlaMetricsGroup {
  @Field({ description: 'The group’s value: a priority, an id, a date (YYYY-MM-DD) or week (2026-W47)' })
  key!: string;

  @Field()
  label!: string;

  @Field(() => Int)
  tickets!: number;

  @Field(() => SlaTimeStats)
  firstResponseCalendar!: SlaTimeStats;

  @Field(() => SlaTimeStats, {
    description: 'Measured on the target’s own clock: business time, or 24/7 where the target runs 24/7',
  })
  firstResponseBusiness!: SlaTimeStats;

  @Field(() => SlaTimeStats)
  resolutionCalendar!: SlaTimeStats;

  @Field(() => SlaTimeStats, {
    description: 'Measured on the target’s own clock: business time, or 24/7 where the target runs 24/7',
  })
  resolutionBusiness!: SlaTimeStats;

  @Field(() => Float, {
    nullable: true,
    description: 'Share of the tickets first-responded within the threshold',
  })
  firstRespondedWithinShare?: number;

  @Field(() => Int)
  breaches!: number;

  @Field(() => Int, { description: 'Tickets with a running target due within the at-risk window' })
  atRisk!: number;

  @Field(() => [SlaTargetCompliance])
  targets!: SlaTargetCompliance[];
}

@InputType()
export class SlaMetricsFilterInput {
  @Field(() => Date, { nullable: true, description: 'Tickets created at or after' })
  from?: Date;

  @Field(() => Date, { nullable: true, description: 'Tickets created before' })
  to?: Date;

  @Field(() => [Priority], { nullable: true })
  priority?: Priority[];

  @Field(() => [Channel], { nullable: true })
  channel?: Channel[];

  @Field(() => ID, { nullable: true })
  planId?: string;

  @Field(() => ID, { nullable: true })
  teamId?: string;

  @Field(() => ID, { nullable: true })
  agentId?: string;

  @Field(() => ID, { nullable: true })
  organizationId?: string;
}

@ObjectType('AtRiskTarget')
export class AtRiskTarget {
  @Field(() => TicketType)
  ticket!: TicketType;

  @Field(() => SlaTargetKindEnum)
  kind!: string;

  @Field()
  dueAt!: Date;

  @Field(() => Int)
  secondsToBreach!: number;
}

@InputType()
export class CreateBusinessCalendarInput {
  @Field()
  key!: string;

  @Field()
  name!: string;

  @Field(() => BusinessCalendarDefinitionGql)
  definition!: BusinessCalendarDefinitionGql;
}

@InputType()
export class UpdateBusinessCalendarInput {
  @Field()
  key!: string;

  @Field(() => String, { nullable: true })
  name?: string;

  @Field(() => BusinessCalendarDefinitionGql, { nullable: true, description: 'A new version' })
  definition?: BusinessCalendarDefinitionGql;
}

@InputType()
export class CreateSlaPolicyInput {
  @Field()
  key!: string;

  @Field()
  name!: string;

  @Field(() => Int, { nullable: true })
  position?: number;

  @Field(() => Boolean, { nullable: true })
  active?: boolean;

  @Field(() => SlaPolicyDefinitionGql)
  definition!: SlaPolicyDefinitionGql;
}

@InputType()
export class UpdateSlaPolicyInput {
  @Field()
  key!: string;

  @Field(() => String, { nullable: true })
  name?: string;

  @Field(() => Int, { nullable: true })
  position?: number;

  @Field(() => Boolean, { nullable: true })
  active?: boolean;

  @Field(() => SlaPolicyDefinitionGql, { nullable: true, description: 'A new version' })
  definition?: SlaPolicyDefinitionGql;
}

@ObjectType('BusinessCalendarPayload')
export class BusinessCalendarPayload {
  @Field(() => BusinessCalendarType, { nullable: true })
  calendar?: BusinessCalendarType | null;

  @Field(() => [UserError])
  errors!: UserError[];
}

@ObjectType('SlaPolicyPayload')
export class SlaPolicyPayload {
  @Field(() => SlaPolicyType, { nullable: true })
  policy?: SlaPolicyType | null;

  @Field(() => [UserError])
  errors!: UserError[];
}

@ObjectType('ApplySlaPolicyPayload')
export class ApplySlaPolicyPayload {
  @Field(() => Int, { nullable: true, description: 'Open tickets moved onto the current version' })
  tickets?: number | null;

  @Field(() => [UserError])
  errors!: UserError[];
}
