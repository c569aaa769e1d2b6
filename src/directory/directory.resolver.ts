import { Arg, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import { canSeeContactOf, isStaff } from '../access/policy.js';
import { authed } from '../server/guard.js';
import { Role } from '../shared/enums.js';
import type { Organization } from './organization.entity.js';
import type { Plan } from './plan.entity.js';
import {
  OrganizationPayload,
  OrganizationType,
  SetOrganizationLeadAgentInput,
  TeamType,
  UserType,
} from './directory.types.js';
import { setOrganizationLeadAgent } from './set-lead-agent.js';
import { mutate } from '../server/guard.js';
import { parseId, parseOptionalId } from '../server/global-id.js';
import { inTransaction, type RequestContext } from '../server/context.js';
import { Team } from './team.entity.js';
import { User } from './user.entity.js';

/**
 * Roots are typed through a mapped type on purpose: with a class type, TypeGraphQL would copy every
 * plain read-path object into a new entity instance before each field resolver call.
 */
type UserRoot = Readonly<User>;
type OrganizationRoot = Readonly<Organization>;

@Resolver(() => UserType)
export class UserResolver {
  @Query(() => UserType, { description: 'The signed-in user' })
  async viewer(@Ctx() ctx: RequestContext): Promise<User | undefined> {
    const c = authed(ctx);
    return c.actor.userId ? c.loaders.user.load(c.actor.userId) : undefined;
  }

  @Query(() => [UserType], { description: 'Staff only: agents and admins, e.g. to pick an assignee' })
  async agents(
    @Ctx() ctx: RequestContext,
    @Arg('availableOnly', { defaultValue: false }) availableOnly: boolean,
  ): Promise<User[]> {
    const c = authed(ctx);
    if (!isStaff(c.actor)) return [];
    return c.em.find(
      User,
      { role: { $in: [Role.AGENT, Role.ADMIN] }, ...(availableOnly ? { available: true } : {}) },
      { orderBy: { tier: 'asc', name: 'asc' } },
    );
  }

  @FieldResolver(() => String, { nullable: true })
  email(@Root() u: UserRoot, @Ctx() ctx: RequestContext): string | undefined {
    return canSeeContactOf(authed(ctx).actor, u.id) ? u.email : undefined;
  }

  @FieldResolver()
  async organization(@Root() u: UserRoot, @Ctx() ctx: RequestContext): Promise<Organization | undefined> {
    return u.organization ? ctx.loaders.organization.load(u.organization.id) : undefined;
  }

  @FieldResolver(() => [TeamType])
  async teams(@Root() u: UserRoot, @Ctx() ctx: RequestContext): Promise<Team[]> {
    return ctx.loaders.teamsOfUser.load(u.id);
  }
}

@Resolver(() => OrganizationType)
export class OrganizationResolver {
  @FieldResolver()
  async plan(@Root() o: OrganizationRoot, @Ctx() ctx: RequestContext): Promise<Plan | undefined> {
    return o.plan ? ctx.loaders.plan.load(o.plan.id) : undefined;
  }

  @FieldResolver(() => UserType, {
    nullable: true,
    description:
      'The agent who leads this organization’s projects (seed 002); assignment rules may route to them',
  })
  async leadAgent(@Root() o: OrganizationRoot, @Ctx() ctx: RequestContext): Promise<User | undefined> {
    return o.leadAgent ? ctx.loaders.user.load(o.leadAgent.id) : undefined;
  }

  @Mutation(() => OrganizationPayload, {
    description: 'Admins: name (or clear) an organization’s lead agent',
  })
  async setOrganizationLeadAgent(
    @Arg('input') input: SetOrganizationLeadAgentInput,
    @Ctx() ctx: RequestContext,
  ): Promise<OrganizationPayload> {
    const c = authed(ctx);
    return mutate(async () => {
      const org = await inTransaction(c, (tx) =>
        setOrganizationLeadAgent(tx, {
          organizationId: parseId('Organization', input.organizationId, 'organizationId'),
          leadAgentId: parseOptionalId('User', input.leadAgentId, 'leadAgentId') ?? null,
        }),
      );
      return { organization: (await c.loaders.organization.load(org.id)) as never };
    });
  }
}

@Resolver(() => TeamType)
export class TeamResolver {
  @Query(() => [TeamType])
  async teams(@Ctx() ctx: RequestContext): Promise<Team[]> {
    authed(ctx);
    return ctx.em.find(Team, {}, { orderBy: { name: 'asc' } });
  }
}
