import { describe, expect, it } from '@jest/globals';
import { TicketEventType } from '../events/event-types.js';
import type { FeedEvent } from '../events/feed-event.js';
import { Channel, Priority } from '../shared/enums.js';
import { PRESETS } from '../workflow/presets/index.js';
import { validateWorkflow } from '../workflow/validate.js';
import { matchChange, triggersOf, validateNotificationRules, type NotificationRule } from './rules.js';

const ev = (
  seq: number,
  type: TicketEventType,
  payload: Record<string, unknown>,
  more: Partial<FeedEvent> = {},
): FeedEvent => ({
  seq,
  ticketId: 't',
  type,
  actorKind: 'AGENT',
  payload,
  internal: false,
  occurredAt: new Date(0),
  ...more,
});
const agency = PRESETS.find((p) => p.key === 'agency')!.definition;
const facts = {
  channel: Channel.PORTAL,
  priority: Priority.MEDIUM,
  categoryOf: (k: string) => agency.statuses.find((s) => s.key === k)?.category,
};

describe('notification rules', () => {
  it('the five presets are valid, and every rule names a shipped template', () => {
    for (const p of PRESETS) expect(validateWorkflow(p.definition)).toEqual([]);
  });

  it('an agent’s reply that sets Pending is one message: the first rule that matches', () => {
    const change = [
      ev(1, TicketEventType.COMMENT_ADDED, { internal: false, authorKind: 'AGENT' }),
      ev(2, TicketEventType.STATUS_CHANGED, { from: 'open_new', to: 'pending' }),
    ];
    expect(matchChange(agency.notifications!, change, facts).map((m) => m.rule.template)).toEqual([
      'agent-questions',
    ]);
    const saas = PRESETS.find((p) => p.key === 'saas')!.definition;
    expect(
      matchChange(saas.notifications!, change, facts).map((m) => [m.rule.template, m.event.seq]),
    ).toEqual([
      ['agent-reply', 1],
      ['status-update', 2],
    ]);
  });

  it('internal notes trigger nothing; a requester’s own reply is no PUBLIC_COMMENT', () => {
    expect(
      triggersOf(
        ev(1, TicketEventType.COMMENT_ADDED, { internal: true, authorKind: 'AGENT' }, { internal: true }),
      ),
    ).toEqual([]);
    expect(
      triggersOf(ev(1, TicketEventType.COMMENT_ADDED, { internal: false, authorKind: 'REQUESTER' })),
    ).toEqual([]);
  });

  it('a timer’s move is STATUS_ENTERED and AUTO_MOVE; conditions narrow by status, origin, actor, channel, priority', () => {
    const move = ev(
      1,
      TicketEventType.STATUS_CHANGED,
      { from: 'pending', to: 'closed', timer: true },
      { actorKind: 'SYSTEM' },
    );
    expect(triggersOf(move)).toEqual(['STATUS_ENTERED', 'AUTO_MOVE']);
    const rule = (r: Partial<NotificationRule>): NotificationRule[] => [
      { on: 'AUTO_MOVE', recipients: ['REQUESTER'], template: 'x', ...r },
    ];
    expect(
      matchChange(rule({ statuses: ['closed'], fromStatuses: ['pending'] }), [move], facts),
    ).toHaveLength(1);
    expect(matchChange(rule({ fromStatuses: ['solved'] }), [move], facts)).toHaveLength(0);
    expect(matchChange(rule({ categories: ['CLOSED'] }), [move], facts)).toHaveLength(1);
    expect(matchChange(rule({ actorKinds: ['AGENT'] }), [move], facts)).toHaveLength(0);
    expect(matchChange(rule({ channels: [Channel.EMAIL] }), [move], facts)).toHaveLength(0);
    expect(matchChange(rule({ priorities: [Priority.MEDIUM] }), [move], facts)).toHaveLength(1);
  });

  it('refuses what cannot work, naming the path', () => {
    const problems = validateNotificationRules({
      ...agency,
      notifications: [
        { on: 'NOPE' as never, recipients: ['REQUESTER'], template: 'x' },
        { on: 'TICKET_CREATED', statuses: ['pending'], recipients: [], template: 'Bad Key' },
        { on: 'SLA_BREACHED', recipients: ['REQUESTER', 'ASSIGNEE'], template: 'sla-breached' },
        {
          on: 'STATUS_ENTERED',
          statuses: ['nowhere'],
          categories: ['LIMBO' as never],
          recipients: ['TEAM'],
          template: 'x',
        },
      ],
      satisfaction: { category: 'ON_HOLD', scale: 'TEN' as never, openFor: 'P1M' },
    });
    expect(problems.map((p) => p.field)).toEqual([
      'notifications[0].on',
      'notifications[1].statuses',
      'notifications[1].recipients',
      'notifications[1].template',
      'notifications[2].recipients[0]',
      'notifications[3].statuses[0]',
      'notifications[3].categories[0]',
      'satisfaction.scale',
      'satisfaction.openFor',
    ]);
  });
});
