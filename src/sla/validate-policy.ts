import { parseDuration } from '../shared/duration.js';
import type { FieldProblem } from '../shared/errors.js';
import { Channel, Priority } from '../shared/enums.js';
import { STATUS_CATEGORIES } from '../workflow/definition.js';
import {
  BREACH_ACTIONS,
  SLA_CLOCKS,
  SLA_TARGET_KINDS,
  type SlaPolicyDefinition,
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
    if (!BREACH_ACTIONS.includes(t.onBreach)) add(`${at}.onBreach`, `unknown action "${t.onBreach}"`);
    if (t.onBreach === 'MOVE_TO_TEAM' && !t.breachTeamKey)
      add(`${at}.breachTeamKey`, 'MOVE_TO_TEAM needs the team');
  });
  return problems;
}
