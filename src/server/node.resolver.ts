import { Arg, Ctx, ID, Query, Resolver } from 'type-graphql';
import { canReadTicket, isStaff } from '../access/policy.js';
import { Organization } from '../directory/organization.entity.js';
import { Plan } from '../directory/plan.entity.js';
import { Team } from '../directory/team.entity.js';
import { User } from '../directory/user.entity.js';
import { Comment } from '../ticket/comment.entity.js';
import { Ticket } from '../ticket/ticket.entity.js';
import { Workflow } from '../workflow/workflow.entity.js';
import { useCaseContext, type RequestContext } from './context.js';
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

@Resolver()
export class NodeResolver {
  @Query(() => Node, {
    nullable: true,
    description: 'Any object by its global id; null when absent or not yours to see',
  })
  async node(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext): Promise<object | null> {
    const c = authed(ctx);
    const parsed = fromGlobalId(id);
    if (!parsed) return null;
    const staff = isStaff(c.actor);
    const visibility = useCaseContext(c).visibility;
    switch (parsed.type) {
      case 'Ticket': {
        const t = await c.loaders.ticket.load(parsed.id);
        return t && canReadTicket(c.actor, t, visibility) ? t : null;
      }
      case 'Comment': {
        const m = await c.em.findOne(Comment, parsed.id, { populate: ['ticket'] });
        if (!m || (m.internal && !staff) || !canReadTicket(c.actor, m.ticket, visibility)) return null;
        return m;
      }
      case 'User':
        return staff || parsed.id === c.actor.userId
          ? ((await c.loaders.user.load(parsed.id)) ?? null)
          : null;
      case 'Team':
        return (await c.loaders.team.load(parsed.id)) ?? null;
      case 'Organization':
        return staff || parsed.id === c.actor.organizationId
          ? ((await c.loaders.organization.load(parsed.id)) ?? null)
          : null;
      case 'Plan':
        return (await c.loaders.plan.load(parsed.id)) ?? null;
      case 'Workflow':
        return c.em.findOne(Workflow, parsed.id);
      default:
        return null;
    }
  }
}
