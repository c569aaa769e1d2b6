import { Arg, Ctx, FieldResolver, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { inTransaction, type RequestContext } from '../server/context.js';
import { authed, mutate } from '../server/guard.js';
import { plainInput } from '../server/plain-input.js';
import type { WorkflowDefinition } from './definition.js';
import { createWorkflow, updateWorkflow } from './save-workflow.js';
import { Workflow, WorkflowVersion } from './workflow.entity.js';
import {
  CreateWorkflowInput,
  UpdateWorkflowInput,
  WorkflowDefinitionGql,
  WorkflowPayload,
  WorkflowType,
} from './workflow.types.js';

/**
 * Roots are typed through a mapped type on purpose: with a class type, TypeGraphQL would copy every
 * plain read-path object into a new entity instance before each field resolver call.
 */
type WorkflowRoot = Readonly<Workflow>;

@Resolver(() => WorkflowType)
export class WorkflowResolver {
  @Query(() => [WorkflowType])
  async workflows(@Ctx() ctx: RequestContext): Promise<Workflow[]> {
    authed(ctx);
    return ctx.em.find(Workflow, {}, { orderBy: { key: 'asc' } });
  }

  @Query(() => WorkflowType, { nullable: true })
  async workflow(@Arg('key') key: string, @Ctx() ctx: RequestContext): Promise<Workflow | null> {
    authed(ctx);
    return ctx.em.findOne(Workflow, { key });
  }

  @Mutation(() => WorkflowPayload, { description: 'Admins: a new workflow, validated before it is saved' })
  async createWorkflow(
    @Arg('input') input: CreateWorkflowInput,
    @Ctx() ctx: RequestContext,
  ): Promise<WorkflowPayload> {
    const c = authed(ctx);
    return mutate(async () => ({
      workflow: (await inTransaction(c, (ctx) =>
        createWorkflow(ctx, { ...input, definition: plainInput(input.definition) as WorkflowDefinition }),
      )) as unknown as WorkflowType,
    }));
  }

  @Mutation(() => WorkflowPayload, { description: 'Admins: rename, make default, or save a new version' })
  async updateWorkflow(
    @Arg('input') input: UpdateWorkflowInput,
    @Ctx() ctx: RequestContext,
  ): Promise<WorkflowPayload> {
    const c = authed(ctx);
    return mutate(async () => ({
      workflow: (await inTransaction(c, (ctx) =>
        updateWorkflow(ctx, {
          key: input.key,
          name: input.name ?? undefined,
          description: input.description ?? undefined,
          isDefault: input.isDefault ?? undefined,
          definition: input.definition ? (plainInput(input.definition) as WorkflowDefinition) : undefined,
        }),
      )) as unknown as WorkflowType,
    }));
  }

  @FieldResolver(() => Int)
  version(@Root() w: WorkflowRoot): number {
    return w.currentVersion;
  }

  @FieldResolver(() => WorkflowDefinitionGql)
  async definition(@Root() w: WorkflowRoot, @Ctx() ctx: RequestContext): Promise<WorkflowDefinition> {
    const v = await ctx.em.findOneOrFail(WorkflowVersion, { workflow: w.id, version: w.currentVersion });
    // Versions saved before notification rules existed have none.
    return { ...v.definition, notifications: v.definition.notifications ?? [] };
  }
}
