import { canManageWorkflows } from '../access/policy.js';
import { Checks } from '../shared/checks.js';
import { ConflictError, InvalidInputError, NotFoundError, NotPermittedError } from '../shared/errors.js';
import type { UseCaseContext } from '../shared/use-case.js';
import type { WorkflowDefinition } from './definition.js';
import { validateWorkflow } from './validate.js';
import { BusinessCalendarEntity } from '../sla/sla.entity.js';
import { Workflow, WorkflowVersion } from './workflow.entity.js';
import { rememberDefinition } from './workflow-store.js';
import { knownTemplateKeys } from '../notify/template-admin.js';

/** Every template a notification rule names must exist: shipped, shared, or saved for this workflow. */
async function checkTemplates(ctx: UseCaseContext, key: string, def: WorkflowDefinition): Promise<void> {
  if (!def.notifications?.length) return;
  const known = await knownTemplateKeys(ctx.em, key);
  const problems = def.notifications.flatMap((r, i) =>
    known.has(r.template)
      ? []
      : [{ field: `definition.notifications[${i}].template`, message: `no template "${r.template}"` }],
  );
  if (problems.length) throw new InvalidInputError(problems);
}

export interface SaveWorkflowInput {
  key: string;
  name?: string;
  description?: string;
  isDefault?: boolean;
  definition?: WorkflowDefinition;
}

async function checkDefinition(ctx: UseCaseContext, def: WorkflowDefinition): Promise<void> {
  const problems = validateWorkflow(def);
  // Channel hours name a business calendar that must exist (checked here: validateWorkflow is pure).
  for (const [i, h] of (def.channelHours ?? []).entries()) {
    if (h.calendarKey.trim() && !(await ctx.em.findOne(BusinessCalendarEntity, { key: h.calendarKey })))
      problems.push({
        field: `channelHours[${i}].calendarKey`,
        message: `no business calendar "${h.calendarKey}"`,
      });
  }
  if (problems.length) {
    throw new InvalidInputError(
      problems.map((p) => ({ field: `definition.${p.field}`, message: p.message })),
    );
  }
}

async function makeDefault(ctx: UseCaseContext, workflow: Workflow): Promise<void> {
  await ctx.em.nativeUpdate(Workflow, { isDefault: true, id: { $ne: workflow.id } }, { isDefault: false });
  workflow.isDefault = true;
}

/** Creates a workflow with its first version, after validating the definition. Admins only. */
export async function createWorkflow(
  ctx: UseCaseContext,
  input: Required<Pick<SaveWorkflowInput, 'key' | 'name' | 'definition'>> & SaveWorkflowInput,
): Promise<Workflow> {
  if (!canManageWorkflows(ctx.actor)) throw new NotPermittedError('change workflows');
  new Checks()
    .that(
      /^[a-z][a-z0-9-]{1,62}$/.test(input.key),
      'key',
      'must be 2–63 characters of a-z, 0-9 and -, starting with a letter',
    )
    .text('name', input.name, { min: 1, max: 200 })
    .text('description', input.description, { max: 2000 })
    .done();
  await checkDefinition(ctx, input.definition);
  await checkTemplates(ctx, input.key, input.definition);
  if (await ctx.em.count(Workflow, { key: input.key }))
    throw new ConflictError(`A workflow "${input.key}" exists already`);
  const workflow = ctx.em.create(Workflow, {
    key: input.key,
    name: input.name.trim(),
    description: input.description ?? '',
    currentVersion: 1,
    createdAt: ctx.clock.now(),
    updatedAt: ctx.clock.now(),
  } as Workflow);
  const version = ctx.em.create(WorkflowVersion, {
    workflow,
    version: 1,
    definition: input.definition,
    createdAt: ctx.clock.now(),
  });
  if (input.isDefault) await makeDefault(ctx, workflow);
  await ctx.em.flush();
  rememberDefinition(version.id, version.definition);
  return workflow;
}

/**
 * Renames a workflow or gives it a new definition. A new definition becomes a new version: tickets
 * already on the workflow keep the version they started on; new tickets get the new one.
 */
export async function updateWorkflow(ctx: UseCaseContext, input: SaveWorkflowInput): Promise<Workflow> {
  if (!canManageWorkflows(ctx.actor)) throw new NotPermittedError('change workflows');
  new Checks()
    .text('name', input.name, { min: 1, max: 200 })
    .text('description', input.description, { max: 2000 })
    .that(input.isDefault !== false, 'isDefault', 'make another workflow the default instead')
    .done();
  const workflow = await ctx.em.findOne(Workflow, { key: input.key });
  if (!workflow) throw new NotFoundError('Workflow', input.key);
  if (input.definition) {
    await checkDefinition(ctx, input.definition);
    await checkTemplates(ctx, input.key, input.definition);
    workflow.currentVersion += 1;
    const version = ctx.em.create(WorkflowVersion, {
      workflow,
      version: workflow.currentVersion,
      definition: input.definition,
      createdAt: ctx.clock.now(),
    });
    await ctx.em.flush();
    rememberDefinition(version.id, version.definition);
  }
  if (input.name !== undefined) workflow.name = input.name.trim();
  if (input.description !== undefined) workflow.description = input.description;
  if (input.isDefault) await makeDefault(ctx, workflow);
  await ctx.em.flush();
  return workflow;
}
