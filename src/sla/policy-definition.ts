import type { Channel, Priority } from '../shared/enums.js';
import type { StatusCategory } from '../workflow/definition.js';

/**
 * An SLA policy is data, versioned like workflows: which tickets it applies to (conditions), on which
 * business calendar, and its targets. Policies are ordered; the first whose conditions match a new
 * ticket wins, and the ticket keeps that policy version until an admin applies a newer one.
 */
export const SLA_TARGET_KINDS = ['FIRST_RESPONSE', 'NEXT_RESPONSE', 'PERIODIC_UPDATE', 'RESOLUTION'] as const;
export type SlaTargetKind = (typeof SLA_TARGET_KINDS)[number];

/** BUSINESS counts the policy calendar's business time; ALWAYS counts every minute (24/7). */
export const SLA_CLOCKS = ['BUSINESS', 'ALWAYS'] as const;
export type SlaClockKind = (typeof SLA_CLOCKS)[number];

export const BREACH_ACTIONS = ['NONE', 'RAISE_TIER', 'MOVE_TO_TEAM', 'RAISE_PRIORITY'] as const;
export type BreachAction = (typeof BREACH_ACTIONS)[number];

export interface SlaDuration {
  /**
   * ISO 8601 duration. On a BUSINESS clock a day (P1D) is one business day: the calendar's ordinary
   * daily hours (9 h for 09:00–18:00), so "3 business days" is P3D = 27 business hours.
   */
  within: string;
  clock: SlaClockKind;
}

/**
 * What can start or stop an SLA target's cycle (issue 16; as Jira Service Management's start / pause /
 * stop conditions and Zendesk's metrics that start on an event):
 * - CREATED: the ticket was created (start only);
 * - STATUS_ENTERED / STATUS_LEFT: the ticket entered or left one of `statuses`;
 * - CATEGORY_ENTERED / CATEGORY_LEFT: the ticket entered or left a status of one of `categories`
 *   (from a status of another category);
 * - AGENT_REPLY / REQUESTER_REPLY: a public reply by staff (agent or admin) or by the requester.
 */
export const SLA_CONDITION_EVENTS = [
  'CREATED',
  'STATUS_ENTERED',
  'STATUS_LEFT',
  'CATEGORY_ENTERED',
  'CATEGORY_LEFT',
  'AGENT_REPLY',
  'REQUESTER_REPLY',
] as const;
export type SlaConditionEvent = (typeof SLA_CONDITION_EVENTS)[number];

export interface SlaCondition {
  on: SlaConditionEvent;
  /** STATUS_ENTERED, STATUS_LEFT: the status keys. */
  statuses?: string[];
  /** CATEGORY_ENTERED, CATEGORY_LEFT: the status categories. */
  categories?: StatusCategory[];
  /**
   * STATUS_ENTERED, CATEGORY_ENTERED: only a move from one of these status keys counts (seed 000: "when
   * the task ticket transfer from In progress to Open").
   */
  fromStatuses?: string[];
}

export interface SlaTarget extends SlaDuration {
  kind: SlaTargetKind;
  /** A label for people (seed 000: "Virtual Assistant response time"); the kind identifies the target. */
  name?: string;
  /**
   * Issue 16: when given (with stopWhen), each of these opens a cycle when none runs and the ticket is
   * not resolved or closed; without them the target starts as its kind always has (docs/SLA.md).
   */
  startWhen?: SlaCondition[];
  /**
   * With startWhen: each of these ends the running cycle (the target is met for that cycle). Entering a
   * resolved or closed status always ends it.
   */
  stopWhen?: SlaCondition[];
  /** Seed 003 High: tickets created outside the calendar's business hours get this target instead. */
  outsideBusinessHours?: SlaDuration;
  /** Reporting goals (seed 000's "normal" and "average"), same clock as the target. */
  normalGoal?: string;
  averageGoal?: string;
  /** Warn when this share of the target has elapsed, e.g. [75, 90]. */
  warnAtPercent: number[];
  /** Status categories in which this target's clock is paused. */
  pausedIn: StatusCategory[];
  /**
   * FIRST_RESPONSE only: entering one of these statuses also stops it (seed 000 counts Open → In
   * progress as the response). The first public agent reply always does.
   */
  stopStatuses?: string[];
  onBreach: BreachAction;
  /** MOVE_TO_TEAM: the team's key. */
  breachTeamKey?: string;
}

export interface SlaConditions {
  /** Workflow keys: the policy applies to tickets on these workflows. */
  workflows?: string[];
  /** Plan names. */
  plans?: string[];
  priorities?: Priority[];
  channels?: Channel[];
  /** Organization ids. */
  organizations?: string[];
  categories?: string[];
}

export interface SlaPolicyDefinition {
  conditions: SlaConditions;
  calendarKey: string;
  targets: SlaTarget[];
}

/** DOMAIN.md: the clock pauses while waiting on the requester, a third party, or on hold. */
export const DEFAULT_PAUSED_IN: StatusCategory[] = [
  'WAITING_ON_REQUESTER',
  'WAITING_ON_THIRD_PARTY',
  'ON_HOLD',
];
