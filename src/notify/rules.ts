import type { FeedEvent } from '../events/feed-event.js';
import { TicketEventType } from '../events/event-types.js';
import { parseDuration } from '../shared/duration.js';
import { Channel, Priority } from '../shared/enums.js';
import type { FieldProblem } from '../shared/errors.js';
import {
  ACTOR_KINDS,
  STATUS_CATEGORIES,
  type ActorKind,
  type StatusCategory,
  type WorkflowDefinition,
} from '../workflow/definition.js';

/**
 * Notification rules: data in the workflow definition (`notifications`), versioned with it and checked
 * when it is saved (validateNotificationRules). A rule says: on this kind of change, if these
 * conditions hold, send this template to these recipients.
 *
 * Triggers, and the events they are read from:
 * - TICKET_CREATED: a ticket was opened (TICKET_CREATED).
 * - PUBLIC_COMMENT: an agent or admin wrote a public reply (COMMENT_ADDED, not internal). Internal
 *   notes never trigger anything.
 * - STATUS_ENTERED: the ticket entered a status (STATUS_CHANGED), by key (`statuses`) or category
 *   (`categories`), optionally only from `fromStatuses`.
 * - REMINDER: a workflow timer reminded the requester (REQUESTER_REMINDED), in `statuses`.
 * - AUTO_MOVE: a workflow timer moved the ticket (STATUS_CHANGED with `timer: true`).
 * - SLA_BREACHED: a target was breached (SLA_BREACHED): for staff recipients only.
 * - SATISFACTION_SURVEY: a satisfaction survey was opened (SATISFACTION_SURVEY_OPENED).
 *
 * Conditions (each list given must contain the value): `channels` (the ticket's channel),
 * `actorKinds` (who made the change), `priorities` (the ticket's priority).
 *
 * Recipients: REQUESTER, PARTICIPANTS (the ticket's CCs), ASSIGNEE, TEAM (the agents of the ticket's
 * team), FOLLOWERS (agents following the ticket). The person who made the change is never notified of
 * it. One change (a ticket's events of one commit) sends each recipient at most one message: the
 * first rule, in the order written, that matches it (an agent's reply that also sets Pending is one
 * mail, not two).
 */
export const NOTIFICATION_TRIGGERS = [
  'TICKET_CREATED',
  'PUBLIC_COMMENT',
  'STATUS_ENTERED',
  'REMINDER',
  'AUTO_MOVE',
  'SLA_BREACHED',
  'SATISFACTION_SURVEY',
] as const;
export type NotificationTrigger = (typeof NOTIFICATION_TRIGGERS)[number];

export const NOTIFICATION_RECIPIENTS = [
  'REQUESTER',
  'PARTICIPANTS',
  'ASSIGNEE',
  'TEAM',
  'FOLLOWERS',
] as const;
export type NotificationRecipient = (typeof NOTIFICATION_RECIPIENTS)[number];

/** Recipients on the customer's side: they never hear of staff-only matters. */
export const CUSTOMER_RECIPIENTS: readonly NotificationRecipient[] = ['REQUESTER', 'PARTICIPANTS'];

export interface NotificationRule {
  on: NotificationTrigger;
  /** STATUS_ENTERED, AUTO_MOVE: the status entered; REMINDER: the status the ticket waits in. */
  statuses?: string[];
  /** STATUS_ENTERED, AUTO_MOVE: the category of the status entered. */
  categories?: StatusCategory[];
  /** STATUS_ENTERED, AUTO_MOVE: only moves out of these statuses. */
  fromStatuses?: string[];
  channels?: Channel[];
  actorKinds?: ActorKind[];
  priorities?: Priority[];
  recipients: NotificationRecipient[];
  /** The template's key (a shipped default, or one saved by an admin; see templates.ts). */
  template: string;
}

/** Per workflow: a satisfaction survey when a ticket enters a status of `category`. */
export const SURVEY_SCALES = ['GOOD_BAD', 'ONE_TO_FIVE'] as const;
export type SurveyScale = (typeof SURVEY_SCALES)[number];

export interface SatisfactionSurveySettings {
  /** The survey opens when the ticket enters a status of this category (seed 004: RESOLVED). */
  category: StatusCategory;
  scale: SurveyScale;
  /** How long a rating may be given or changed after the survey opened (ISO 8601, default P7D); it also closes when the ticket closes. */
  openFor?: string;
}

export const DEFAULT_SURVEY_OPEN_FOR = 'P7D';

const TEMPLATE_KEY = /^[a-z][a-z0-9-]{0,63}$/;
const STATUS_TRIGGERS: NotificationTrigger[] = ['STATUS_ENTERED', 'AUTO_MOVE', 'REMINDER'];

/** Checks the notification rules and survey settings of a definition (pure; paths as validateWorkflow's). */
export function validateNotificationRules(def: WorkflowDefinition): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const add = (field: string, message: string) => problems.push({ field, message });
  const statuses = new Set(def.statuses.map((s) => s.key));
  const rules: NotificationRule[] = def.notifications ?? [];
  rules.forEach((r, i) => {
    const at = `notifications[${i}]`;
    if (!NOTIFICATION_TRIGGERS.includes(r.on)) add(`${at}.on`, `unknown trigger "${r.on}"`);
    const statusTrigger = STATUS_TRIGGERS.includes(r.on);
    r.statuses?.forEach((s, j) => {
      if (!statuses.has(s)) add(`${at}.statuses[${j}]`, `unknown status "${s}"`);
    });
    r.fromStatuses?.forEach((s, j) => {
      if (!statuses.has(s)) add(`${at}.fromStatuses[${j}]`, `unknown status "${s}"`);
    });
    r.categories?.forEach((c, j) => {
      if (!STATUS_CATEGORIES.includes(c)) add(`${at}.categories[${j}]`, `unknown category "${c}"`);
    });
    if (!statusTrigger && (r.statuses?.length || r.categories?.length || r.fromStatuses?.length))
      add(`${at}.statuses`, `a ${r.on} rule has no status conditions`);
    if (r.on === 'REMINDER' && (r.categories?.length || r.fromStatuses?.length))
      add(`${at}.categories`, 'a REMINDER rule is chosen by the statuses the ticket waits in');
    r.channels?.forEach((c, j) => {
      if (!Object.values(Channel).includes(c)) add(`${at}.channels[${j}]`, `unknown channel "${c}"`);
    });
    r.priorities?.forEach((p, j) => {
      if (!Object.values(Priority).includes(p)) add(`${at}.priorities[${j}]`, `unknown priority "${p}"`);
    });
    r.actorKinds?.forEach((a, j) => {
      if (!ACTOR_KINDS.includes(a)) add(`${at}.actorKinds[${j}]`, `unknown actor kind "${a}"`);
    });
    if (!r.recipients.length) add(`${at}.recipients`, 'a rule needs at least one recipient');
    r.recipients.forEach((x, j) => {
      if (!NOTIFICATION_RECIPIENTS.includes(x)) add(`${at}.recipients[${j}]`, `unknown recipient "${x}"`);
      if (r.on === 'SLA_BREACHED' && CUSTOMER_RECIPIENTS.includes(x))
        add(`${at}.recipients[${j}]`, 'SLA breaches are for staff: ASSIGNEE, TEAM or FOLLOWERS');
    });
    if (!TEMPLATE_KEY.test(r.template))
      add(
        `${at}.template`,
        `"${r.template}" must be 1–64 characters of a-z, 0-9 and -, starting with a letter`,
      );
  });
  const s = def.satisfaction;
  if (s) {
    if (!STATUS_CATEGORIES.includes(s.category))
      add('satisfaction.category', `unknown category "${s.category}"`);
    else if (!def.statuses.some((x) => x.category === s.category))
      add('satisfaction.category', `no status of the workflow is in category ${s.category}`);
    if (!SURVEY_SCALES.includes(s.scale)) add('satisfaction.scale', `unknown scale "${s.scale}"`);
    if (s.openFor !== undefined && !parseDuration(s.openFor))
      add('satisfaction.openFor', `"${s.openFor}" must be a positive ISO 8601 duration such as P7D`);
  }
  return problems;
}

/** What rule matching needs to know about the ticket and the workflow. */
export interface RuleFacts {
  channel: Channel;
  priority: Priority;
  categoryOf(status: string): StatusCategory | undefined;
}

/** One rule matched by one event of a change. */
export interface RuleMatch {
  ruleIndex: number;
  rule: NotificationRule;
  event: FeedEvent;
  trigger: NotificationTrigger;
}

/** The triggers an event stands for (usually one; a timer's move is both STATUS_ENTERED and AUTO_MOVE). */
export function triggersOf(e: FeedEvent): NotificationTrigger[] {
  switch (e.type) {
    case TicketEventType.TICKET_CREATED:
      return ['TICKET_CREATED'];
    case TicketEventType.COMMENT_ADDED:
      return !e.internal && (e.payload.authorKind === 'AGENT' || e.payload.authorKind === 'ADMIN')
        ? ['PUBLIC_COMMENT']
        : [];
    case TicketEventType.STATUS_CHANGED:
      return e.payload.timer === true ? ['STATUS_ENTERED', 'AUTO_MOVE'] : ['STATUS_ENTERED'];
    case TicketEventType.REQUESTER_REMINDED:
      return ['REMINDER'];
    case TicketEventType.SLA_BREACHED:
      return ['SLA_BREACHED'];
    case TicketEventType.SATISFACTION_SURVEY_OPENED:
      return ['SATISFACTION_SURVEY'];
    default:
      return [];
  }
}

const within = <T>(list: readonly T[] | undefined, v: T | undefined) =>
  !list?.length || (v !== undefined && list.includes(v));

/** Whether `rule` matches event `e` standing for `trigger` (pure). */
export function ruleMatches(
  rule: NotificationRule,
  trigger: NotificationTrigger,
  e: FeedEvent,
  facts: RuleFacts,
): boolean {
  if (rule.on !== trigger) return false;
  if (!within(rule.channels, facts.channel) || !within(rule.priorities, facts.priority)) return false;
  if (!within(rule.actorKinds, e.actorKind)) return false;
  if (trigger === 'STATUS_ENTERED' || trigger === 'AUTO_MOVE') {
    const to = String(e.payload.to);
    if (!within(rule.statuses, to) || !within(rule.categories, facts.categoryOf(to))) return false;
    if (!within(rule.fromStatuses, e.payload.from as string | undefined)) return false;
  }
  if (trigger === 'REMINDER' && !within(rule.statuses, e.payload.status as string | undefined)) return false;
  return true;
}

/**
 * The rules one change (its events, in order) sets off, per recipient role: for each rule in order,
 * the first event of the change it matches. Internal events never count for customer recipients.
 */
export function matchChange(
  rules: readonly NotificationRule[],
  change: readonly FeedEvent[],
  facts: RuleFacts,
): RuleMatch[] {
  const out: RuleMatch[] = [];
  rules.forEach((rule, ruleIndex) => {
    for (const e of change) {
      const trigger = triggersOf(e).find((t) => ruleMatches(rule, t, e, facts));
      if (trigger) {
        out.push({ ruleIndex, rule, event: e, trigger });
        return;
      }
    }
  });
  return out;
}
