import type { NotificationRule, SatisfactionSurveySettings } from '../notify/rules.js';

/**
 * A workflow is data: this is its shape, stored as JSON on each immutable workflow version.
 * The five shipped presets (./presets) and every admin-made workflow use it; ./validate.ts checks it.
 */
export const STATUS_CATEGORIES = [
  'NEW',
  'OPEN',
  'WAITING_ON_REQUESTER',
  'WAITING_ON_THIRD_PARTY',
  'ON_HOLD',
  'RESOLVED',
  'CLOSED',
] as const;
export type StatusCategory = (typeof STATUS_CATEGORIES)[number];

/** Who makes a move. ADMIN may do whatever AGENT may. SYSTEM is timers, intake and jobs. */
export const ACTOR_KINDS = ['REQUESTER', 'AGENT', 'ADMIN', 'PARTNER', 'SYSTEM'] as const;
export type ActorKind = (typeof ACTOR_KINDS)[number];

export interface WorkflowStatus {
  key: string;
  name: string;
  category: StatusCategory;
  description?: string;
}

export interface WorkflowTransition {
  /** Status keys this move starts from. */
  from: string[];
  to: string;
  /** Actor kinds that may make it by hand (transitionTicket). */
  actors: ActorKind[];
  requiresReason: boolean;
  /** Marks a move out of a resolved or closed status that reopens the ticket. */
  reopen: boolean;
}

/**
 * What a requester's reply (or a partner's comment) does to a ticket in a status:
 * NONE keeps the status, MOVE moves it to `to`, FOLLOW_UP opens a new ticket linked to this one and
 * puts the reply there, REJECT refuses the reply (a final status).
 */
export const REPLY_ACTIONS = ['NONE', 'MOVE', 'FOLLOW_UP', 'REJECT'] as const;
export type ReplyAction = (typeof REPLY_ACTIONS)[number];

export interface ReplyRule {
  status: string;
  action: ReplyAction;
  to?: string;
}

/** escalateTicket to `toTier` from one of `fromStatuses` (any when empty) moves the ticket to `moveTo`. */
export interface EscalationRule {
  toTier: number;
  fromStatuses: string[];
  moveTo?: string;
}

/**
 * Auto-categorisation: the first rule (in order) with a keyword found in the subject or description
 * (case-insensitive, whole words) gives the category; otherwise the default. Deterministic by design.
 */
export interface CategoryRule {
  category: string;
  keywords: string[];
}

export interface Categorisation {
  categories: string[];
  defaultCategory: string;
  rules: CategoryRule[];
}

/**
 * Timers start when a ticket enters `status` and stop when it leaves. REMIND reminds the requester
 * `after` the entry, then every `repeatEvery` up to `maxCount` reminders in all; MOVE moves the ticket
 * to `to` `after` the entry and adds `addTag`. Durations are ISO 8601 (P3D, PT24H). Executed by the
 * scheduler.
 */
export const TIMER_ACTIONS = ['REMIND', 'MOVE'] as const;
export type TimerAction = (typeof TIMER_ACTIONS)[number];

export interface StatusTimer {
  status: string;
  action: TimerAction;
  after: string;
  repeatEvery?: string;
  maxCount?: number;
  to?: string;
  addTag?: string;
}

/**
 * Automatic assignment steps (issue 16, seed 002): LEAD_AGENT is the lead agent of the requester's
 * organization; FAMILIAR_AGENT the agent who handled most of this requester's (then organization's)
 * tickets; LEAST_LOADED the agent with the fewest open tickets. Each step only picks an available agent
 * of the ticket's tier (and team, where set); the first step that finds one wins.
 */
export const ASSIGNMENT_STEPS = ['LEAD_AGENT', 'FAMILIAR_AGENT', 'LEAST_LOADED'] as const;
export type AssignmentStep = (typeof ASSIGNMENT_STEPS)[number];

/** What every ticket gets when no assignment rule names its category: today's rule. */
export const DEFAULT_ASSIGNMENT_STEPS: readonly AssignmentStep[] = ['FAMILIAR_AGENT', 'LEAST_LOADED'];

/** New tickets of one of `categories` are assigned by trying `steps` in order. */
export interface AssignmentRule {
  categories: string[];
  steps: AssignmentStep[];
}

/**
 * Channel hours (issue 16, seed 003: live chat "Available during business hours"; phone "Availability
 * depends on support hours"; "24/7 for critical issues"): a ticket that comes through one of
 * `channels` from a requester or a partner outside the business hours of the calendar `calendarKey`
 * is refused (REFUSE: CHANNEL_CLOSED, saying when the channel opens) or accepted and queued (QUEUE:
 * created unassigned, for the first agent when the desk opens), unless its priority is exempt.
 */
export const OUTSIDE_HOURS_ACTIONS = ['REFUSE', 'QUEUE'] as const;
export type OutsideHoursAction = (typeof OUTSIDE_HOURS_ACTIONS)[number];

export interface ChannelHours {
  channels: string[];
  calendarKey: string;
  outsideHours: OutsideHoursAction;
  /** Priorities the channel takes at any hour (seed 003: CRITICAL). */
  exemptPriorities?: string[];
}

export interface WorkflowDefinition {
  initialStatus: string;
  /** Where the system moves a new ticket once it is categorised and prioritised (seed 001's To do next). */
  intakeStatus?: string;
  statuses: WorkflowStatus[];
  transitions: WorkflowTransition[];
  requesterReplies: ReplyRule[];
  partnerComments: ReplyRule[];
  escalations: EscalationRule[];
  categorisation: Categorisation;
  timers: StatusTimer[];
  /** Who hears of what, by which template (src/notify/rules.ts). Absent: no notifications. */
  notifications?: NotificationRule[];
  /** A satisfaction survey on entering a status category (src/notify/rules.ts). Absent: none. */
  satisfaction?: SatisfactionSurveySettings;
  /**
   * How new tickets are assigned, by category: the first rule naming the ticket's category gives the
   * steps; otherwise DEFAULT_ASSIGNMENT_STEPS. Absent in definitions saved before it existed.
   */
  assignmentRules?: AssignmentRule[];
  /** When channels are open (absent: always). */
  channelHours?: ChannelHours[];
}

export interface WorkflowPreset {
  key: string;
  name: string;
  description: string;
  definition: WorkflowDefinition;
}

export const TERMINAL_CATEGORIES: readonly StatusCategory[] = ['RESOLVED', 'CLOSED'];
