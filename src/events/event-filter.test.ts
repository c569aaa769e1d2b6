import { describe, expect, it } from '@jest/globals';
import type { Actor } from '../access/actor.js';
import { Priority } from '../shared/enums.js';
import fc from 'fast-check';
import {
  deliverable,
  deliverableSql,
  matchesFilter,
  selectorsOf,
  type Audience,
  type EventFilter,
  type Selector,
} from './event-filter.js';
import { TicketEventType } from './event-types.js';
import type { FeedEvent } from './feed-event.js';

const RITA = '00000000-0000-4000-8000-000000000001';
const SAM = '00000000-0000-4000-8000-000000000002';
const ACME = '00000000-0000-4000-8000-0000000000a1';
const TEAM = '00000000-0000-4000-8000-0000000000b1';

const event = (over: Partial<FeedEvent> = {}): FeedEvent => ({
  seq: 1,
  ticketId: '00000000-0000-4000-8000-0000000000c1',
  type: TicketEventType.COMMENT_ADDED,
  actorKind: 'AGENT',
  payload: {},
  internal: false,
  occurredAt: new Date(0),
  requesterId: RITA,
  organizationId: ACME,
  teamId: TEAM,
  statusCategory: 'OPEN',
  priority: Priority.HIGH,
  ...over,
});
const audience = (actor: Actor, requestersSeeOrganizationTickets = false): Audience => ({
  actor,
  visibility: { requestersSeeOrganizationTickets },
});
const agent = audience({ kind: 'AGENT', userId: '00000000-0000-4000-8000-0000000000d1' });
const rita = audience({ kind: 'REQUESTER', userId: RITA, organizationId: ACME });
const sam = audience({ kind: 'REQUESTER', userId: SAM, organizationId: ACME });

describe('matchesFilter', () => {
  it('takes every event with an empty filter, and needs each given list to hold the event’s value', () => {
    expect(matchesFilter({}, event())).toBe(true);
    expect(matchesFilter({ teamIds: [TEAM], priorities: [Priority.HIGH] }, event())).toBe(true);
    expect(matchesFilter({ teamIds: [TEAM], priorities: [Priority.LOW] }, event())).toBe(false);
    expect(matchesFilter({ types: [TicketEventType.SLA_BREACHED] }, event())).toBe(false);
    expect(matchesFilter({ statusCategories: ['OPEN', 'NEW'] }, event())).toBe(true);
  });

  it('an unassigned ticket’s event never matches an assignee filter; an empty list matches nothing', () => {
    expect(matchesFilter({ assigneeIds: [RITA] }, event({ assigneeId: undefined }))).toBe(false);
    expect(matchesFilter({ ticketIds: [] }, event())).toBe(false);
  });
});

describe('deliverable: rights before the filter', () => {
  it('agents get every event, internal ones included', () => {
    expect(deliverable(agent, {}, event({ internal: true }))).toBe(true);
  });

  it('a requester gets their own tickets’ public events only', () => {
    expect(deliverable(rita, {}, event())).toBe(true);
    expect(deliverable(rita, {}, event({ internal: true }))).toBe(false);
    expect(deliverable(sam, {}, event())).toBe(false);
    // Naming another's ticket in the filter does not help.
    expect(deliverable(sam, { ticketIds: [event().ticketId] }, event())).toBe(false);
  });

  it('with organization visibility on, a colleague’s ticket too (still never internal)', () => {
    const samOrg = audience(sam.actor, true);
    expect(deliverable(samOrg, {}, event())).toBe(true);
    expect(deliverable(samOrg, {}, event({ internal: true }))).toBe(false);
    expect(deliverable(samOrg, {}, event({ organizationId: undefined }))).toBe(false);
  });

  it('partners and anonymous actors get nothing (until partner keys define their scope)', () => {
    expect(deliverable(audience({ kind: 'PARTNER' }), {}, event())).toBe(false);
  });

  it('a partner gets the public events of its tickets and of those it is involved in (seed 001)', () => {
    const tgx = audience({ kind: 'PARTNER', partnerId: TEAM });
    expect(deliverable(tgx, {}, event({ partnerId: TEAM }))).toBe(true);
    expect(deliverable(tgx, {}, event({ involvedPartnerIds: [SAM, TEAM] }))).toBe(true);
    expect(deliverable(tgx, {}, event({ involvedPartnerIds: [TEAM], internal: true }))).toBe(false);
    expect(deliverable(tgx, {}, event({ involvedPartnerIds: [SAM] }))).toBe(false);
    expect(deliverable(tgx, {}, event())).toBe(false);
  });
});

describe('deliverableSql mirrors deliverable', () => {
  it('adds no condition for agents with no filter', () => {
    expect(deliverableSql(agent, {})).toEqual({ where: 'true', values: [] });
  });

  it('restricts requesters to their tickets and public events, with the filter’s lists as arrays', () => {
    const { where, values } = deliverableSql(rita, {
      teamIds: [TEAM],
      types: [TicketEventType.COMMENT_ADDED],
    });
    expect(where).toBe(
      'type = any(?::text[]) and team_id = any(?::uuid[]) and not internal and (requester_id = ?::uuid or participant_ids @> array[?::uuid])',
    );
    expect(values).toEqual([`{"COMMENT_ADDED"}`, `{"${TEAM}"}`, RITA, RITA]);
    expect(deliverableSql(audience(sam.actor, true), {}).where).toBe(
      'not internal and (requester_id = ?::uuid or participant_ids @> array[?::uuid] or organization_id = ?::uuid)',
    );
    expect(deliverableSql(audience({ kind: 'PARTNER' }), {}).where).toBe('false');
  });
});

describe('selectorsOf: where the feed files a subscriber', () => {
  it('files staff by their narrowest filter, and takes every event without one', () => {
    expect(selectorsOf(agent, {})).toBeUndefined();
    expect(selectorsOf(agent, { teamIds: [TEAM], priorities: [Priority.HIGH] })).toEqual([
      { fact: 'teamId', values: [TEAM] },
    ]);
    expect(selectorsOf(agent, { teamIds: [TEAM], assigneeIds: [SAM] })).toEqual([
      { fact: 'assigneeId', values: [SAM] },
    ]);
    expect(selectorsOf(agent, { ticketIds: [] })).toEqual([{ fact: 'ticketId', values: [] }]);
  });

  it('files requesters and partners by their rights: own tickets, those they take part in, and the organization’s when visible', () => {
    expect(selectorsOf(rita, {})).toEqual([
      { fact: 'requesterId', values: [RITA] },
      { fact: 'participantIds', values: [RITA] },
    ]);
    expect(selectorsOf(audience(sam.actor, true), {})).toEqual([
      { fact: 'requesterId', values: [SAM] },
      { fact: 'participantIds', values: [SAM] },
      { fact: 'organizationId', values: [ACME] },
    ]);
    expect(selectorsOf(audience({ kind: 'PARTNER', partnerId: TEAM }), {})).toEqual([
      { fact: 'partnerId', values: [TEAM] },
      { fact: 'involvedPartnerIds', values: [TEAM] },
    ]);
    expect(selectorsOf(audience({ kind: 'PARTNER' }), {})).toEqual([]);
  });

  it('never leaves out an event the subscriber may be delivered (property)', () => {
    const id = fc.constantFrom(RITA, SAM, ACME, TEAM);
    const maybe = fc.option(id, { nil: undefined });
    const list = fc.option(fc.uniqueArray(id, { minLength: 1, maxLength: 3 }), { nil: undefined, freq: 2 });
    const actor = fc.record({
      kind: fc.constantFrom('AGENT', 'ADMIN', 'REQUESTER', 'PARTNER', 'SYSTEM'),
      userId: maybe,
      organizationId: maybe,
      partnerId: maybe,
    }) as fc.Arbitrary<Actor>;
    const filter: fc.Arbitrary<EventFilter> = fc.record({
      ticketIds: list,
      teamIds: list,
      assigneeIds: list,
      organizationIds: list,
    });
    const facts = fc.record({
      ticketId: id,
      requesterId: maybe,
      organizationId: maybe,
      teamId: maybe,
      assigneeId: maybe,
      partnerId: maybe,
      participantIds: fc.option(fc.array(id, { maxLength: 3 }), { nil: undefined }),
      involvedPartnerIds: fc.option(fc.array(id, { maxLength: 3 }), { nil: undefined }),
      internal: fc.boolean(),
    });
    const selects = (selectors: readonly Selector[] | undefined, e: FeedEvent) =>
      selectors === undefined ||
      selectors.some(({ fact, values }) => {
        const v = e[fact];
        return Array.isArray(v) ? v.some((x) => values.includes(x)) : v !== undefined && values.includes(v);
      });
    let delivered = 0;
    fc.assert(
      fc.property(actor, fc.boolean(), filter, facts, (a, orgVisible, f, over) => {
        const e = event(over);
        const who = audience(a, orgVisible);
        if (!deliverable(who, f, e)) return true;
        delivered++;
        return selects(selectorsOf(who, f), e);
      }),
      { numRuns: 5000 },
    );
    // The property was tested on deliveries, not only on refusals.
    expect(delivered).toBeGreaterThan(500);
  });
});
