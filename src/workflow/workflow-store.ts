import type { EntityManager } from '@mikro-orm/postgresql';
import { ConflictError, InvalidInputError } from '../shared/errors.js';
import type { WorkflowDefinition } from './definition.js';
import { Workflow, WorkflowVersion } from './workflow.entity.js';

/**
 * Workflow versions never change once written, so their definitions are cached for the life of the
 * process: checking a transition or listing allowed moves costs no query.
 */
const definitions = new Map<string, WorkflowDefinition>();

export async function definitionOf(em: EntityManager, versionId: string): Promise<WorkflowDefinition> {
  const cached = definitions.get(versionId);
  if (cached) return cached;
  const version = await em.findOneOrFail(WorkflowVersion, versionId);
  definitions.set(versionId, version.definition);
  return version.definition;
}

export function rememberDefinition(versionId: string, def: WorkflowDefinition): void {
  definitions.set(versionId, def);
}

/** The current version of the workflow named `key`, or of the default workflow. */
export async function currentVersionFor(
  em: EntityManager,
  key: string | undefined,
): Promise<WorkflowVersion> {
  const workflow = key
    ? await em.findOne(Workflow, { key })
    : ((await em.findOne(Workflow, { isDefault: true })) ??
      (await em.findOne(Workflow, {}, { orderBy: { createdAt: 'asc' } })));
  if (!workflow) {
    throw key
      ? InvalidInputError.field('workflowKey', `no workflow "${key}"`)
      : new ConflictError('No workflow is configured yet: an admin must create one (or run `npm run seed`)');
  }
  const version = await em.findOneOrFail(WorkflowVersion, { workflow, version: workflow.currentVersion });
  definitions.set(version.id, version.definition);
  return version;
}
