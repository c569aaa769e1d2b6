import { parseDuration } from '../shared/duration.js';
import type { FieldProblem } from '../shared/errors.js';
import { Channel, Priority } from '../shared/enums.js';
import { STATUS_CATEGORIES } from '../workflow/definition.js';
import {
  BREACH_ACTIONS,
  SLA_CLOCKS,
  SLA_CONDITION_EVENTS,
  SLA_TARGET_KINDS,
  type SlaCondition,
  type SlaPolicyDefinition,
  type SlaTarget,
} from './policy-definition.js';

/** Checks an SLA policy definition before it is saved; returns every problem with its place. */
export function validateSlaPolicy(def: SlaPolicyDefinition): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const add = (field: string, message: string) => problems.push({ field, message });
  const duration = (field: string, v: string | undefined) => {
    if (v !== undefined && !parseDuration(v))
      add(field, `"${v}" must be a positive ISO 8601 duration such as PT4H or P3D`);
  };
  const c = def.conditions;
  c.priorities?.forEach(
    (p, i) =>
      Object.values(Priority).includes(p) || add(`conditions.priorities[${i}]`, `unknown priority "${p}"`),
  );
  c.channels?.forEach(
    (p, i) =>
      Object.values(Channel).includes(p) || add(`conditions.channels[${i}]`, `unknown channel "${p}"`),
  );
  if (!def.calendarKey.trim()) add('calendarKey', 'name the business calendar');
  if (def.targets.length === 0) add('targets', 'a policy needs at least one target');
  const kinds = new Set<string>();
  def.targets.forEach((t, i) => {
    const at = `targets[${i}]`;
    if (!SLA_TARGET_KINDS.includes(t.kind)) add(`${at}.kind`, `unknown target "${t.kind}"`);
    if (kinds.has(t.kind)) add(`${at}.kind`, `${t.kind} is defined twice`);
    kinds.add(t.kind);
    if (!SLA_CLOCKS.includes(t.clock)) add(`${at}.clock`, `unknown clock "${t.clock}"`);
    duration(`${at}.within`, t.within);
    duration(`${at}.normalGoal`, t.normalGoal);
    duration(`${at}.averageGoal`, t.averageGoal);
    if (t.outsideBusinessHours) {
      duration(`${at}.outsideBusinessHours.within`, t.outsideBusinessHours.within);
      if (!SLA_CLOCKS.includes(t.outsideBusinessHours.clock))
        add(`${at}.outsideBusinessHours.clock`, 'unknown clock');
    }
    t.warnAtPercent.forEach((p, j) => {
      if (!(p > 0 && p < 100))
        add(`${at}.warnAtPercent[${j}]`, 'a warning is a percentage between 0 and 100');
    });
    t.pausedIn.forEach(
      (p, j) =>
        STATUS_CATEGORIES.includes(p) || add(`${at}.pausedIn[${j}]`, `unknown status category "${p}"`),
    );
    if (t.stopStatuses?.length && t.kind !== 'FIRST_RESPONSE')
      add(`${at}.stopStatuses`, 'only FIRST_RESPONSE has stop statuses');
    if (t.name !== undefined && (!t.name.trim() || t.name.length > 200))
      add(`${at}.name`, 'a name is 1 to 200 characters');
    conditions(at, t, add);
    if (!BREACH_ACTIONS.includes(t.onBreach)) add(`${at}.onBreach`, `unknown action "${t.onBreach}"`);
    if (t.onBreach === 'MOVE_TO_TEAM' && !t.breachTeamKey)
      add(`${at}.breachTeamKey`, 'MOVE_TO_TEAM needs the team');
  });
  return problems;
}

const STATUS_EVENTS: SlaCondition['on'][] = ['STATUS_ENTERED', 'STATUS_LEFT'];
const CATEGORY_EVENTS: SlaCondition['on'][] = ['CATEGORY_ENTERED', 'CATEGORY_LEFT'];

/**
 * A target's start and stop conditions (issue 16): given together or not at all; at least one start
 * condition; each names a known event, the statuses (STATUS_*) or categories (CATEGORY_*) it is about
 * and nothing else; `fromStatuses` only on an ENTERED event; CREATED only starts; no `stopStatuses`
 * beside them (write the stop as a STATUS_ENTERED condition). Status keys are not checked against
 * workflows, as for stopStatuses: a policy may serve several workflows.
 */
function conditions(at: string, t: SlaTarget, add: (field: string, message: string) => void): void {
  if (t.startWhen === undefined && t.stopWhen === undefined) return;
  if (t.startWhen === undefined) return add(`${at}.startWhen`, 'give startWhen with stopWhen');
  if (t.stopWhen === undefined)
    return add(`${at}.stopWhen`, 'give stopWhen with startWhen (it may be empty)');
  if (t.startWhen.length === 0) add(`${at}.startWhen`, 'at least one start condition');
  if (t.stopStatuses?.length)
    add(`${at}.stopStatuses`, 'with conditions, write a stop status as a STATUS_ENTERED stop condition');
  const check = (list: SlaCondition[], field: string, starting: boolean) =>
    list.forEach((c, i) => {
      const path = `${at}.${field}[${i}]`;
      if (!SLA_CONDITION_EVENTS.includes(c.on)) return add(`${path}.on`, `unknown event "${c.on}"`);
      if (c.on === 'CREATED' && !starting) add(`${path}.on`, 'CREATED can only start a cycle');
      const aboutStatuses = STATUS_EVENTS.includes(c.on);
      const aboutCategories = CATEGORY_EVENTS.includes(c.on);
      if (aboutStatuses) {
        if (!c.statuses?.length) add(`${path}.statuses`, `${c.on} needs at least one status`);
        c.statuses?.forEach((k, j) => k.trim() || add(`${path}.statuses[${j}]`, 'a status key is not blank'));
      } else if (c.statuses !== undefined) add(`${path}.statuses`, `${c.on} takes no statuses`);
      if (aboutCategories) {
        if (!c.categories?.length) add(`${path}.categories`, `${c.on} needs at least one status category`);
        c.categories?.forEach(
          (k, j) =>
            STATUS_CATEGORIES.includes(k) ||
            add(`${path}.categories[${j}]`, `unknown status category "${k}"`),
        );
      } else if (c.categories !== undefined) add(`${path}.categories`, `${c.on} takes no categories`);
      if (c.fromStatuses !== undefined && c.on !== 'STATUS_ENTERED' && c.on !== 'CATEGORY_ENTERED')
        add(`${path}.fromStatuses`, 'only STATUS_ENTERED and CATEGORY_ENTERED take fromStatuses');
    });
  check(t.startWhen, 'startWhen', true);
  check(t.stopWhen, 'stopWhen', false);
}
