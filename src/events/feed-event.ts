import type { Priority } from '../shared/enums.js';
import type { ActorKind, StatusCategory } from '../workflow/definition.js';
import { pgArray } from '../ticket/ticket-read.js';
import type { TicketEventType } from './event-types.js';

/** One committed event of the log as the feed hands it to subscribers: the row and the ticket's facts then. */
export interface FeedEvent {
  seq: number;
  ticketId: string;
  type: TicketEventType;
  actorKind: ActorKind;
  actorId?: string;
  payload: Record<string, unknown>;
  internal: boolean;
  occurredAt: Date;
  requesterId?: string;
  organizationId?: string;
  teamId?: string;
  assigneeId?: string;
  statusCategory?: StatusCategory;
  priority?: Priority;
  partnerId?: string;
  /** The ticket's participants (CCs) when the event committed. */
  participantIds?: string[];
  /** Audit: the API key a partner acted with. */
  apiKeyId?: string;
  /** Written by an import of history (src/import): replayed, never pushed live or notified. */
  imported?: boolean;
}

/** The columns of ticket_event a FeedEvent is read from (see rowToFeedEvent). */
export const FEED_EVENT_COLUMNS = `seq, ticket_id, type, actor_kind, actor_id, payload, internal, occurred_at,
  requester_id, organization_id, team_id, assignee_id, status_category, priority, partner_id, api_key_id, participant_ids, imported`;

export interface FeedEventRow {
  seq: string;
  ticket_id: string;
  type: string;
  actor_kind: string;
  actor_id: string | null;
  payload: Record<string, unknown>;
  internal: boolean;
  /** The ORM's pool returns timestamps as text. */
  occurred_at: string | Date;
  requester_id: string | null;
  organization_id: string | null;
  team_id: string | null;
  assignee_id: string | null;
  status_category: string | null;
  priority: string | null;
  partner_id: string | null;
  api_key_id: string | null;
  participant_ids: string[] | string | null;
  imported: boolean;
}

export function rowToFeedEvent(r: FeedEventRow): FeedEvent {
  return {
    seq: Number(r.seq),
    ticketId: r.ticket_id,
    type: r.type as TicketEventType,
    actorKind: r.actor_kind as ActorKind,
    actorId: r.actor_id ?? undefined,
    payload: r.payload,
    internal: r.internal,
    occurredAt: new Date(r.occurred_at),
    requesterId: r.requester_id ?? undefined,
    organizationId: r.organization_id ?? undefined,
    teamId: r.team_id ?? undefined,
    assigneeId: r.assignee_id ?? undefined,
    statusCategory: (r.status_category ?? undefined) as StatusCategory | undefined,
    priority: (r.priority ?? undefined) as Priority | undefined,
    partnerId: r.partner_id ?? undefined,
    apiKeyId: r.api_key_id ?? undefined,
    participantIds: r.participant_ids ? pgArray(r.participant_ids) : undefined,
    imported: r.imported,
  };
}
