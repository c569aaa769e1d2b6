import { describe, it, expect } from '@jest/globals';
import type { FieldProblem } from '../shared/errors.js';
import type { WorkflowDefinition } from './definition.js';
import { validateWorkflow } from './validate.js';

/** A small valid workflow: new → working ⇄ waiting → done → closed, with a reopen out of closed. */
function fixture(): WorkflowDefinition {
  return {
    initialStatus: 'new',
    statuses: [
      { key: 'new', name: 'New', category: 'NEW' },
      { key: 'working', name: 'Working', category: 'OPEN' },
      { key: 'waiting', name: 'Waiting', category: 'WAITING_ON_REQUESTER' },
      { key: 'done', name: 'Done', category: 'RESOLVED' },
      { key: 'closed', name: 'Closed', category: 'CLOSED' },
    ],
    transitions: [
      { from: ['new', 'waiting'], to: 'working', actors: ['AGENT'], requiresReason: false, reopen: false },
      { from: ['working'], to: 'waiting', actors: ['AGENT'], requiresReason: false, reopen: false },
      { from: ['working', 'waiting'], to: 'done', actors: ['AGENT'], requiresReason: false, reopen: false },
      { from: ['done'], to: 'closed', actors: ['AGENT'], requiresReason: true, reopen: false },
      { from: ['done', 'closed'], to: 'working', actors: ['AGENT'], requiresReason: true, reopen: true },
    ],
    requesterReplies: [
      { status: 'waiting', action: 'MOVE', to: 'working' },
      { status: 'closed', action: 'FOLLOW_UP' },
    ],
    partnerComments: [{ status: 'working', action: 'NONE' }],
    escalations: [{ toTier: 2, fromStatuses: ['working'], moveTo: 'working' }],
    categorisation: {
      categories: ['question', 'bug'],
      defaultCategory: 'question',
      rules: [{ category: 'bug', keywords: ['bug', 'error'] }],
    },
    timers: [
      { status: 'waiting', action: 'REMIND', after: 'P3D', repeatEvery: 'P3D', maxCount: 3 },
      { status: 'waiting', action: 'MOVE', after: 'P30D', to: 'closed', addTag: 'No Response' },
    ],
  };
}

/** Validates the fixture after `mutate` changed it. */
function problemsAfter(mutate: (def: WorkflowDefinition) => void): FieldProblem[] {
  const def = fixture();
  mutate(def);
  return validateWorkflow(def);
}

/** The problem reported on `field` (exactly one). */
function problemAt(problems: FieldProblem[], field: string): FieldProblem {
  const found = problems.filter((p) => p.field === field);
  if (found.length !== 1) {
    throw new Error(`expected one problem at ${field}, got: ${JSON.stringify(problems)}`);
  }
  return found[0];
}

/** Casts a bad value through the types, as a JSON payload would. */
const bad = <T>(v: unknown) => v as T;

describe('validateWorkflow', () => {
  it('accepts the valid fixture', () => {
    expect(validateWorkflow(fixture())).toEqual([]);
  });

  describe('statuses', () => {
    it('needs at least one status', () => {
      const problems = problemsAfter((d) => {
        d.statuses = [];
      });
      expect(problems).toContainEqual({
        field: 'statuses',
        message: expect.stringMatching(/at least one status/),
      });
    });

    it('refuses a key that is not lower_snake_case', () => {
      const problems = problemsAfter((d) => {
        d.statuses[4].key = 'Closed-Status';
      });
      expect(problemAt(problems, 'statuses[4].key').message).toMatch(
        /"Closed-Status" must be lower_snake_case/,
      );
    });

    it('refuses a key defined twice', () => {
      const problems = problemsAfter((d) => {
        d.statuses.push({ key: 'working', name: 'Working again', category: 'OPEN' });
      });
      expect(problemAt(problems, 'statuses[5].key').message).toMatch(/"working" is defined twice/);
    });

    it('needs a name', () => {
      const problems = problemsAfter((d) => {
        d.statuses[1].name = '   ';
      });
      expect(problemAt(problems, 'statuses[1].name').message).toMatch(/needs a name/);
    });

    it('refuses an unknown category', () => {
      const problems = problemsAfter((d) => {
        d.statuses[1].category = bad('DOING');
      });
      expect(problemAt(problems, 'statuses[1].category').message).toMatch(/unknown category "DOING"/);
    });

    it('needs a status in category RESOLVED or CLOSED', () => {
      const problems = problemsAfter((d) => {
        d.statuses[3].category = 'OPEN';
        d.statuses[4].category = 'ON_HOLD';
        d.transitions = d.transitions.filter((t) => !t.reopen);
        d.requesterReplies = [];
      });
      expect(problemAt(problems, 'statuses').message).toMatch(/RESOLVED or CLOSED/);
    });

    it('reports a status that cannot be reached from the initial one', () => {
      const problems = problemsAfter((d) => {
        d.statuses.push({ key: 'limbo', name: 'Limbo', category: 'ON_HOLD' });
      });
      expect(problems).toEqual([
        { field: 'statuses[5]', message: 'status "limbo" cannot be reached from "new"' },
      ]);
    });

    it('reports a status whose only way in was removed', () => {
      const problems = problemsAfter((d) => {
        d.transitions = d.transitions.filter((t) => t.to !== 'done');
      });
      // closed stays reachable through the waiting timer
      expect(problems).toEqual([
        { field: 'statuses[3]', message: 'status "done" cannot be reached from "new"' },
      ]);
    });
  });

  describe('reachability follows every kind of move', () => {
    // "extra" is reachable only through the edge each case adds.
    const withExtra = (d: WorkflowDefinition) =>
      d.statuses.push({ key: 'extra', name: 'Extra', category: 'OPEN' });

    it('the intake status', () => {
      expect(
        problemsAfter((d) => {
          withExtra(d);
          d.intakeStatus = 'extra';
        }),
      ).toEqual([]);
    });

    it('a requester reply', () => {
      expect(
        problemsAfter((d) => {
          withExtra(d);
          d.requesterReplies.push({ status: 'working', action: 'MOVE', to: 'extra' });
        }),
      ).toEqual([]);
    });

    it('a partner comment', () => {
      expect(
        problemsAfter((d) => {
          withExtra(d);
          d.partnerComments = [{ status: 'working', action: 'MOVE', to: 'extra' }];
        }),
      ).toEqual([]);
    });

    it('a timer', () => {
      expect(
        problemsAfter((d) => {
          withExtra(d);
          d.timers.push({ status: 'done', action: 'MOVE', after: 'PT48H', to: 'extra' });
        }),
      ).toEqual([]);
    });

    it('an escalation, from named statuses or from any', () => {
      expect(
        problemsAfter((d) => {
          withExtra(d);
          d.escalations.push({ toTier: 3, fromStatuses: ['working'], moveTo: 'extra' });
        }),
      ).toEqual([]);
      expect(
        problemsAfter((d) => {
          withExtra(d);
          d.escalations.push({ toTier: 3, fromStatuses: [], moveTo: 'extra' });
        }),
      ).toEqual([]);
    });

    it('but not a reply that keeps the status', () => {
      const problems = problemsAfter((d) => {
        withExtra(d);
        d.requesterReplies.push({ status: 'working', action: 'NONE' });
      });
      expect(problemAt(problems, 'statuses[5]').message).toMatch(/"extra" cannot be reached/);
    });
  });

  describe('initial and intake status', () => {
    it('refuses an unknown initial status (and skips reachability)', () => {
      const problems = problemsAfter((d) => {
        d.initialStatus = 'nowhere';
      });
      expect(problems).toEqual([{ field: 'initialStatus', message: 'unknown status "nowhere"' }]);
    });

    it('needs an initial status in category NEW or OPEN', () => {
      const problems = problemsAfter((d) => {
        d.initialStatus = 'waiting';
      });
      expect(problemAt(problems, 'initialStatus').message).toMatch(
        /must be in category NEW or OPEN, not WAITING_ON_REQUESTER/,
      );
    });

    it('accepts an OPEN initial status', () => {
      expect(
        problemsAfter((d) => {
          d.statuses[0].category = 'OPEN';
        }),
      ).toEqual([]);
    });

    it('refuses an unknown intake status', () => {
      const problems = problemsAfter((d) => {
        d.intakeStatus = 'triage';
      });
      expect(problemAt(problems, 'intakeStatus').message).toMatch(/unknown status "triage"/);
    });
  });

  describe('transitions', () => {
    it('needs a status to start from', () => {
      const problems = problemsAfter((d) => {
        d.transitions[1].from = [];
        d.requesterReplies.push({ status: 'working', action: 'MOVE', to: 'waiting' });
      });
      expect(problemAt(problems, 'transitions[1].from').message).toMatch(/at least one status to start from/);
    });

    it('refuses an unknown status to start from', () => {
      const problems = problemsAfter((d) => {
        d.transitions[1].from = ['working', 'nowhere'];
      });
      expect(problemAt(problems, 'transitions[1].from[1]').message).toMatch(/unknown status "nowhere"/);
    });

    it('refuses an unknown target status', () => {
      const problems = problemsAfter((d) => {
        d.transitions.push({
          from: ['working'],
          to: 'nowhere',
          actors: ['AGENT'],
          requiresReason: false,
          reopen: false,
        });
      });
      expect(problemAt(problems, 'transitions[5].to').message).toMatch(/unknown status "nowhere"/);
    });

    it('refuses a move from a status to itself', () => {
      const problems = problemsAfter((d) => {
        d.transitions[1].from = ['working', 'waiting'];
      });
      expect(problemAt(problems, 'transitions[1].from[1]').message).toMatch(
        /cannot go from "waiting" to itself/,
      );
    });

    it('refuses a move defined twice', () => {
      const problems = problemsAfter((d) => {
        d.transitions.push({
          from: ['working'],
          to: 'waiting',
          actors: ['ADMIN'],
          requiresReason: true,
          reopen: false,
        });
      });
      expect(problemAt(problems, 'transitions[5]').message).toMatch(/"working" → "waiting" is defined twice/);
    });

    it('requires a move out of a closed status to be marked as a reopen', () => {
      const problems = problemsAfter((d) => {
        d.transitions[4] = {
          from: ['closed'],
          to: 'working',
          actors: ['AGENT'],
          requiresReason: true,
          reopen: false,
        };
      });
      expect(problemAt(problems, 'transitions[4].reopen').message).toMatch(
        /"closed" is a closed status: a move out of it must be marked as a reopen/,
      );
    });

    it('allows a non-reopen move out of a resolved status', () => {
      // done → closed in the fixture is not a reopen
      expect(validateWorkflow(fixture()).filter((p) => p.field.startsWith('transitions[3]'))).toEqual([]);
    });

    it('only allows a reopen out of resolved or closed statuses', () => {
      const problems = problemsAfter((d) => {
        d.transitions.push({
          from: ['working'],
          to: 'closed',
          actors: ['AGENT'],
          requiresReason: true,
          reopen: true,
        });
      });
      expect(problemAt(problems, 'transitions[5].reopen').message).toMatch(
        /only a move out of a resolved or closed status can be a reopen/,
      );
    });

    it('needs an actor kind', () => {
      const problems = problemsAfter((d) => {
        d.transitions[0].actors = [];
      });
      expect(problemAt(problems, 'transitions[0].actors').message).toMatch(/at least one actor kind/);
    });

    it('refuses an unknown actor kind', () => {
      const problems = problemsAfter((d) => {
        d.transitions[0].actors = ['AGENT', bad('ROBOT')];
      });
      expect(problemAt(problems, 'transitions[0].actors[1]').message).toMatch(/unknown actor kind "ROBOT"/);
    });
  });

  describe.each(['requesterReplies', 'partnerComments'] as const)('%s', (list) => {
    it('refuses an unknown status', () => {
      const problems = problemsAfter((d) => {
        d[list] = [{ status: 'nowhere', action: 'NONE' }];
      });
      expect(problemAt(problems, `${list}[0].status`).message).toMatch(/unknown status "nowhere"/);
    });

    it('refuses two rules for one status', () => {
      const problems = problemsAfter((d) => {
        d[list] = [
          { status: 'done', action: 'NONE' },
          { status: 'done', action: 'REJECT' },
        ];
      });
      expect(problemAt(problems, `${list}[1].status`).message).toMatch(/"done" has two rules/);
    });

    it('refuses an unknown action', () => {
      const problems = problemsAfter((d) => {
        d[list] = [{ status: 'done', action: bad('IGNORE') }];
      });
      expect(problemAt(problems, `${list}[0].action`).message).toMatch(/unknown action "IGNORE"/);
    });

    it('needs a known target for a MOVE', () => {
      const missing = problemsAfter((d) => {
        d[list] = [{ status: 'done', action: 'MOVE' }];
      });
      expect(problemAt(missing, `${list}[0].to`).message).toMatch(/unknown status ""/);
      const unknown = problemsAfter((d) => {
        d[list] = [{ status: 'done', action: 'MOVE', to: 'nowhere' }];
      });
      expect(problemAt(unknown, `${list}[0].to`).message).toMatch(/unknown status "nowhere"/);
    });

    it('refuses a MOVE to the status the ticket is in', () => {
      const problems = problemsAfter((d) => {
        d[list] = [{ status: 'done', action: 'MOVE', to: 'done' }];
      });
      expect(problemAt(problems, `${list}[0].to`).message).toMatch(
        /cannot move a ticket to the status it is in/,
      );
    });

    it('refuses a target on a rule that is not a MOVE', () => {
      const problems = problemsAfter((d) => {
        d[list] = [{ status: 'closed', action: 'FOLLOW_UP', to: 'working' }];
      });
      expect(problemAt(problems, `${list}[0].to`).message).toMatch(
        /only a MOVE rule has a target status \(this one is FOLLOW_UP\)/,
      );
    });
  });

  describe('escalations', () => {
    it.each([1, 4, 2.5, 0])('refuses tier %p', (tier) => {
      const problems = problemsAfter((d) => {
        d.escalations[0].toTier = tier;
      });
      expect(problemAt(problems, 'escalations[0].toTier').message).toMatch(/tier 2 to 3/);
    });

    it('accepts tiers 2 and 3', () => {
      expect(
        problemsAfter((d) => {
          d.escalations.push({ toTier: 3, fromStatuses: [] });
        }),
      ).toEqual([]);
    });

    it('refuses an unknown status to escalate from', () => {
      const problems = problemsAfter((d) => {
        d.escalations[0].fromStatuses = ['working', 'nowhere'];
      });
      expect(problemAt(problems, 'escalations[0].fromStatuses[1]').message).toMatch(
        /unknown status "nowhere"/,
      );
    });

    it('refuses an unknown status to move to', () => {
      const problems = problemsAfter((d) => {
        d.escalations[0].moveTo = 'tier2_queue';
      });
      expect(problemAt(problems, 'escalations[0].moveTo').message).toMatch(/unknown status "tier2_queue"/);
    });
  });

  describe('categorisation', () => {
    it('needs at least one category', () => {
      const problems = problemsAfter((d) => {
        d.categorisation = { categories: [], defaultCategory: 'question', rules: [] };
      });
      expect(problemAt(problems, 'categorisation.categories').message).toMatch(/at least one category/);
    });

    it('refuses a category listed twice', () => {
      const problems = problemsAfter((d) => {
        d.categorisation.categories = ['question', 'bug', 'question'];
      });
      expect(problemAt(problems, 'categorisation.categories').message).toMatch(/listed twice/);
    });

    it('needs the default category to be listed', () => {
      const problems = problemsAfter((d) => {
        d.categorisation.defaultCategory = 'other';
      });
      expect(problemAt(problems, 'categorisation.defaultCategory').message).toMatch(
        /"other" is not one of the categories/,
      );
    });

    it('needs each rule category to be listed', () => {
      const problems = problemsAfter((d) => {
        d.categorisation.rules.push({ category: 'billing', keywords: ['invoice'] });
      });
      expect(problemAt(problems, 'categorisation.rules[1].category').message).toMatch(
        /"billing" is not one of the categories/,
      );
    });

    it('needs non-empty keywords', () => {
      const none = problemsAfter((d) => {
        d.categorisation.rules[0].keywords = [];
      });
      expect(problemAt(none, 'categorisation.rules[0].keywords').message).toMatch(
        /at least one non-empty keyword/,
      );
      const blank = problemsAfter((d) => {
        d.categorisation.rules[0].keywords = ['bug', '  '];
      });
      expect(problemAt(blank, 'categorisation.rules[0].keywords').message).toMatch(/non-empty keyword/);
    });
  });

  describe('timers', () => {
    it('refuses an unknown status', () => {
      const problems = problemsAfter((d) => {
        d.timers[0].status = 'nowhere';
      });
      expect(problemAt(problems, 'timers[0].status').message).toMatch(/unknown status "nowhere"/);
    });

    it('refuses a timer on a closed status', () => {
      const problems = problemsAfter((d) => {
        d.timers.push({ status: 'closed', action: 'REMIND', after: 'P1D', maxCount: 1 });
      });
      expect(problemAt(problems, 'timers[2].status').message).toMatch(
        /"closed" is a closed status: it cannot have timers/,
      );
    });

    it('allows a timer on a resolved status', () => {
      expect(
        problemsAfter((d) => {
          d.timers.push({ status: 'done', action: 'MOVE', after: 'PT24H', to: 'closed' });
        }),
      ).toEqual([]);
    });

    it('refuses an unknown action', () => {
      const problems = problemsAfter((d) => {
        d.timers.push({ status: 'working', action: bad('ESCALATE'), after: 'PT1H' });
      });
      expect(problemAt(problems, 'timers[2].action').message).toMatch(/unknown action "ESCALATE"/);
    });

    it.each(['3 days', 'P', 'PT', 'P1M', 'P0D', ''])('refuses the start delay %p', (after) => {
      const problems = problemsAfter((d) => {
        d.timers[1].after = after;
      });
      expect(problemAt(problems, 'timers[1].after').message).toMatch(/must be a positive ISO 8601 duration/);
    });

    it('refuses a bad repeat interval', () => {
      const problems = problemsAfter((d) => {
        d.timers[0].repeatEvery = 'every 3 days';
      });
      expect(problemAt(problems, 'timers[0].repeatEvery').message).toMatch(
        /"every 3 days" must be a positive ISO 8601 duration/,
      );
    });

    it.each([0, -1, 1.5])('refuses the maximum count %p', (maxCount) => {
      const problems = problemsAfter((d) => {
        d.timers[0].maxCount = maxCount;
      });
      expect(problemAt(problems, 'timers[0].maxCount').message).toMatch(/whole number of at least 1/);
    });

    it('needs a known target for a MOVE timer', () => {
      const missing = problemsAfter((d) => {
        delete d.timers[1].to;
      });
      expect(problemAt(missing, 'timers[1].to').message).toMatch(/unknown status ""/);
      const unknown = problemsAfter((d) => {
        d.timers[1].to = 'archived';
      });
      expect(problemAt(unknown, 'timers[1].to').message).toMatch(/unknown status "archived"/);
    });

    it('refuses a MOVE timer to the status it is on', () => {
      const problems = problemsAfter((d) => {
        d.timers[1].to = 'waiting';
      });
      expect(problemAt(problems, 'timers[1].to').message).toMatch(
        /cannot move a ticket to the status it is in/,
      );
    });

    it('refuses a repeating MOVE timer', () => {
      const withRepeat = problemsAfter((d) => {
        d.timers[1].repeatEvery = 'P1D';
      });
      expect(problemAt(withRepeat, 'timers[1].repeatEvery').message).toMatch(/only a REMIND timer repeats/);
      const withMax = problemsAfter((d) => {
        d.timers[1].maxCount = 2;
      });
      expect(problemAt(withMax, 'timers[1].repeatEvery').message).toMatch(/only a REMIND timer repeats/);
    });

    it('refuses a target on a REMIND timer', () => {
      const problems = problemsAfter((d) => {
        d.timers[0].to = 'closed';
      });
      expect(problemAt(problems, 'timers[0].to').message).toMatch(/only a MOVE timer has a target status/);
    });

    it('refuses a tag on a REMIND timer', () => {
      const problems = problemsAfter((d) => {
        d.timers[0].addTag = 'Reminded';
      });
      expect(problemAt(problems, 'timers[0].addTag').message).toMatch(/only a MOVE timer adds a tag/);
    });

    it('needs a maximum count on a repeating reminder', () => {
      const problems = problemsAfter((d) => {
        delete d.timers[0].maxCount;
      });
      expect(problemAt(problems, 'timers[0].maxCount').message).toMatch(
        /repeating reminder needs a maximum count/,
      );
    });

    it('accepts a one-off reminder without a repeat', () => {
      expect(
        problemsAfter((d) => {
          d.timers[0] = { status: 'waiting', action: 'REMIND', after: 'PT24H', maxCount: 1 };
        }),
      ).toEqual([]);
    });
  });

  describe('assignment rules (issue 16)', () => {
    it('accepts a category routed through known steps, and none at all (the default)', () => {
      expect(
        problemsAfter((d) => {
          d.assignmentRules = [
            { categories: ['bug'], steps: ['LEAD_AGENT', 'FAMILIAR_AGENT', 'LEAST_LOADED'] },
          ];
        }),
      ).toEqual([]);
      expect(problemsAfter(() => undefined)).toEqual([]);
    });

    it('names each fault: unknown or repeated categories, no steps, unknown or repeated steps', () => {
      const problems = problemsAfter((d) => {
        d.assignmentRules = [
          { categories: ['bug', 'feature'], steps: ['LEAD_AGENT', 'LEAD_AGENT'] },
          { categories: ['bug'], steps: [bad('ROUND_ROBIN')] },
          { categories: [], steps: [] },
        ];
      });
      expect(problems.map((p) => p.field)).toEqual([
        'assignmentRules[0].categories[1]',
        'assignmentRules[0].steps[1]',
        'assignmentRules[1].categories[0]',
        'assignmentRules[1].steps[0]',
        'assignmentRules[2].categories',
        'assignmentRules[2].steps',
      ]);
    });
  });

  describe('channel hours (issue 16)', () => {
    it('accepts channels tied to a calendar, with exempt priorities', () => {
      expect(
        problemsAfter((d) => {
          d.channelHours = [
            { channels: ['CHAT'], calendarKey: 'business-hours', outsideHours: 'REFUSE' },
            {
              channels: ['PHONE'],
              calendarKey: 'business-hours',
              outsideHours: 'QUEUE',
              exemptPriorities: ['CRITICAL'],
            },
          ];
        }),
      ).toEqual([]);
    });

    it('names each fault', () => {
      const problems = problemsAfter((d) => {
        d.channelHours = [
          {
            channels: ['CHAT', 'PIGEON'],
            calendarKey: ' ',
            outsideHours: bad('IGNORE'),
            exemptPriorities: ['URGENT'],
          },
          { channels: ['CHAT'], calendarKey: 'business-hours', outsideHours: 'REFUSE' },
          { channels: [], calendarKey: 'business-hours', outsideHours: 'REFUSE' },
        ];
      });
      expect(problems.map((p) => p.field)).toEqual([
        'channelHours[0].channels[1]',
        'channelHours[0].calendarKey',
        'channelHours[0].outsideHours',
        'channelHours[0].exemptPriorities[0]',
        'channelHours[1].channels[0]',
        'channelHours[2].channels',
      ]);
    });
  });

  it('reports every problem at once', () => {
    const problems = problemsAfter((d) => {
      d.statuses[1].category = bad('DOING');
      d.categorisation.defaultCategory = 'other';
      d.timers[0].after = 'soon';
    });
    expect(problems.map((p) => p.field)).toEqual([
      'statuses[1].category',
      'categorisation.defaultCategory',
      'timers[0].after',
    ]);
  });
});
