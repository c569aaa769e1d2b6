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

export interface SlaTarget extends SlaDuration {
  kind: SlaTargetKind;
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
