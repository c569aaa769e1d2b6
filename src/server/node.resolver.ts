import { Arg, Ctx, ID, Query, Resolver } from 'type-graphql';
import { ApiKey, Partner } from '../access/api-key.entity.js';
import { canReadTicket, isStaff, mayReadNodeType } from '../access/policy.js';
import { Organization } from '../directory/organization.entity.js';
import { Plan } from '../directory/plan.entity.js';
import { Team } from '../directory/team.entity.js';
import { User } from '../directory/user.entity.js';
import { Comment } from '../ticket/comment.entity.js';
import { Ticket } from '../ticket/ticket.entity.js';
import { Workflow } from '../workflow/workflow.entity.js';
import { useCaseContext, type AuthedContext, type RequestContext } from './context.js';
import { fromGlobalId } from './global-id.js';
import { authed } from './guard.js';
import { Node, registerNodeType } from './node.js';

registerNodeType(Ticket, 'Ticket');
registerNodeType(User, 'User');
registerNodeType(Team, 'Team');
registerNodeType(Organization, 'Organization');
registerNodeType(Plan, 'Plan');
registerNodeType(Comment, 'Comment');
registerNodeType(Workflow, 'Workflow');

/**
 * The object of a Node type behind `id` if `c`'s caller may read it by its data rule (the operation
 * rule, mayReadNodeType, was asked first): the same rule as the object's own root query.
 */
async function readableNode(c: AuthedContext, type: string, id: string): Promise<object | null> {
  const staff = isStaff(c.actor);
  const visibility = useCaseContext(c).visibility;
  switch (type) {
    case 'Ticket': {
      const t = await c.loaders.ticket.load(id);
      return t && canReadTicket(c.actor, t, visibility) ? t : null;
    }
    case 'Comment': {
      const m = await c.em.findOne(Comment, id, { populate: ['ticket'] });
      if (!m || (m.internal && !staff) || !canReadTicket(c.actor, m.ticket, visibility)) return null;
      return m;
    }
    case 'User':
      return staff || id === c.actor.userId ? ((await c.loaders.user.load(id)) ?? null) : null;
    case 'Organization':
      return staff || id === c.actor.organizationId
        ? ((await c.loaders.organization.load(id)) ?? null)
        : null;
    case 'Plan': {
      // Reached through an organization: staff, or a member of an organization on this plan.
      if (!staff) {
        const own = c.actor.organizationId && (await c.loaders.organization.load(c.actor.organizationId));
        if (!own || own.plan?.id !== id) return null;
      }
      return (await c.loaders.plan.load(id)) ?? null;
    }
    case 'Team':
      return (await c.loaders.team.load(id)) ?? null;
    case 'Workflow':
      return c.em.findOne(Workflow, id);
    case 'Partner':
      return c.em.findOne(Partner, id);
    case 'ApiKey':
      return c.em.findOne(ApiKey, id);
    default:
      return null;
  }
}

@Resolver()
export class NodeResolver {
  @Query(() => Node, {
    nullable: true,
    description:
      'Any object by its global id, under the same read rule as its own query; null when absent or not yours to see',
  })
  async node(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext): Promise<object | null> {
    const c = authed(ctx);
    const parsed = fromGlobalId(id);
    if (!parsed || !mayReadNodeType(c.actor, parsed.type)) return null;
    return readableNode(c, parsed.type, parsed.id);
  }
}
