import { validateNotificationRules } from '../notify/rules.js';
import { workflowMoves } from './rules.js';
import { parseDuration } from '../shared/duration.js';
import type { FieldProblem } from '../shared/errors.js';
import { Channel, Priority } from '../shared/enums.js';
import {
  ACTOR_KINDS,
  ASSIGNMENT_STEPS,
  OUTSIDE_HOURS_ACTIONS,
  REPLY_ACTIONS,
  STATUS_CATEGORIES,
  TIMER_ACTIONS,
  type ReplyRule,
  type WorkflowDefinition,
} from './definition.js';

const KEY = /^[a-z][a-z0-9_]{0,62}$/;
export const MAX_TIER = 3;

/**
 * Checks a workflow definition before it is saved. Pure: returns every problem found, each naming the
 * place (`statuses[2].key`, `timers[0].to`, …) and what is wrong, so an admin can fix them all at once.
 */
export function validateWorkflow(def: WorkflowDefinition): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const add = (field: string, message: string) => problems.push({ field, message });

  const statusKeys = new Set<string>();
  const categoryOf = new Map<string, string>();
  if (def.statuses.length === 0) add('statuses', 'a workflow needs at least one status');
  def.statuses.forEach((s, i) => {
    if (!KEY.test(s.key)) add(`statuses[${i}].key`, `"${s.key}" must be lower_snake_case (a-z, 0-9, _)`);
    if (statusKeys.has(s.key)) add(`statuses[${i}].key`, `status "${s.key}" is defined twice`);
    if (!s.name.trim()) add(`statuses[${i}].name`, 'a status needs a name');
    if (!STATUS_CATEGORIES.includes(s.category))
      add(`statuses[${i}].category`, `unknown category "${s.category}"`);
    statusKeys.add(s.key);
    categoryOf.set(s.key, s.category);
  });
  const known = (field: string, key: string | undefined) => {
    if (key === undefined || !statusKeys.has(key)) {
      add(field, `unknown status "${key ?? ''}"`);
      return false;
    }
    return true;
  };
  const isFinal = (key: string) => ['CLOSED', 'RESOLVED'].includes(categoryOf.get(key) ?? '');

  if (known('initialStatus', def.initialStatus)) {
    const c = categoryOf.get(def.initialStatus);
    if (c !== 'NEW' && c !== 'OPEN')
      add('initialStatus', `the initial status must be in category NEW or OPEN, not ${c}`);
  }
  if (def.intakeStatus !== undefined) known('intakeStatus', def.intakeStatus);
  if (!def.statuses.some((s) => s.category === 'RESOLVED' || s.category === 'CLOSED')) {
    add('statuses', 'a workflow needs at least one status in category RESOLVED or CLOSED');
  }

  const pairs = new Set<string>();
  def.transitions.forEach((t, i) => {
    const at = `transitions[${i}]`;
    if (t.from.length === 0) add(`${at}.from`, 'a transition needs at least one status to start from');
    t.from.forEach((f, j) => {
      if (!known(`${at}.from[${j}]`, f)) return;
      if (f === t.to) add(`${at}.from[${j}]`, `a transition cannot go from "${f}" to itself`);
      if (pairs.has(`${f}>${t.to}`)) add(`${at}`, `the move "${f}" → "${t.to}" is defined twice`);
      pairs.add(`${f}>${t.to}`);
      if (categoryOf.get(f) === 'CLOSED' && !t.reopen) {
        add(`${at}.reopen`, `"${f}" is a closed status: a move out of it must be marked as a reopen`);
      }
    });
    known(`${at}.to`, t.to);
    if (t.actors.length === 0) add(`${at}.actors`, 'a transition needs at least one actor kind');
    t.actors.forEach((a, j) => {
      if (!ACTOR_KINDS.includes(a)) add(`${at}.actors[${j}]`, `unknown actor kind "${a}"`);
    });
    if (t.reopen && !t.from.every(isFinal)) {
      add(`${at}.reopen`, 'only a move out of a resolved or closed status can be a reopen');
    }
  });

  const checkReplies = (name: string, rules: ReplyRule[]) => {
    const seen = new Set<string>();
    rules.forEach((r, i) => {
      const at = `${name}[${i}]`;
      known(`${at}.status`, r.status);
      if (seen.has(r.status)) add(`${at}.status`, `"${r.status}" has two rules`);
      seen.add(r.status);
      if (!REPLY_ACTIONS.includes(r.action)) add(`${at}.action`, `unknown action "${r.action}"`);
      if (r.action === 'MOVE') {
        if (known(`${at}.to`, r.to) && r.to === r.status)
          add(`${at}.to`, 'a reply cannot move a ticket to the status it is in');
      } else if (r.to !== undefined) {
        add(`${at}.to`, `only a MOVE rule has a target status (this one is ${r.action})`);
      }
    });
  };
  checkReplies('requesterReplies', def.requesterReplies);
  checkReplies('partnerComments', def.partnerComments);

  def.escalations.forEach((e, i) => {
    const at = `escalations[${i}]`;
    if (!Number.isInteger(e.toTier) || e.toTier < 2 || e.toTier > MAX_TIER) {
      add(`${at}.toTier`, `an escalation goes to tier 2 to ${MAX_TIER}`);
    }
    e.fromStatuses.forEach((f, j) => known(`${at}.fromStatuses[${j}]`, f));
    if (e.moveTo !== undefined) known(`${at}.moveTo`, e.moveTo);
  });

  const cat = def.categorisation;
  const categories = new Set(cat.categories);
  if (cat.categories.length === 0) add('categorisation.categories', 'name at least one category');
  if (categories.size !== cat.categories.length)
    add('categorisation.categories', 'a category is listed twice');
  if (!categories.has(cat.defaultCategory)) {
    add('categorisation.defaultCategory', `"${cat.defaultCategory}" is not one of the categories`);
  }
  cat.rules.forEach((r, i) => {
    if (!categories.has(r.category))
      add(`categorisation.rules[${i}].category`, `"${r.category}" is not one of the categories`);
    if (r.keywords.length === 0 || r.keywords.some((k) => !k.trim())) {
      add(`categorisation.rules[${i}].keywords`, 'a rule needs at least one non-empty keyword');
    }
  });

  def.timers.forEach((t, i) => {
    const at = `timers[${i}]`;
    if (known(`${at}.status`, t.status) && categoryOf.get(t.status) === 'CLOSED') {
      add(`${at}.status`, `"${t.status}" is a closed status: it cannot have timers`);
    }
    if (!TIMER_ACTIONS.includes(t.action)) add(`${at}.action`, `unknown action "${t.action}"`);
    const after = parseDuration(t.after);
    if (!after) add(`${at}.after`, `"${t.after}" must be a positive ISO 8601 duration such as P3D or PT24H`);
    if (t.repeatEvery !== undefined && !parseDuration(t.repeatEvery)) {
      add(`${at}.repeatEvery`, `"${t.repeatEvery}" must be a positive ISO 8601 duration`);
    }
    if (t.maxCount !== undefined && (!Number.isInteger(t.maxCount) || t.maxCount < 1)) {
      add(`${at}.maxCount`, 'must be a whole number of at least 1');
    }
    if (t.action === 'MOVE') {
      if (known(`${at}.to`, t.to) && t.to === t.status)
        add(`${at}.to`, 'a timer cannot move a ticket to the status it is in');
      if (t.repeatEvery !== undefined || t.maxCount !== undefined) {
        add(`${at}.repeatEvery`, 'only a REMIND timer repeats');
      }
    } else {
      if (t.to !== undefined) add(`${at}.to`, 'only a MOVE timer has a target status');
      if (t.addTag !== undefined) add(`${at}.addTag`, 'only a MOVE timer adds a tag');
      if (t.repeatEvery !== undefined && t.maxCount === undefined) {
        add(`${at}.maxCount`, 'a repeating reminder needs a maximum count');
      }
    }
  });

  // Notification rules and the satisfaction survey (src/notify/rules.ts).
  problems.push(...validateNotificationRules(def));
  // Assignment rules (issue 16): known categories, each at most once across rules; known steps, once.
  const routed = new Set<string>();
  def.assignmentRules?.forEach((r, i) => {
    const at = `assignmentRules[${i}]`;
    if (r.categories.length === 0) add(`${at}.categories`, 'name at least one category');
    r.categories.forEach((c, j) => {
      if (!def.categorisation.categories.includes(c))
        add(`${at}.categories[${j}]`, `"${c}" is not one of the workflow's categories`);
      else if (routed.has(c)) add(`${at}.categories[${j}]`, `category "${c}" already has an assignment rule`);
      routed.add(c);
    });
    if (r.steps.length === 0) add(`${at}.steps`, 'name at least one step');
    const seen = new Set<string>();
    r.steps.forEach((step, j) => {
      if (!ASSIGNMENT_STEPS.includes(step)) add(`${at}.steps[${j}]`, `unknown step "${step}"`);
      else if (seen.has(step)) add(`${at}.steps[${j}]`, `step ${step} is listed twice`);
      seen.add(step);
    });
  });

  // Channel hours (issue 16): known channels, each in one rule; a calendar; a known action.
  const hoursFor = new Set<string>();
  def.channelHours?.forEach((h, i) => {
    const at = `channelHours[${i}]`;
    if (h.channels.length === 0) add(`${at}.channels`, 'name at least one channel');
    h.channels.forEach((c, j) => {
      if (!(Object.values(Channel) as string[]).includes(c))
        add(`${at}.channels[${j}]`, `unknown channel "${c}"`);
      else if (hoursFor.has(c)) add(`${at}.channels[${j}]`, `channel ${c} already has hours`);
      hoursFor.add(c);
    });
    if (!h.calendarKey.trim()) add(`${at}.calendarKey`, 'name the business calendar');
    if (!OUTSIDE_HOURS_ACTIONS.includes(h.outsideHours))
      add(`${at}.outsideHours`, `unknown action "${h.outsideHours}"`);
    h.exemptPriorities?.forEach(
      (p, j) =>
        (Object.values(Priority) as string[]).includes(p) ||
        add(`${at}.exemptPriorities[${j}]`, `unknown priority "${p}"`),
    );
  });

  // Every status must be reachable from the initial one by some move.
  if (statusKeys.has(def.initialStatus)) {
    const edges = workflowMoves(def);
    const seen = new Set([def.initialStatus]);
    const queue = [def.initialStatus];
    while (queue.length) {
      for (const next of edges.get(queue.shift()!) ?? []) {
        if (!seen.has(next)) {
          seen.add(next);
          queue.push(next);
        }
      }
    }
    def.statuses.forEach((s, i) => {
      if (!seen.has(s.key))
        add(`statuses[${i}]`, `status "${s.key}" cannot be reached from "${def.initialStatus}"`);
    });
  }
  return problems;
}
