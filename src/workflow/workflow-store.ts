import type { EntityManager } from '@mikro-orm/postgresql';
import { ConflictError, InvalidInputError } from '../shared/errors.js';
import type { WorkflowDefinition } from './definition.js';
import { Workflow, WorkflowVersion } from './workflow.entity.js';

/**
 * Workflow versions never change once written, so their definitions are cached for the life of the
 * process: checking a transition or listing allowed moves costs no query.
 */
const definitions = new Map<string, Promise<WorkflowDefinition>>();
const settled = new Map<string, WorkflowDefinition>();

/** The definition of a workflow version; concurrent first lookups share one query. */
export function definitionOf(em: EntityManager, versionId: string): Promise<WorkflowDefinition> {
  let cached = definitions.get(versionId);
  if (!cached) {
    cached = em.findOneOrFail(WorkflowVersion, versionId).then((v) => {
      settled.set(versionId, v.definition);
      return v.definition;
    });
    cached.catch(() => definitions.delete(versionId));
    definitions.set(versionId, cached);
  }
  return cached;
}

/** The definition when it is already cached: lets hot field resolvers answer without a promise. */
export function cachedDefinition(versionId: string): WorkflowDefinition | undefined {
  return settled.get(versionId);
}

export function rememberDefinition(versionId: string, def: WorkflowDefinition): void {
  definitions.set(versionId, Promise.resolve(def));
  settled.set(versionId, def);
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
