import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * Automatic assignment (seed 002): a new ticket goes to the available agent who handled most of this
 * requester's earlier tickets, then most of the organization's; otherwise to the available agent of the
 * ticket's tier with the fewest open tickets (ties: the longest-serving agent). Manual assignment
 * overrides it.
 */
export async function pickAssignee(
  em: EntityManager,
  opts: { requesterId: string; organizationId?: string; tier: number },
): Promise<string | undefined> {
  const [familiar] = await em.execute<{ id: string }[]>(
    `select t.assignee_id as id
       from ticket t join app_user u on u.id = t.assignee_id
      where (t.requester_id = ? or t.organization_id = ?)
        and u.available and u.role in ('AGENT', 'ADMIN')
      group by t.assignee_id
      order by count(*) filter (where t.requester_id = ?) desc, count(*) desc, max(t.created_at) desc
      limit 1`,
    [opts.requesterId, opts.organizationId ?? null, opts.requesterId],
  );
  if (familiar) return familiar.id;
  return leastLoadedAgent(em, opts.tier);
}

/** The available agent of `tier` with the fewest open (not resolved or closed) tickets. */
export async function leastLoadedAgent(em: EntityManager, tier: number): Promise<string | undefined> {
  const [agent] = await em.execute<{ id: string }[]>(
    `select u.id
       from app_user u
       left join ticket t on t.assignee_id = u.id and t.status_category not in ('RESOLVED', 'CLOSED')
      where u.role = 'AGENT' and u.available and u.tier = ?
      group by u.id, u.created_at
      order by count(t.id), u.created_at, u.id
      limit 1`,
    [tier],
  );
  return agent?.id;
}
