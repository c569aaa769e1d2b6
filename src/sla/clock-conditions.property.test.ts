import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { createCalendar } from './business-calendar.js';
import { ALWAYS_OPEN, SEED_003_CALENDAR } from './calendar-presets.js';
import { computeSla, type SlaInput, type TimelineEntry } from './clock.js';
import type { SlaCondition, SlaTarget } from './policy-definition.js';
import type { StatusCategory } from '../workflow/definition.js';

/**
 * Issue 16: start and stop conditions are data, and the targets without them keep their meaning. On
 * random histories, a target whose conditions spell out its kind's defaults (start = "created", stop =
 * the kind's stops) runs exactly as the same target without conditions: same cycles, states, due
 * dates, elapsed and paused time, breaches and warnings.
 */
const STATUSES: { status: string; category: StatusCategory }[] = [
  { status: 'new', category: 'NEW' },
  { status: 'in_progress', category: 'OPEN' },
  { status: 'ready', category: 'OPEN' },
  { status: 'awaiting_customer', category: 'WAITING_ON_REQUESTER' },
  { status: 'awaiting_vendor', category: 'WAITING_ON_THIRD_PARTY' },
  { status: 'on_hold', category: 'ON_HOLD' },
  { status: 'resolved', category: 'RESOLVED' },
  { status: 'closed', category: 'CLOSED' },
];
const CREATED = Date.parse('2026-11-20T15:00:00Z'); // a Friday afternoon

const entry = fc.oneof(
  fc.constantFrom(...STATUSES).map((s) => ({ kind: 'STATUS' as const, ...s })),
  fc.constant({ kind: 'AGENT_REPLY' as const }),
  fc.constant({ kind: 'REQUESTER_REPLY' as const }),
);
/** A history: entries at increasing offsets (several may share an instant), the reading instant after. */
const history = fc.record({
  initial: fc.constantFrom(...STATUSES.slice(0, 3), STATUSES[6]!),
  steps: fc.array(fc.tuple(fc.integer({ min: 0, max: 20 * 3_600_000 }), entry), { maxLength: 14 }),
  readAfter: fc.integer({ min: 0, max: 3 * 86_400_000 }),
  within: fc.constantFrom('PT30M', 'PT2H', 'PT9H', 'P1D', 'P2D'),
  business: fc.boolean(),
  pausedIn: fc.subarray<StatusCategory>([
    'WAITING_ON_REQUESTER',
    'WAITING_ON_THIRD_PARTY',
    'ON_HOLD',
    'OPEN',
  ]),
});

const FINAL_LEFT: SlaCondition = { on: 'CATEGORY_LEFT', categories: ['RESOLVED', 'CLOSED'] };
/** Each kind's defaults as conditions (NEXT_RESPONSE's "after the first agent reply" is not a condition). */
const AS_CONDITIONS: Record<string, (t: SlaTarget) => Pick<SlaTarget, 'startWhen' | 'stopWhen'>> = {
  FIRST_RESPONSE: (t) => ({
    startWhen: [{ on: 'CREATED' }],
    stopWhen: [
      { on: 'AGENT_REPLY' },
      ...(t.stopStatuses?.length ? [{ on: 'STATUS_ENTERED' as const, statuses: t.stopStatuses }] : []),
    ],
  }),
  RESOLUTION: () => ({ startWhen: [{ on: 'CREATED' }, FINAL_LEFT], stopWhen: [] }),
  PERIODIC_UPDATE: () => ({
    startWhen: [{ on: 'CREATED' }, FINAL_LEFT, { on: 'AGENT_REPLY' }],
    stopWhen: [{ on: 'AGENT_REPLY' }],
  }),
};

describe('SLA conditions: the defaults as data reproduce the kinds (property)', () => {
  it.each([
    ['FIRST_RESPONSE', undefined],
    ['FIRST_RESPONSE', ['ready']],
    ['RESOLUTION', undefined],
    ['PERIODIC_UPDATE', undefined],
  ] as const)('%s (stop statuses %p)', (kind, stopStatuses) => {
    fc.assert(
      fc.property(history, (h) => {
        // A status change always changes the status (a transition never goes to its own status).
        let at = CREATED;
        let current = h.initial.status;
        const timeline: TimelineEntry[] = [];
        for (const [gap, e] of h.steps) {
          at += gap;
          if (e.kind === 'STATUS' && e.status === current) continue;
          if (e.kind === 'STATUS') current = e.status;
          timeline.push({ ...e, at } as TimelineEntry);
        }
        const base: SlaTarget = {
          kind,
          within: h.within,
          clock: h.business ? 'BUSINESS' : 'ALWAYS',
          warnAtPercent: [50, 90],
          pausedIn: h.pausedIn,
          onBreach: 'NONE',
          ...(stopStatuses ? { stopStatuses: [...stopStatuses] } : {}),
        };
        const input = (target: SlaTarget): SlaInput => ({
          createdAt: CREATED,
          initialStatus: h.initial,
          timeline,
          policy: { conditions: {}, calendarKey: 'x', targets: [target] },
          calendar: createCalendar(h.business ? SEED_003_CALENDAR : ALWAYS_OPEN),
          now: at + h.readAfter,
        });
        const [legacy] = computeSla(input(base));
        const [conditioned] = computeSla(input({ ...base, ...AS_CONDITIONS[kind]!(base) }));
        expect(conditioned).toEqual(legacy);
      }),
      { seed: 16, numRuns: 400 },
    );
  });
});
