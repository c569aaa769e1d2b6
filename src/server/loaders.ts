import type { EntityManager } from '@mikro-orm/postgresql';
import DataLoader from 'dataloader';
import { organizationFromRow, planFromRow, teamFromRow, userFromRow } from '../directory/directory-read.js';
import type { Team } from '../directory/team.entity.js';
import { TICKET_COLUMNS, ticketFromRow } from '../ticket/ticket-read.js';
import { WorkflowVersion } from '../workflow/workflow.entity.js';
import { CLOCK_EVENTS_SQL, type StoredEvent } from '../sla/sla-service.js';

export interface SlaHeader {
  ticket_id: string;
  policy_version_id: string;
  calendar_version_id: string;
  policy_key: string;
  policy_name: string;
  policy_version: number;
  calendar_key: string;
  calendar_name: string;
  calendar_version: number;
}
import { readRows } from '../db/read.js';
import { attachmentsWhere, type AttachmentRow } from '../attachments/attachments.js';
import { sqlArray } from '../db/sql.js';

/** One SELECT … WHERE id = ANY(…) per kind per tick, answered in the order asked, as plain objects. */
function byId<T extends { id: string }>(
  em: EntityManager,
  sql: string,
  map: (row: Record<string, unknown>) => T,
): DataLoader<string, T | undefined> {
  return new DataLoader(async (ids) => {
    const rows = await readRows(em, sql, [sqlArray(ids)]);
    const found = new Map(rows.map((r) => [r.id as string, map(r)]));
    return ids.map((id) => found.get(id));
  });
}

/**
 * Request-scoped DataLoaders: every relation of a page of tickets loads in one statement per kind,
 * whatever the page size (a test holds this to account).
 */
export function createLoaders(em: EntityManager) {
  /** Attachments grouped by a column (ticket_id or comment_id), oldest first: one statement per page. */
  const attachmentsBy = (column: 'ticket_id' | 'comment_id') =>
    new DataLoader<string, AttachmentRow[]>(async (ids) => {
      const rows = await attachmentsWhere(em, column, ids);
      return ids.map((id) => rows.filter((r) => (column === 'ticket_id' ? r.ticketId : r.commentId) === id));
    });
  return {
    attachmentsOfTicket: attachmentsBy('ticket_id'),
    attachmentsOfComment: attachmentsBy('comment_id'),
    user: byId(
      em,
      'select id, email, name, role, tier, available, organization_id from app_user where id = any(?::uuid[])',
      userFromRow,
    ),
    organization: byId(
      em,
      'select id, name, plan_id, workflow_key, lead_agent_id, email_domains from organization where id = any(?::uuid[])',
      organizationFromRow,
    ),
    team: byId(em, 'select id, key, name from team where id = any(?::uuid[])', teamFromRow),
    plan: byId(em, 'select id, name, default_priority from plan where id = any(?::uuid[])', planFromRow),
    ticket: byId(em, `select ${TICKET_COLUMNS} from ticket t where t.id = any(?::uuid[])`, ticketFromRow),
    /** Workflow versions with their workflow (for Ticket.workflow), one statement per page. */
    workflowVersion: new DataLoader<string, WorkflowVersion | undefined>(async (ids) => {
      const rows = await em.find(WorkflowVersion, { id: { $in: [...ids] } }, { populate: ['workflow'] });
      const map = new Map(rows.map((r) => [r.id, r]));
      return ids.map((id) => map.get(id));
    }),
    /** The SLA header of each ticket: policy and calendar versions with their names. */
    slaHeader: new DataLoader<string, SlaHeader | undefined>(async (ids) => {
      const rows = await readRows<SlaHeader>(
        em,
        `select ts.ticket_id, ts.policy_version_id, ts.calendar_version_id, p.key as policy_key, p.name as policy_name,
                v.version as policy_version, bc.key as calendar_key, bc.name as calendar_name, cv.version as calendar_version
           from ticket_sla ts
           join sla_policy_version v on v.id = ts.policy_version_id join sla_policy p on p.id = v.policy_id
           join business_calendar_version cv on cv.id = ts.calendar_version_id join business_calendar bc on bc.id = cv.calendar_id
          where ts.ticket_id = any(?::uuid[])`,
        [sqlArray(ids)],
      );
      const map = new Map(rows.map((r) => [r.ticket_id, r]));
      return ids.map((id) => map.get(id));
    }),
    /** Each ticket's history as the SLA clock reads it (CLOCK_EVENTS_SQL), oldest first. */
    history: new DataLoader<string, StoredEvent[]>(async (ids) => {
      const rows = await readRows<{
        ticket_id: string;
        type: string;
        payload: Record<string, unknown>;
        occurred_at: Date | string;
      }>(
        em,
        `select ticket_id, type, payload, occurred_at from ticket_event
          where ticket_id = any(?::uuid[]) and ${CLOCK_EVENTS_SQL} order by seq`,
        [sqlArray(ids)],
      );
      const map = new Map<string, StoredEvent[]>(ids.map((id) => [id, []]));
      for (const r of rows)
        map.get(r.ticket_id)!.push({ type: r.type, payload: r.payload, occurredAt: new Date(r.occurred_at) });
      return ids.map((id) => map.get(id)!);
    }),
    teamsOfUser: new DataLoader<string, Team[]>(async (ids) => {
      const rows = await readRows<{ user_id: string; team_id: string }>(
        em,
        'select user_id, team_id from team_member where user_id = any(?::uuid[])',
        [sqlArray(ids)],
      );
      const teamIds = sqlArray([...new Set(rows.map((r) => r.team_id))]);
      const teams = rows.length
        ? (
            await readRows(em, 'select id, key, name from team where id = any(?::uuid[]) order by name', [
              teamIds,
            ])
          ).map(teamFromRow)
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
