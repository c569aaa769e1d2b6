import type { EntityManager } from '@mikro-orm/postgresql';
import DataLoader from 'dataloader';
import { Organization } from '../directory/organization.entity.js';
import { Plan } from '../directory/plan.entity.js';
import { Team } from '../directory/team.entity.js';
import { User } from '../directory/user.entity.js';
import { Ticket } from '../ticket/ticket.entity.js';
import { WorkflowVersion } from '../workflow/workflow.entity.js';
import { sqlArray } from '../db/sql.js';

type Entity = User | Organization | Team | Plan | Ticket;
type Class<T> = new (...args: never[]) => T;

/** One SELECT … WHERE id = ANY(…) per entity class per tick, answered in the order asked. */
function byId<T extends Entity>(em: EntityManager, cls: Class<T>): DataLoader<string, T | undefined> {
  return new DataLoader(async (ids) => {
    const rows = (await em.find(cls, { id: { $in: [...ids] } } as never)) as T[];
    const map = new Map(rows.map((r) => [r.id, r]));
    return ids.map((id) => map.get(id));
  });
}

/**
 * Request-scoped DataLoaders: every relation of a page of tickets loads in one statement per kind,
 * whatever the page size (a test holds this to account).
 */
export function createLoaders(em: EntityManager, opts: { seeInternal: boolean }) {
  return {
    user: byId(em, User),
    organization: byId(em, Organization),
    team: byId(em, Team),
    plan: byId(em, Plan),
    ticket: byId(em, Ticket),
    /** Workflow versions with their workflow (for Ticket.workflow), one statement per page. */
    workflowVersion: new DataLoader<string, WorkflowVersion | undefined>(async (ids) => {
      const rows = await em.find(WorkflowVersion, { id: { $in: [...ids] } }, { populate: ['workflow'] });
      const map = new Map(rows.map((r) => [r.id, r]));
      return ids.map((id) => map.get(id));
    }),
    /** Comments the viewer may see, per ticket. */
    commentCount: new DataLoader<string, number>(async (ids) => {
      const rows = await em.execute<{ ticket_id: string; n: string }[]>(
        `select ticket_id, count(*) as n from comment where ticket_id = any(?::uuid[]) ${opts.seeInternal ? '' : 'and not internal'} group by ticket_id`,
        [sqlArray(ids)],
      );
      const map = new Map(rows.map((r) => [r.ticket_id, Number(r.n)]));
      return ids.map((id) => map.get(id) ?? 0);
    }),
    teamsOfUser: new DataLoader<string, Team[]>(async (ids) => {
      const rows = await em.execute<{ user_id: string; team_id: string }[]>(
        'select user_id, team_id from team_member where user_id = any(?::uuid[])',
        [sqlArray(ids)],
      );
      const teams = rows.length
        ? await em.find(
            Team,
            { id: { $in: [...new Set(rows.map((r) => r.team_id))] } },
            { orderBy: { name: 'asc' } },
          )
        : [];
      const byTeam = new Map(teams.map((t) => [t.id, t]));
      return ids.map((id) =>
        rows
          .filter((r) => r.user_id === id)
          .map((r) => byTeam.get(r.team_id)!)
          .filter(Boolean),
      );
    }),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
