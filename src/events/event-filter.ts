import type { Actor } from '../access/actor.js';
import { canSeeEvent, isStaff, type VisibilityOptions } from '../access/policy.js';
import type { Priority } from '../shared/enums.js';
import type { StatusCategory } from '../workflow/definition.js';
import type { TicketEventType } from './event-types.js';
import type { FeedEvent } from './feed-event.js';
import { sqlArray } from '../db/sql.js';

/**
 * What a subscriber asked for (every list given must contain the event's value; an empty filter takes
 * every event). Facts are the ticket's when the event committed, so a replay selects what the live
 * stream selected.
 */
export interface EventFilter {
  ticketIds?: readonly string[];
  organizationIds?: readonly string[];
  teamIds?: readonly string[];
  assigneeIds?: readonly string[];
  statusCategories?: readonly StatusCategory[];
  priorities?: readonly Priority[];
  types?: readonly TicketEventType[];
}

/** Whose rights an event is checked against. */
export interface Audience {
  actor: Actor;
  visibility: VisibilityOptions;
}

const has = <T>(list: readonly T[] | undefined, value: T | undefined): boolean =>
  list === undefined || (value !== undefined && list.includes(value));

/** The filter alone (pure). */
export function matchesFilter(f: EventFilter, e: FeedEvent): boolean {
  return (
    has(f.types, e.type) &&
    has(f.ticketIds, e.ticketId) &&
    has(f.teamIds, e.teamId) &&
    has(f.assigneeIds, e.assigneeId) &&
    has(f.organizationIds, e.organizationId) &&
    has(f.statusCategories, e.statusCategory) &&
    has(f.priorities, e.priority)
  );
}

/** The subscriber's rights, then its filter: the one check every delivered event passes. */
export const deliverable = (a: Audience, f: EventFilter, e: FeedEvent): boolean =>
  canSeeEvent(a.actor, e, a.visibility) && matchesFilter(f, e);

/**
 * The same selection as `deliverable`, as SQL over ticket_event (for replays): `?` placeholders and
 * their values. An actor who may see no event gets a condition that is always false.
 */
export function deliverableSql(a: Audience, f: EventFilter): { where: string; values: unknown[] } {
  const parts: string[] = [];
  const values: unknown[] = [];
  const anyOf = (column: string, list: readonly string[] | undefined, type: string) => {
    if (list === undefined) return;
    parts.push(`${column} = any(?::${type}[])`);
    values.push(sqlArray(list));
  };
  anyOf('type', f.types, 'text');
  anyOf('ticket_id', f.ticketIds, 'uuid');
  anyOf('team_id', f.teamIds, 'uuid');
  anyOf('assignee_id', f.assigneeIds, 'uuid');
  anyOf('organization_id', f.organizationIds, 'uuid');
  anyOf('status_category', f.statusCategories, 'text');
  anyOf('priority', f.priorities, 'text');
  if (a.actor.kind === 'PARTNER') {
    if (!a.actor.partnerId) parts.push('false');
    else {
      parts.push('not internal', '(partner_id = ?::uuid or involved_partner_ids @> array[?::uuid])');
      values.push(a.actor.partnerId, a.actor.partnerId);
    }
  } else if (!isStaff(a.actor)) {
    if (a.actor.kind !== 'REQUESTER' || !a.actor.userId) parts.push('false');
    else {
      parts.push('not internal');
      // Their own tickets, those they take part in (CC), and with the setting their organization's.
      if (a.visibility.requestersSeeOrganizationTickets && a.actor.organizationId) {
        parts.push(
          '(requester_id = ?::uuid or participant_ids @> array[?::uuid] or organization_id = ?::uuid)',
        );
        values.push(a.actor.userId, a.actor.userId, a.actor.organizationId);
      } else {
        parts.push('(requester_id = ?::uuid or participant_ids @> array[?::uuid])');
        values.push(a.actor.userId, a.actor.userId);
      }
    }
  }
  return { where: parts.length ? parts.join(' and ') : 'true', values };
}

/** The facts of an event the feed indexes its listeners by. */
export type IndexedFact =
  | 'ticketId'
  | 'requesterId'
  | 'organizationId'
  | 'partnerId'
  | 'assigneeId'
  | 'teamId'
  /** A list fact: an event is filed under each of its participants. */
  | 'participantIds'
  /** A list fact: the partners involved in the ticket. */
  | 'involvedPartnerIds';

/** The events whose `fact` is one of `values`. */
export interface Selector {
  fact: IndexedFact;
  values: readonly string[];
}

/**
 * Where the feed files a subscriber, so that an event is checked only against subscribers that might
 * take it: every event `deliverable(a, f, ·)` accepts has, for at least one selector, its fact among
 * that selector's values. `undefined`: any event may be (staff with no narrowing filter); `[]`: none.
 * The narrowest is chosen: named tickets, then the rights of a requester or partner, then assignees,
 * teams, organizations.
 */
export function selectorsOf(a: Audience, f: EventFilter): readonly Selector[] | undefined {
  if (f.ticketIds) return [{ fact: 'ticketId', values: f.ticketIds }];
  const { actor } = a;
  if (!isStaff(actor)) {
    if (actor.kind === 'PARTNER')
      return actor.partnerId === undefined
        ? []
        : [
            { fact: 'partnerId', values: [actor.partnerId] },
            { fact: 'involvedPartnerIds', values: [actor.partnerId] },
          ];
    if (actor.kind !== 'REQUESTER' || actor.userId === undefined) return [];
    const own: Selector[] = [
      { fact: 'requesterId', values: [actor.userId] },
      { fact: 'participantIds', values: [actor.userId] },
    ];
    if (a.visibility.requestersSeeOrganizationTickets && actor.organizationId !== undefined)
      own.push({ fact: 'organizationId', values: [actor.organizationId] });
    return own;
  }
  if (f.assigneeIds) return [{ fact: 'assigneeId', values: f.assigneeIds }];
  if (f.teamIds) return [{ fact: 'teamId', values: f.teamIds }];
  if (f.organizationIds) return [{ fact: 'organizationId', values: f.organizationIds }];
  return undefined;
}
