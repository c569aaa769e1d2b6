import type { EntityManager } from '@mikro-orm/postgresql';
import { DEFAULT_ASSIGNMENT_STEPS, type AssignmentStep } from '../workflow/definition.js';

/**
 * Who may take a ticket automatically: available agents who serve the ticket's `tier`, and, when the
 * ticket has a team, only that team's members (DOMAIN.md: agents are in a tier and belong to teams).
 * When the team has no available agent of the tier, the tier's agents of any team are used.
 */
export interface AssignmentScope {
  tier: number;
  teamId?: string;
}

/** SQL for "agent `u` serves the scope" (team membership is checked separately, see scoped()). */
const IN_TIER = `u.role = 'AGENT' and u.available and u.tier = ?`;
const IN_TEAM = `exists (select 1 from team_member m where m.user_id = u.id and m.team_id = ?)`;

/**
 * The scope a ticket's automatic assignment runs in: the ticket's team when that team has an available
 * agent of the tier, else the whole tier. `pick` gets the SQL (and parameters) that narrows agents `u`
 * to the team, or nothing.
 */
async function scoped(
  em: EntityManager,
  scope: AssignmentScope,
  pick: (teamClause: string, teamParams: string[]) => Promise<string | undefined>,
): Promise<string | undefined> {
  if (scope.teamId) {
    const [staffed] = await em.execute<{ id: string }[]>(
      `select u.id from app_user u where ${IN_TIER} and ${IN_TEAM} limit 1`,
      [scope.tier, scope.teamId],
    );
    if (staffed) return pick(`and ${IN_TEAM}`, [scope.teamId]);
  }
  return pick('', []);
}

/**
 * Automatic assignment of a new ticket: the workflow's assignment steps for its category, in order
 * (issue 16; by default FAMILIAR_AGENT then LEAST_LOADED, seed 002's "we try to assign new project
 * requests to the agent you have mostly worked with"):
 * - LEAD_AGENT: the organization's lead agent ("Project communications will almost always be handled
 *   by the lead agent on your project"), if available and of the ticket's tier (and team, where set);
 * - FAMILIAR_AGENT: the available agent of the ticket's tier (and team) who handled most of this
 *   requester's earlier tickets, then most of the organization's; never one of another tier (issue 12:
 *   a seller whose earlier ticket went to a tier-2 agent gets a tier-1 agent on a new tier-1 ticket);
 * - LEAST_LOADED: see leastLoadedAgent.
 * Manual assignment overrides it. Returns the user id, or undefined when no step finds anyone.
 */
export async function pickAssignee(
  em: EntityManager,
  opts: AssignmentScope & {
    requesterId: string;
    organizationId?: string;
    steps?: readonly AssignmentStep[];
  },
): Promise<string | undefined> {
  for (const step of opts.steps ?? DEFAULT_ASSIGNMENT_STEPS) {
    const found =
      step === 'LEAD_AGENT'
        ? await leadAgent(em, opts)
        : step === 'FAMILIAR_AGENT'
          ? await familiarAgent(em, opts)
          : await leastLoadedAgent(em, opts);
    if (found) return found;
  }
  return undefined;
}

/** The organization's lead agent, when available and serving the scope (team first, as everywhere). */
async function leadAgent(
  em: EntityManager,
  opts: AssignmentScope & { organizationId?: string },
): Promise<string | undefined> {
  if (!opts.organizationId) return undefined;
  return scoped(em, opts, async (teamClause, teamParams) => {
    const [row] = await em.execute<{ id: string }[]>(
      `select u.id from organization o join app_user u on u.id = o.lead_agent_id
        where o.id = ? and ${IN_TIER} ${teamClause}`,
      [opts.organizationId, opts.tier, ...teamParams],
    );
    return row?.id;
  });
}

async function familiarAgent(
  em: EntityManager,
  opts: AssignmentScope & { requesterId: string; organizationId?: string },
): Promise<string | undefined> {
  return scoped(em, opts, async (teamClause, teamParams) => {
    const [row] = await em.execute<{ id: string }[]>(
      `select t.assignee_id as id
         from ticket t join app_user u on u.id = t.assignee_id
        where (t.requester_id = ? or t.organization_id = ?)
          and ${IN_TIER} ${teamClause}
        group by t.assignee_id
        order by count(*) filter (where t.requester_id = ?) desc, count(*) desc, max(t.created_at) desc
        limit 1`,
      [opts.requesterId, opts.organizationId ?? null, opts.tier, ...teamParams, opts.requesterId],
    );
    return row?.id;
  });
}

/**
 * The available agent of the scope's tier (team members first, where the ticket has a team) with the
 * fewest open (not resolved or closed) tickets; ties go to the longest-serving agent.
 */
export async function leastLoadedAgent(
  em: EntityManager,
  scope: AssignmentScope,
): Promise<string | undefined> {
  return scoped(em, scope, async (teamClause, teamParams) => {
    const [agent] = await em.execute<{ id: string }[]>(
      `select u.id
         from app_user u
         left join ticket t on t.assignee_id = u.id and t.status_category not in ('RESOLVED', 'CLOSED')
        where ${IN_TIER} ${teamClause}
        group by u.id, u.created_at
        order by count(t.id), u.created_at, u.id
        limit 1`,
      [scope.tier, ...teamParams],
    );
    return agent?.id;
  });
}
