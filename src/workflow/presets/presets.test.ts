import { describe, it, expect } from '@jest/globals';
import { parseDuration } from '../../shared/duration.js';
import type { StatusCategory, StatusTimer, WorkflowDefinition, WorkflowPreset } from '../definition.js';
import { categorise, escalationRule, partnerCommentRule, requesterReplyRule } from '../rules.js';
import { validateWorkflow } from '../validate.js';
import {
  PRESETS,
  agencyPreset,
  knowledgeBasePreset,
  managedServicePreset,
  marketplacePreset,
  saasPreset,
} from './index.js';

const HOUR = 3600_000;
const DAY = 24 * HOUR;

/** Status names and categories, copied from DOMAIN.md's lifecycle and status-category tables. */
const EXPECTED_STATUSES: Record<string, [string, StatusCategory][]> = {
  'managed-service': [
    ['Open', 'NEW'],
    ['Client responded', 'OPEN'],
    ['Ready (validated)', 'OPEN'],
    ['In progress', 'OPEN'],
    ['Awaiting platform reply / internal QC', 'WAITING_ON_THIRD_PARTY'],
    ['Awaiting client reply', 'WAITING_ON_REQUESTER'],
    ['Feedback/Answered', 'RESOLVED'],
    ['Resolved', 'RESOLVED'],
    ['Cancelled', 'CLOSED'],
  ],
  marketplace: [
    ['New', 'NEW'],
    ['To do next', 'OPEN'],
    ['L1 in progress', 'OPEN'],
    ['L2 in progress', 'OPEN'],
    ['Waiting on seller', 'WAITING_ON_REQUESTER'],
    ['Waiting on buyer', 'WAITING_ON_REQUESTER'],
    ['Waiting on support', 'OPEN'],
    ['Resolved', 'RESOLVED'],
    ['Closed', 'CLOSED'],
  ],
  agency: [
    ['Open/New', 'NEW'],
    ['Pending', 'WAITING_ON_REQUESTER'],
    ['Solved', 'RESOLVED'],
    ['Closed', 'CLOSED'],
    ['On-hold', 'ON_HOLD'],
  ],
  saas: [
    ['New', 'NEW'],
    ['In progress', 'OPEN'],
    ['Awaiting customer', 'WAITING_ON_REQUESTER'],
    ['Awaiting third party', 'WAITING_ON_THIRD_PARTY'],
    ['Resolved', 'RESOLVED'],
    ['Closed', 'CLOSED'],
  ],
  'knowledge-base': [
    ['In queue', 'NEW'],
    ['Processing', 'OPEN'],
    ['Awaiting your reply', 'WAITING_ON_REQUESTER'],
    ['Resolved', 'RESOLVED'],
    ['Closed', 'CLOSED'],
    ['Reopened', 'OPEN'],
  ],
};

/** The key of the status with this name (the tests speak in DOMAIN.md's names). */
function key(def: WorkflowDefinition, name: string): string {
  const s = def.statuses.find((x) => x.name === name);
  if (!s) throw new Error(`no status named "${name}"`);
  return s.key;
}

function timersOf(def: WorkflowDefinition, statusName: string): StatusTimer[] {
  return def.timers.filter((t) => t.status === key(def, statusName));
}

function reply(def: WorkflowDefinition, statusName: string) {
  const r = requesterReplyRule(def, key(def, statusName));
  return { action: r.action, to: r.to && def.statuses.find((s) => s.key === r.to)?.name };
}

describe('workflow presets', () => {
  it('ships the five presets in seed order with their keys', () => {
    expect(PRESETS.map((p) => p.key)).toEqual([
      'managed-service',
      'marketplace',
      'agency',
      'saas',
      'knowledge-base',
    ]);
    expect(PRESETS).toEqual([
      managedServicePreset,
      marketplacePreset,
      agencyPreset,
      saasPreset,
      knowledgeBasePreset,
    ]);
  });

  describe.each(PRESETS.map((p): [string, WorkflowPreset] => [p.key, p]))('%s', (presetKey, preset) => {
    it('validates with no problems', () => {
      expect(validateWorkflow(preset.definition)).toEqual([]);
    });

    it('has the status names and categories of DOMAIN.md', () => {
      expect(preset.definition.statuses.map((s) => [s.name, s.category])).toEqual(
        EXPECTED_STATUSES[presetKey],
      );
    });

    it('has a name and a description', () => {
      expect(preset.name.trim()).not.toBe('');
      expect(preset.description.trim()).not.toBe('');
    });

    it('has only valid durations in its timers', () => {
      for (const t of preset.definition.timers) {
        expect(parseDuration(t.after)).toBeGreaterThan(0);
        if (t.repeatEvery !== undefined) expect(parseDuration(t.repeatEvery)).toBeGreaterThan(0);
      }
    });

    it('only allows reopen moves out of resolved or closed statuses, and requires a reason for them', () => {
      const def = preset.definition;
      for (const t of def.transitions.filter((x) => x.reopen)) {
        expect(t.requiresReason).toBe(true);
        for (const f of t.from)
          expect(['RESOLVED', 'CLOSED']).toContain(def.statuses.find((s) => s.key === f)?.category);
      }
    });

    it('requires a reason for a hand move to a closed status', () => {
      const def = preset.definition;
      const closed = new Set(def.statuses.filter((s) => s.category === 'CLOSED').map((s) => s.key));
      for (const t of def.transitions.filter((x) => closed.has(x.to))) expect(t.requiresReason).toBe(true);
    });
  });

  describe('000 managed service', () => {
    const def = managedServicePreset.definition;

    it('starts Open with no intake step', () => {
      expect(def.initialStatus).toBe(key(def, 'Open'));
      expect(def.intakeStatus).toBeUndefined();
    });

    it('sends courtesy reminders while awaiting the client or the platform', () => {
      for (const name of ['Awaiting client reply', 'Awaiting platform reply / internal QC']) {
        const remind = timersOf(def, name).filter((t) => t.action === 'REMIND');
        expect(remind).toHaveLength(1);
        expect(parseDuration(remind[0].after)).toBe(3 * DAY);
        expect(parseDuration(remind[0].repeatEvery!)).toBe(3 * DAY);
        expect(remind[0].maxCount).toBe(4);
        // every reminder goes out before the 15-day end
        expect(3 * DAY + 3 * DAY * (remind[0].maxCount! - 1)).toBeLessThan(15 * DAY);
      }
    });

    it('ends the ticket after 15 days without client response', () => {
      const [cancel] = timersOf(def, 'Awaiting client reply').filter((t) => t.action === 'MOVE');
      expect(parseDuration(cancel.after)).toBe(15 * DAY);
      expect(cancel.to).toBe(key(def, 'Cancelled'));
      expect(cancel.addTag).toBe('No client response');
      const [resolve] = timersOf(def, 'Feedback/Answered').filter((t) => t.action === 'MOVE');
      expect(parseDuration(resolve.after)).toBe(15 * DAY);
      expect(resolve.to).toBe(key(def, 'Resolved'));
    });

    it('moves a client reply to Client responded and opens a follow-up on Cancelled', () => {
      for (const name of ['Awaiting client reply', 'Feedback/Answered', 'Resolved']) {
        expect(reply(def, name)).toEqual({ action: 'MOVE', to: 'Client responded' });
      }
      expect(reply(def, 'Cancelled')).toEqual({ action: 'FOLLOW_UP', to: undefined });
      expect(reply(def, 'In progress').action).toBe('NONE');
    });

    it('lets the requester cancel, with a reason', () => {
      const cancel = def.transitions.find((t) => t.to === key(def, 'Cancelled'))!;
      expect(cancel.actors).toEqual(expect.arrayContaining(['REQUESTER', 'AGENT']));
      expect(cancel.requiresReason).toBe(true);
      expect(cancel.from).toContain(key(def, 'Open'));
    });

    it('moves a platform comment back to In progress', () => {
      const r = partnerCommentRule(def, key(def, 'Awaiting platform reply / internal QC'));
      expect(r).toEqual({
        status: key(def, 'Awaiting platform reply / internal QC'),
        action: 'MOVE',
        to: key(def, 'In progress'),
      });
    });

    it('moves Open to In progress and back', () => {
      const pairs = def.transitions.flatMap((t) => t.from.map((f) => `${f}>${t.to}`));
      expect(pairs).toContain(`${key(def, 'Open')}>${key(def, 'In progress')}`);
      expect(pairs).toContain(`${key(def, 'In progress')}>${key(def, 'Open')}`);
    });
  });

  describe('001 marketplace', () => {
    const def = marketplacePreset.definition;

    it('moves New to To do next on intake', () => {
      expect(def.initialStatus).toBe(key(def, 'New'));
      expect(def.intakeStatus).toBe(key(def, 'To do next'));
    });

    it('reminds every 3 days at most 3 times and closes after 30 days while waiting on seller or buyer', () => {
      for (const name of ['Waiting on seller', 'Waiting on buyer']) {
        const timers = timersOf(def, name);
        const remind = timers.find((t) => t.action === 'REMIND')!;
        expect(parseDuration(remind.after)).toBe(3 * DAY);
        expect(parseDuration(remind.repeatEvery!)).toBe(3 * DAY);
        expect(remind.maxCount).toBe(3);
        const move = timers.find((t) => t.action === 'MOVE')!;
        expect(parseDuration(move.after)).toBe(30 * DAY);
        expect(move.to).toBe(key(def, 'Closed'));
      }
    });

    it('lets only the timers, and admins with a reason, reach Closed', () => {
      const closing = def.transitions.filter((t) => t.to === key(def, 'Closed'));
      expect(closing.length).toBeGreaterThan(0);
      for (const t of closing) expect(t).toMatchObject({ actors: ['ADMIN'], requiresReason: true });
    });

    it('closes Resolved after 7 days', () => {
      const [move] = timersOf(def, 'Resolved');
      expect(move.action).toBe('MOVE');
      expect(parseDuration(move.after)).toBe(7 * DAY);
      expect(move.to).toBe(key(def, 'Closed'));
    });

    it('rejects a reply on Closed and has no move out of it', () => {
      expect(reply(def, 'Closed')).toEqual({ action: 'REJECT', to: undefined });
      expect(def.transitions.filter((t) => t.from.includes(key(def, 'Closed')))).toEqual([]);
    });

    it('reopens a disputed Resolved ticket on reply', () => {
      expect(reply(def, 'Resolved')).toEqual({ action: 'MOVE', to: 'Waiting on support' });
    });

    it('moves a partner comment in any waiting or in-progress status to Waiting on support', () => {
      for (const name of ['L1 in progress', 'L2 in progress', 'Waiting on seller', 'Waiting on buyer']) {
        const r = partnerCommentRule(def, key(def, name));
        expect(r.action).toBe('MOVE');
        expect(r.to).toBe(key(def, 'Waiting on support'));
      }
    });

    it('escalates to tier 2 into L2 in progress', () => {
      for (const name of ['To do next', 'L1 in progress']) {
        expect(escalationRule(def, key(def, name), 2)?.moveTo).toBe(key(def, 'L2 in progress'));
      }
      expect(escalationRule(def, key(def, 'Closed'), 2)).toBeUndefined();
    });
  });

  describe('002 agency', () => {
    const def = agencyPreset.definition;

    it('reminds at 24 h and 5 days and closes at 7 days tagged "No Response" while Pending', () => {
      const timers = timersOf(def, 'Pending');
      const reminders = timers.filter((t) => t.action === 'REMIND');
      expect(reminders.map((t) => parseDuration(t.after))).toEqual([24 * HOUR, 5 * DAY]);
      for (const r of reminders) {
        expect(r.maxCount).toBe(1);
        expect(r.repeatEvery).toBeUndefined();
      }
      const moves = timers.filter((t) => t.action === 'MOVE');
      expect(moves).toHaveLength(1);
      expect(parseDuration(moves[0].after)).toBe(7 * DAY);
      expect(moves[0].to).toBe(key(def, 'Closed'));
      expect(moves[0].addTag).toBe('No Response');
    });

    it('closes Solved after 24 h', () => {
      const [move] = timersOf(def, 'Solved');
      expect(move.action).toBe('MOVE');
      expect(parseDuration(move.after)).toBe(24 * HOUR);
      expect(move.to).toBe(key(def, 'Closed'));
    });

    it('moves any reply while Pending, Solved or On-hold back to Open/New', () => {
      for (const name of ['Pending', 'Solved', 'On-hold'])
        expect(reply(def, name)).toEqual({ action: 'MOVE', to: 'Open/New' });
      expect(reply(def, 'Open/New').action).toBe('NONE');
    });

    it('opens a follow-up ticket on a reply to Closed and has no move out of it', () => {
      expect(reply(def, 'Closed')).toEqual({ action: 'FOLLOW_UP', to: undefined });
      expect(def.transitions.filter((t) => t.from.includes(key(def, 'Closed')))).toEqual([]);
    });

    it('categorises as question, work request or project communication', () => {
      expect(def.categorisation.categories).toEqual(['question', 'work request', 'project communication']);
      expect(categorise(def, 'Homepage mockups', 'Here is my feedback on the mockups')).toBe(
        'project communication',
      );
      expect(categorise(def, 'Status of the website project?', '')).toBe('project communication');
      expect(categorise(def, 'Please change the footer logo', '')).toBe('work request');
      expect(categorise(def, 'Can you update the prices', 'on the services page')).toBe('work request');
      expect(categorise(def, 'How do I reset my email password?', '')).toBe('question');
      expect(categorise(def, 'Hello', 'Just checking in.')).toBe('question');
      // whole words only: "additional" is not "add", "prefix" is not "fix"
      expect(categorise(def, 'Additional prefix', 'nothing else')).toBe('question');
    });
  });

  describe('003 SaaS', () => {
    const def = saasPreset.definition;

    it('escalates to tier 2 and tier 3 into In progress', () => {
      for (const tier of [2, 3]) {
        for (const name of ['New', 'In progress', 'Awaiting customer', 'Awaiting third party']) {
          expect(escalationRule(def, key(def, name), tier)?.moveTo).toBe(key(def, 'In progress'));
        }
      }
    });

    it('reopens on a reply to Resolved and follows up on Closed', () => {
      expect(reply(def, 'Awaiting customer')).toEqual({ action: 'MOVE', to: 'In progress' });
      expect(reply(def, 'Resolved')).toEqual({ action: 'MOVE', to: 'In progress' });
      expect(reply(def, 'Closed')).toEqual({ action: 'FOLLOW_UP', to: undefined });
    });

    it('categorises from the seed severity examples', () => {
      expect(categorise(def, 'Platform is down', 'outage since 9:00')).toBe('incident');
      expect(categorise(def, 'Export crashes', '')).toBe('bug');
      expect(categorise(def, 'Dashboard is slow', '')).toBe('performance');
      expect(categorise(def, 'Feature request: dark mode', '')).toBe('feature request');
      expect(categorise(def, 'Hi', 'a general question')).toBe('general inquiry');
    });
  });

  describe('004 knowledge base', () => {
    const def = knowledgeBasePreset.definition;

    it('reopens on any reply to Awaiting your reply, Resolved or Closed', () => {
      for (const name of ['Awaiting your reply', 'Resolved', 'Closed']) {
        expect(reply(def, name)).toEqual({ action: 'MOVE', to: 'Reopened' });
      }
      expect(reply(def, 'Processing').action).toBe('NONE');
    });

    it('marks a hand move out of Closed as a reopen', () => {
      const out = def.transitions.filter((t) => t.from.includes(key(def, 'Closed')));
      expect(out).toHaveLength(1);
      expect(out[0]).toMatchObject({ to: key(def, 'Reopened'), reopen: true, requiresReason: true });
    });

    it('closes Resolved after 48 h', () => {
      const [move] = timersOf(def, 'Resolved');
      expect(move.action).toBe('MOVE');
      expect(parseDuration(move.after)).toBe(48 * HOUR);
      expect(move.to).toBe(key(def, 'Closed'));
    });

    it('sends one reminder and closes Awaiting your reply after 7 days', () => {
      const timers = timersOf(def, 'Awaiting your reply');
      const reminders = timers.filter((t) => t.action === 'REMIND');
      expect(reminders).toHaveLength(1);
      expect(reminders[0].maxCount).toBe(1);
      expect(parseDuration(reminders[0].after)).toBeLessThan(7 * DAY);
      const move = timers.find((t) => t.action === 'MOVE')!;
      expect(parseDuration(move.after)).toBe(7 * DAY);
      expect(move.to).toBe(key(def, 'Closed'));
    });
  });
});
