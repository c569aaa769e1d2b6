import { describe, it, expect } from '@jest/globals';
import { ReasonRequiredError, TransitionNotAllowedError } from '../shared/errors.js';
import type { WorkflowDefinition } from './definition.js';
import {
  allowedTransitions,
  categoryOf,
  categorise,
  checkTransition,
  escalationRule,
  partnerCommentRule,
  requesterReplyRule,
  statusOf,
} from './rules.js';

function fixture(): WorkflowDefinition {
  return {
    initialStatus: 'new',
    statuses: [
      { key: 'new', name: 'New', category: 'NEW' },
      { key: 'working', name: 'Working', category: 'OPEN' },
      { key: 'waiting', name: 'Waiting', category: 'WAITING_ON_REQUESTER' },
      { key: 'vendor', name: 'Waiting on vendor', category: 'WAITING_ON_THIRD_PARTY' },
      { key: 'done', name: 'Done', category: 'RESOLVED' },
      { key: 'cancelled', name: 'Cancelled', category: 'CLOSED' },
      { key: 'closed', name: 'Closed', category: 'CLOSED' },
    ],
    transitions: [
      {
        from: ['new', 'waiting', 'vendor'],
        to: 'working',
        actors: ['AGENT'],
        requiresReason: false,
        reopen: false,
      },
      { from: ['working'], to: 'waiting', actors: ['AGENT'], requiresReason: false, reopen: false },
      { from: ['working'], to: 'vendor', actors: ['AGENT'], requiresReason: false, reopen: false },
      { from: ['working', 'waiting'], to: 'done', actors: ['AGENT'], requiresReason: false, reopen: false },
      {
        from: ['new', 'working', 'waiting'],
        to: 'cancelled',
        actors: ['REQUESTER', 'AGENT'],
        requiresReason: true,
        reopen: false,
      },
      { from: ['done'], to: 'closed', actors: ['ADMIN'], requiresReason: true, reopen: false },
      { from: ['done'], to: 'working', actors: ['AGENT'], requiresReason: true, reopen: true },
      { from: ['vendor'], to: 'done', actors: ['PARTNER'], requiresReason: false, reopen: false },
    ],
    requesterReplies: [
      { status: 'waiting', action: 'MOVE', to: 'working' },
      { status: 'closed', action: 'REJECT' },
    ],
    partnerComments: [{ status: 'vendor', action: 'MOVE', to: 'working' }],
    escalations: [
      { toTier: 2, fromStatuses: ['new', 'working'], moveTo: 'working' },
      { toTier: 3, fromStatuses: [] },
    ],
    categorisation: {
      categories: ['incident', 'bug', 'billing', 'question'],
      defaultCategory: 'question',
      rules: [
        { category: 'incident', keywords: ['outage', 'data loss'] },
        { category: 'bug', keywords: ['bug', 'error', 'C++'] },
        { category: 'billing', keywords: ['invoice', 'bug'] },
      ],
    },
    timers: [],
  };
}

const def = fixture();

describe('statusOf / categoryOf', () => {
  it('finds a status and its category', () => {
    expect(statusOf(def, 'waiting').name).toBe('Waiting');
    expect(categoryOf(def, 'done')).toBe('RESOLVED');
  });

  it('throws on a status that is not in the workflow', () => {
    expect(() => statusOf(def, 'nowhere')).toThrow(/"nowhere" is not in this workflow/);
    expect(() => categoryOf(def, 'nowhere')).toThrow(/"nowhere"/);
  });
});

describe('allowedTransitions', () => {
  it("lists an agent's moves from a status, in the workflow's order", () => {
    expect(allowedTransitions(def, 'working', 'AGENT').map((t) => t.to)).toEqual([
      'waiting',
      'vendor',
      'done',
      'cancelled',
    ]);
  });

  it('gives a requester only the moves granted to requesters', () => {
    expect(allowedTransitions(def, 'working', 'REQUESTER').map((t) => t.to)).toEqual(['cancelled']);
    expect(allowedTransitions(def, 'done', 'REQUESTER')).toEqual([]);
  });

  it('gives an admin the agent moves plus the admin-only ones', () => {
    expect(allowedTransitions(def, 'done', 'ADMIN').map((t) => t.to)).toEqual(['closed', 'working']);
    expect(allowedTransitions(def, 'done', 'AGENT').map((t) => t.to)).toEqual(['working']);
  });

  it('does not give an agent the admin-only or partner-only moves', () => {
    expect(allowedTransitions(def, 'done', 'AGENT').map((t) => t.to)).not.toContain('closed');
    expect(allowedTransitions(def, 'vendor', 'AGENT').map((t) => t.to)).toEqual(['working']);
    expect(allowedTransitions(def, 'vendor', 'PARTNER').map((t) => t.to)).toEqual(['done']);
  });

  it('gives SYSTEM no hand moves unless granted', () => {
    expect(allowedTransitions(def, 'working', 'SYSTEM')).toEqual([]);
  });

  it('has no moves out of a final status', () => {
    expect(allowedTransitions(def, 'closed', 'ADMIN')).toEqual([]);
  });
});

describe('checkTransition', () => {
  it('returns the move when it is allowed', () => {
    const move = checkTransition(def, 'new', 'working', 'AGENT', undefined);
    expect(move.to).toBe('working');
    expect(move.from).toContain('new');
  });

  it('throws TransitionNotAllowedError listing the allowed targets', () => {
    let error: unknown;
    try {
      checkTransition(def, 'working', 'closed', 'AGENT', 'because');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TransitionNotAllowedError);
    const e = error as TransitionNotAllowedError;
    expect(e.code).toBe('TRANSITION_NOT_ALLOWED');
    expect(e.from).toBe('working');
    expect(e.to).toBe('closed');
    expect(e.allowedTargets).toEqual(['waiting', 'vendor', 'done', 'cancelled']);
    expect(e.message).toMatch(/allowed: waiting, vendor, done, cancelled/);
  });

  it('says when no move is allowed at all', () => {
    expect(() => checkTransition(def, 'closed', 'working', 'ADMIN', 'reopen')).toThrow(
      /no move is allowed from here/,
    );
  });

  it('does not let a requester make an agent move', () => {
    expect(() => checkTransition(def, 'working', 'done', 'REQUESTER', undefined)).toThrow(
      TransitionNotAllowedError,
    );
    try {
      checkTransition(def, 'working', 'done', 'REQUESTER', undefined);
    } catch (e) {
      expect((e as TransitionNotAllowedError).allowedTargets).toEqual(['cancelled']);
    }
  });

  it('lets an admin make an agent move', () => {
    expect(checkTransition(def, 'working', 'done', 'ADMIN', undefined).to).toBe('done');
    expect(checkTransition(def, 'done', 'working', 'ADMIN', 'customer disagrees').reopen).toBe(true);
  });

  it.each([undefined, '', '   '])('throws ReasonRequiredError when the reason is %p', (reason) => {
    expect(() => checkTransition(def, 'working', 'cancelled', 'AGENT', reason)).toThrow(ReasonRequiredError);
    try {
      checkTransition(def, 'working', 'cancelled', 'AGENT', reason);
    } catch (e) {
      expect((e as ReasonRequiredError).code).toBe('REASON_REQUIRED');
      expect((e as Error).message).toMatch(/"working" to "cancelled" requires a reason/);
    }
  });

  it('accepts a move that requires a reason when one is given', () => {
    expect(checkTransition(def, 'working', 'cancelled', 'REQUESTER', 'no longer needed').to).toBe(
      'cancelled',
    );
  });

  it('checks who may move before asking for a reason', () => {
    expect(() => checkTransition(def, 'done', 'closed', 'AGENT', undefined)).toThrow(
      TransitionNotAllowedError,
    );
  });
});

describe('requesterReplyRule / partnerCommentRule', () => {
  it("returns the workflow's rule for the status", () => {
    expect(requesterReplyRule(def, 'waiting')).toEqual({ status: 'waiting', action: 'MOVE', to: 'working' });
    expect(requesterReplyRule(def, 'closed')).toEqual({ status: 'closed', action: 'REJECT' });
    expect(partnerCommentRule(def, 'vendor')).toEqual({ status: 'vendor', action: 'MOVE', to: 'working' });
  });

  it('defaults to NONE for a status the workflow says nothing about', () => {
    expect(requesterReplyRule(def, 'working')).toEqual({ status: 'working', action: 'NONE' });
    expect(partnerCommentRule(def, 'waiting')).toEqual({ status: 'waiting', action: 'NONE' });
  });

  it('does not let a requester rule answer for partner comments, or the other way round', () => {
    expect(partnerCommentRule(def, 'closed').action).toBe('NONE');
    expect(requesterReplyRule(def, 'vendor').action).toBe('NONE');
  });
});

describe('escalationRule', () => {
  it('finds the rule for the tier and status', () => {
    expect(escalationRule(def, 'new', 2)).toEqual({
      toTier: 2,
      fromStatuses: ['new', 'working'],
      moveTo: 'working',
    });
  });

  it('returns undefined when the status is not one the rule escalates from', () => {
    expect(escalationRule(def, 'waiting', 2)).toBeUndefined();
  });

  it('applies a rule with no statuses to every status', () => {
    expect(escalationRule(def, 'waiting', 3)).toEqual({ toTier: 3, fromStatuses: [] });
    expect(escalationRule(def, 'done', 3)?.moveTo).toBeUndefined();
  });

  it('returns undefined for a tier without a rule', () => {
    expect(escalationRule(def, 'working', 4)).toBeUndefined();
  });
});

describe('categorise', () => {
  it('matches a keyword in the subject or the description', () => {
    expect(categorise(def, 'Outage', '')).toBe('incident');
    expect(categorise(def, 'Help', 'We got an error on save')).toBe('bug');
  });

  it('is case-insensitive', () => {
    expect(categorise(def, 'INVOICE missing', '')).toBe('billing');
    expect(categorise(def, 'Data Loss after import', '')).toBe('incident');
  });

  it('matches whole words only', () => {
    expect(categorise(def, 'Debugging tips', 'errors? no, just errorless code')).toBe('question');
    expect(categorise(def, 'invoices', '')).toBe('question');
    expect(categorise(def, 'bug.', '')).toBe('bug');
    expect(categorise(def, '(error)', '')).toBe('bug');
  });

  it('matches a keyword at the end of the subject and start of the description', () => {
    expect(categorise(def, 'there is a', 'bug')).toBe('bug');
  });

  it('matches keywords with spaces and regex characters literally', () => {
    expect(categorise(def, 'Some data loss', '')).toBe('incident');
    expect(categorise(def, 'data  loss', '')).toBe('question');
    expect(categorise(def, 'Our C++ client', '')).toBe('bug');
    expect(categorise(def, 'Our C client', '')).toBe('question');
  });

  it('lets the first matching rule win', () => {
    // "bug" is listed for both bug and billing; bug comes first
    expect(categorise(def, 'Invoice bug', '')).toBe('bug');
    // incident comes before bug
    expect(categorise(def, 'bug caused an outage', '')).toBe('incident');
  });

  it('falls back to the default category', () => {
    expect(categorise(def, 'How do I export?', 'Thanks')).toBe('question');
    expect(categorise(def, '', '')).toBe('question');
  });

  it('matches non-ASCII letters as part of a word', () => {
    const fr: WorkflowDefinition = {
      ...def,
      categorisation: {
        categories: ['facture', 'autre'],
        defaultCategory: 'autre',
        rules: [{ category: 'facture', keywords: ['facture'] }],
      },
    };
    expect(categorise(fr, 'Ma facture', '')).toBe('facture');
    expect(categorise(fr, 'Mes facturé', '')).toBe('autre');
  });
});
