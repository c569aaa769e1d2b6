import type { EntityManager } from '@mikro-orm/postgresql';
import type { Actor } from '../access/actor.js';
import type { TicketEventType } from './event-types.js';

export interface NewEvent {
  ticketId: string;
  type: TicketEventType;
  actor: Actor;
  payload: Record<string, unknown>;
  internal?: boolean;
  occurredAt: Date;
  /**
   * Written by an import of history (src/import): kept in the log and replays, never pushed to live
   * subscribers or notified.
   */
  imported?: boolean;
}

/** The PostgreSQL channel on which a committing transaction announces the last sequence it wrote. */
export const EVENTS_CHANNEL = 'docket_events';

/**
 * Appends events to the log as the LAST statement of the writing transaction.
 *
 * Why not a plain bigserial: a sequence hands out numbers at insert time, so a transaction that took
 * 41 can commit after one that took 42, and a reader that saw 42 would skip 41 forever. Here the
 * numbers come from the single `event_sequence` row, whose row lock the transaction holds until it
 * commits or rolls back: the next writer waits, then numbers after it. Sequence order is commit
 * order, and a rolled-back transaction gives its numbers back. The lock is held only from this call to
 * the commit, because it is the last thing a use case does.
 *
 * Each row also keeps the ticket's facts after the change (requester, organization, team, assignee,
 * status category, priority, participants), which subscriptions filter on, and the same statement NOTIFYs
 * EVENTS_CHANNEL with the last sequence: PostgreSQL delivers it at commit, in commit order, and never
 * for a rollback (see ./event-feed.ts).
 */
export async function appendEvents(em: EntityManager, events: NewEvent[]): Promise<number[]> {
  if (events.length === 0) return [];
  const rows = events.map((e) => ({
    ticket_id: e.ticketId,
    type: e.type,
    actor_kind: e.actor.kind,
    actor_id: e.actor.userId ?? null,
    api_key_id: e.actor.apiKeyId ?? null,
    payload: e.payload,
    internal: e.internal ?? false,
    occurred_at: e.occurredAt.toISOString(),
    imported: e.imported ?? false,
  }));
  // One statement (one round trip): take the numbers, insert the rows with them, NOTIFY the last.
  const [{ last_seq }] = await em.execute<[{ last_seq: string }]>(
    `with numbers as (
       update event_sequence set last_seq = last_seq + ? where id = 1 returning last_seq
     ), added as (
       insert into ticket_event (seq, ticket_id, type, actor_kind, actor_id, api_key_id, payload, internal, occurred_at, imported,
         requester_id, organization_id, team_id, assignee_id, status_category, priority, partner_id, participant_ids)
       select n.last_seq - ? + e.ord, e.ticket_id, e.type, e.actor_kind, e.actor_id, e.api_key_id, e.payload, e.internal,
           e.occurred_at, e.imported, t.requester_id, t.organization_id, t.team_id, t.assignee_id, t.status_category, t.priority,
           t.partner_id, nullif(t.participant_ids, '{}')
         from numbers n
         cross join rows from (jsonb_to_recordset(?::jsonb) as (ticket_id uuid, type text, actor_kind text,
           actor_id uuid, api_key_id uuid, payload jsonb, internal boolean, occurred_at timestamptz, imported boolean))
           with ordinality as e(ticket_id, type, actor_kind, actor_id, api_key_id, payload, internal, occurred_at, imported, ord)
         left join ticket t on t.id = e.ticket_id
       returning 1)
     select last_seq, pg_notify(?, last_seq::text) from numbers`,
    [events.length, events.length, JSON.stringify(rows), EVENTS_CHANNEL],
  );
  const first = Number(last_seq) - events.length + 1;
  return events.map((_, i) => first + i);
}
