import type { EntityManager } from '@mikro-orm/postgresql';
import { ConflictError, InvalidInputError } from '../shared/errors.js';
import { VersionCache } from '../shared/version-cache.js';
import type { WorkflowDefinition } from './definition.js';
import { Workflow, WorkflowVersion } from './workflow.entity.js';

/** Workflow versions never change once written: checking a transition or listing moves costs no query. */
const definitions = new VersionCache<WorkflowDefinition>(
  async (em, id) => (await em.findOneOrFail(WorkflowVersion, id)).definition,
);

/** The definition of a workflow version. */
export function definitionOf(em: EntityManager, versionId: string): Promise<WorkflowDefinition> {
  return definitions.get(em, versionId);
}

/** The definition when it is already cached. */
export function cachedDefinition(versionId: string): WorkflowDefinition | undefined {
  return definitions.peek(versionId);
}

export function rememberDefinition(versionId: string, def: WorkflowDefinition): void {
  definitions.remember(versionId, def);
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
  rememberDefinition(version.id, version.definition);
  return version;
}
