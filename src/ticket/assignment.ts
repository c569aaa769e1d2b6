import type { EntityManager } from '@mikro-orm/postgresql';

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
 * Automatic assignment of a new ticket (seed 002: "we try to assign new project requests to the agent
 * you have mostly worked with"): the available agent of the ticket's tier (and team, where set) who
 * handled most of this requester's earlier tickets, then most of the organization's; otherwise the
 * least-loaded agent of that tier (see leastLoadedAgent). Issue 12: the familiar agent is never one of
 * another tier (a seller whose earlier ticket went to a tier-2 agent gets a tier-1 agent on a new
 * tier-1 ticket). Manual assignment overrides it. Returns the user id, or undefined when nobody serves
 * the tier.
 */
export async function pickAssignee(
  em: EntityManager,
  opts: AssignmentScope & { requesterId: string; organizationId?: string },
): Promise<string | undefined> {
  const familiar = await scoped(em, opts, async (teamClause, teamParams) => {
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
  return familiar ?? leastLoadedAgent(em, opts);
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
