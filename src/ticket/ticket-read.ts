import type { Ticket } from './ticket.entity.js';

/**
 * The read path: queue pages and loaders map rows straight to plain objects of the entity's shape
 * (relations as `{ id }` stubs) instead of hydrating managed entities, which cost more CPU than the
 * rest of a queue request together. Writes still go through entities and the unit of work.
 */
export const TICKET_COLUMNS = `t.id, t.reference, t.subject, t.description, t.channel, t.category, t.priority, t.priority_rank,
  t.workflow_version_id, t.status, t.status_category, t.tier, t.assignee_id, t.team_id, t.requester_id,
  t.organization_id, t.tags, t.first_responded_at, t.resolved_at, t.comments_total, t.comments_public, t.partner_id, t.participant_ids, t.follower_ids, t.external_id, t.version, t.created_at, t.updated_at`;

const date = (v: unknown) =>
  v === null || v === undefined ? undefined : v instanceof Date ? v : new Date(v as string);
const stub = (id: unknown) => (id ? { id: id as string } : undefined);

/** A uuid[] column: node-pg returns an array; a text form ("{a,b}") is parsed too. */
export function pgArray(v: unknown): string[] {
  if (Array.isArray(v)) return v as string[];
  if (typeof v === 'string' && v.length > 2) return v.slice(1, -1).split(',');
  return [];
}

export type TicketRecord = Ticket & { __typename: 'Ticket' };

export function ticketFromRow(r: Record<string, unknown>): TicketRecord {
  return {
    __typename: 'Ticket',
    id: r.id as string,
    reference: r.reference as string,
    subject: r.subject as string,
    description: r.description as string,
    channel: r.channel,
    category: r.category as string,
    priority: r.priority,
    priorityRank: r.priority_rank as number,
    workflowVersion: stub(r.workflow_version_id),
    status: r.status as string,
    statusCategory: r.status_category,
    tier: r.tier as number,
    assignee: stub(r.assignee_id),
    team: stub(r.team_id),
    requester: stub(r.requester_id),
    organization: stub(r.organization_id),
    tags: (r.tags as string[]) ?? [],
    firstRespondedAt: date(r.first_responded_at),
    resolvedAt: date(r.resolved_at),
    commentsTotal: r.comments_total as number,
    commentsPublic: r.comments_public as number,
    partnerId: (r.partner_id as string | null) ?? undefined,
    participantIds: pgArray(r.participant_ids),
    followerIds: pgArray(r.follower_ids),
    externalId: (r.external_id as string | null) ?? undefined,
    version: r.version as number,
    createdAt: date(r.created_at)!,
    updatedAt: date(r.updated_at)!,
  } as unknown as TicketRecord;
}
