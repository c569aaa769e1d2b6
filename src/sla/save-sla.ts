import { canManageWorkflows } from '../access/policy.js';
import { Checks } from '../shared/checks.js';
import {
  ConflictError,
  InvalidInputError,
  NotFoundError,
  NotPermittedError,
  type FieldProblem,
} from '../shared/errors.js';
import type { UseCaseContext } from '../shared/use-case.js';
import { validateCalendar } from './business-calendar.js';
import type { BusinessCalendarDefinition } from './calendar-definition.js';
import type { SlaPolicyDefinition } from './policy-definition.js';
import {
  BusinessCalendarEntity,
  BusinessCalendarVersion,
  SlaPolicy,
  SlaPolicyVersion,
} from './sla.entity.js';
import { validateSlaPolicy } from './validate-policy.js';

/** Admin use cases for business calendars and SLA policies. Definitions are validated, then versioned. */
const KEY = /^[a-z][a-z0-9-]{1,62}$/;

function refuse(problems: FieldProblem[]): void {
  if (problems.length)
    throw new InvalidInputError(
      problems.map((p) => ({ field: `definition.${p.field}`, message: p.message })),
    );
}

function admin(ctx: UseCaseContext, action: string): void {
  if (!canManageWorkflows(ctx.actor)) throw new NotPermittedError(action);
}

export interface SaveCalendarInput {
  key: string;
  name?: string;
  definition?: BusinessCalendarDefinition;
}

export async function createBusinessCalendar(
  ctx: UseCaseContext,
  input: Required<SaveCalendarInput>,
): Promise<BusinessCalendarEntity> {
  admin(ctx, 'change business calendars');
  new Checks()
    .that(KEY.test(input.key), 'key', 'must be 2–63 characters of a-z, 0-9 and -, starting with a letter')
    .text('name', input.name, { min: 1, max: 200 })
    .done();
  refuse(validateCalendar(input.definition));
  if (await ctx.em.count(BusinessCalendarEntity, { key: input.key }))
    throw new ConflictError(`A calendar "${input.key}" exists already`);
  const calendar = ctx.em.create(BusinessCalendarEntity, {
    key: input.key,
    name: input.name.trim(),
    currentVersion: 1,
    createdAt: ctx.clock.now(),
  });
  ctx.em.create(BusinessCalendarVersion, {
    calendar,
    version: 1,
    definition: input.definition,
    createdAt: ctx.clock.now(),
  });
  await ctx.em.flush();
  return calendar;
}

/**
 * A new definition becomes a new calendar version. Running tickets keep the version they started on
 * until an admin applies their policy again (previewSlaPolicy shows what would move).
 */
export async function updateBusinessCalendar(
  ctx: UseCaseContext,
  input: SaveCalendarInput,
): Promise<BusinessCalendarEntity> {
  admin(ctx, 'change business calendars');
  new Checks().text('name', input.name, { min: 1, max: 200 }).done();
  const calendar = await ctx.em.findOne(BusinessCalendarEntity, { key: input.key });
  if (!calendar) throw new NotFoundError('Business calendar', input.key);
  if (input.definition) {
    refuse(validateCalendar(input.definition));
    calendar.currentVersion += 1;
    ctx.em.create(BusinessCalendarVersion, {
      calendar,
      version: calendar.currentVersion,
      definition: input.definition,
      createdAt: ctx.clock.now(),
    });
  }
  if (input.name !== undefined) calendar.name = input.name.trim();
  await ctx.em.flush();
  return calendar;
}

export interface SavePolicyInput {
  key: string;
  name?: string;
  position?: number;
  active?: boolean;
  definition?: SlaPolicyDefinition;
}

async function checkPolicy(ctx: UseCaseContext, def: SlaPolicyDefinition): Promise<void> {
  const problems = validateSlaPolicy(def);
  if (def.calendarKey.trim() && !(await ctx.em.count(BusinessCalendarEntity, { key: def.calendarKey }))) {
    problems.push({ field: 'calendarKey', message: `no business calendar "${def.calendarKey}"` });
  }
  refuse(problems);
}

export async function createSlaPolicy(
  ctx: UseCaseContext,
  input: SavePolicyInput & { name: string; definition: SlaPolicyDefinition },
): Promise<SlaPolicy> {
  admin(ctx, 'change SLA policies');
  new Checks()
    .that(KEY.test(input.key), 'key', 'must be 2–63 characters of a-z, 0-9 and -, starting with a letter')
    .text('name', input.name, { min: 1, max: 200 })
    .done();
  await checkPolicy(ctx, input.definition);
  if (await ctx.em.count(SlaPolicy, { key: input.key }))
    throw new ConflictError(`An SLA policy "${input.key}" exists already`);
  const policy = ctx.em.create(SlaPolicy, {
    key: input.key,
    name: input.name.trim(),
    position: input.position ?? 1000,
    active: input.active ?? true,
    currentVersion: 1,
    createdAt: ctx.clock.now(),
  });
  ctx.em.create(SlaPolicyVersion, {
    policy,
    version: 1,
    definition: input.definition,
    createdAt: ctx.clock.now(),
  });
  await ctx.em.flush();
  return policy;
}

/**
 * A new definition becomes a new policy version: new tickets get it; running tickets keep theirs until
 * applySlaPolicy moves them (after previewSlaPolicy shows what would change).
 */
export async function updateSlaPolicy(ctx: UseCaseContext, input: SavePolicyInput): Promise<SlaPolicy> {
  admin(ctx, 'change SLA policies');
  new Checks().text('name', input.name, { min: 1, max: 200 }).done();
  const policy = await ctx.em.findOne(SlaPolicy, { key: input.key });
  if (!policy) throw new NotFoundError('SLA policy', input.key);
  if (input.definition) {
    await checkPolicy(ctx, input.definition);
    policy.currentVersion += 1;
    ctx.em.create(SlaPolicyVersion, {
      policy,
      version: policy.currentVersion,
      definition: input.definition,
      createdAt: ctx.clock.now(),
    });
  }
  if (input.name !== undefined) policy.name = input.name.trim();
  if (input.position !== undefined) policy.position = input.position;
  if (input.active !== undefined) policy.active = input.active;
  await ctx.em.flush();
  return policy;
}
