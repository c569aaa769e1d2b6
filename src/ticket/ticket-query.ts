import type { EntityManager } from '@mikro-orm/postgresql';
import type { Actor } from '../access/actor.js';
import { isStaff } from '../access/policy.js';
import { Channel, Priority } from '../shared/enums.js';
import { decodeCursor, encodeCursor, type CursorValueKind } from '../server/cursor.js';
import type { StatusCategory } from '../workflow/definition.js';
import { TICKET_COLUMNS, ticketFromRow, type TicketRecord } from './ticket-read.js';
import { readRows } from '../db/read.js';
import { sqlArray } from '../db/sql.js';

export interface TicketFilter {
  status?: string[];
  statusCategory?: StatusCategory[];
  priority?: Priority[];
  channel?: Channel[];
  assigneeId?: string;
  unassigned?: boolean;
  teamId?: string;
  tier?: number;
  requesterId?: string;
  organizationId?: string;
  tag?: string;
  /** Words to find in the subject and description (full-text, any language). */
  search?: string;
}

export type TicketOrderKey = 'QUEUE' | 'CREATED_AT_ASC' | 'CREATED_AT_DESC' | 'UPDATED_AT_DESC';

/** Keyset orderings: each ends with the id so every position is unique. */
const ORDERS: Record<TicketOrderKey, { columns: string[]; kinds: CursorValueKind[]; dir: 'asc' | 'desc' }> = {
  QUEUE: {
    columns: ['priority_rank', 'created_at', 'id'],
    kinds: ['smallint', 'timestamp', 'uuid'],
    dir: 'asc',
  },
  CREATED_AT_ASC: { columns: ['created_at', 'id'], kinds: ['timestamp', 'uuid'], dir: 'asc' },
  CREATED_AT_DESC: { columns: ['created_at', 'id'], kinds: ['timestamp', 'uuid'], dir: 'desc' },
  UPDATED_AT_DESC: { columns: ['updated_at', 'id'], kinds: ['timestamp', 'uuid'], dir: 'desc' },
};

export interface TicketPage {
  tickets: TicketRecord[];
  cursors: string[];
  hasNextPage: boolean;
  totalCount?: number;
}

/**
 * One statement for a page of tickets and, when asked for, the total count: the count and the page
 * each use their own index-friendly query, joined laterally so an empty page still brings the count.
 */
export async function findTicketPage(
  em: EntityManager,
  viewer: Actor,
  opts: {
    filter: TicketFilter;
    order: TicketOrderKey;
    first: number;
    after?: string;
    withTotal: boolean;
    orgVisible: boolean;
  },
): Promise<TicketPage> {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (sql: string, ...values: unknown[]) => {
    where.push(sql);
    params.push(...values);
  };
  const f = opts.filter;
  if (viewer.kind === 'PARTNER') add('t.partner_id = ?', viewer.partnerId ?? null);
  else if (!isStaff(viewer)) {
    // Their own tickets and those they take part in (CC); with the setting, their organization's.
    if (opts.orgVisible && viewer.organizationId)
      add(
        '(t.requester_id = ? or t.participant_ids @> array[?]::uuid[] or t.organization_id = ?)',
        viewer.userId,
        viewer.userId,
        viewer.organizationId,
      );
    else add('(t.requester_id = ? or t.participant_ids @> array[?]::uuid[])', viewer.userId, viewer.userId);
  }
  if (f.status?.length) add('t.status = any(?::text[])', sqlArray(f.status));
  if (f.statusCategory?.length) add('t.status_category = any(?::text[])', sqlArray(f.statusCategory));
  if (f.priority?.length) add('t.priority = any(?::text[])', sqlArray(f.priority));
  if (f.channel?.length) add('t.channel = any(?::text[])', sqlArray(f.channel));
  if (f.assigneeId) add('t.assignee_id = ?', f.assigneeId);
  if (f.unassigned) add('t.assignee_id is null');
  if (f.teamId) add('t.team_id = ?', f.teamId);
  if (f.tier !== undefined) add('t.tier = ?', f.tier);
  if (f.requesterId) add('t.requester_id = ?', f.requesterId);
  if (f.organizationId) add('t.organization_id = ?', f.organizationId);
  if (f.tag) add('t.tags @> array[?]::text[]', f.tag);
  if (f.search?.trim()) {
    add(
      `to_tsvector('simple', t.subject || ' ' || t.description) @@ websearch_to_tsquery('simple', ?)`,
      f.search.trim(),
    );
  }
  const filterSql = where.length ? where.join(' and ') : 'true';
  const filterParams = [...params];

  const { columns, kinds, dir } = ORDERS[opts.order];
  const pageWhere = [filterSql];
  const pageParams = [...filterParams];
  if (opts.after) {
    const values = decodeCursor(opts.after, kinds);
    pageWhere.push(
      `(${columns.map((c) => `t.${c}`).join(', ')}) ${dir === 'asc' ? '>' : '<'} (${columns.map(() => '?').join(', ')})`,
    );
    pageParams.push(...values);
  }
  const orderSql = columns.map((c) => `t.${c} ${dir}`).join(', ');
  const pageSql = `select ${TICKET_COLUMNS} from ticket t where ${pageWhere.join(' and ')} order by ${orderSql} limit ${opts.first + 1}`;

  const rows: Record<string, unknown>[] = opts.withTotal
    ? await readRows(
        em,
        `select p.*, c.total as "__total" from (select count(*) as total from ticket t where ${filterSql}) c
         left join lateral (${pageSql}) p on true order by ${columns.map((col) => `p.${col} ${dir}`).join(', ')}`,
        [...filterParams, ...pageParams],
      )
    : await readRows(em, pageSql, pageParams);

  const totalCount = opts.withTotal ? Number(rows[0]?.__total ?? 0) : undefined;
  const ticketRows = rows.filter((r) => r.id !== null);
  const hasNextPage = ticketRows.length > opts.first;
  const pageRows = ticketRows.slice(0, opts.first);
  return {
    tickets: pageRows.map(ticketFromRow),
    // Timestamps come back as PostgreSQL text in UTC (MikroORM's type parsers); they are normalised
    // to ISO 8601 so a cursor does not depend on session settings.
    cursors: pageRows.map((r) =>
      encodeCursor(columns.map((c) => (c.endsWith('_at') ? new Date(r[c] as string).toISOString() : r[c]))),
    ),
    hasNextPage,
    totalCount,
  };
}
