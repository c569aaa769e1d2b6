import { Priority } from '../shared/enums.js';
import {
  DEFAULT_PAUSED_IN,
  type SlaCondition,
  type SlaPolicyDefinition,
  type SlaTarget,
} from './policy-definition.js';

/**
 * The SLA policies the seeds state, as data. Both run on the "business-hours" calendar
 * (09:00–18:00, Monday to Friday), on which a business day is 9 hours.
 */
export interface SlaPolicyPreset {
  key: string;
  name: string;
  definition: SlaPolicyDefinition;
}

const WARN = [75, 90];

/** Seed 000's waits: "When the task ticket is Awaiting for Client or Marketplace Platform reply." */
const SEED_000_WAITS: SlaCondition = {
  on: 'CATEGORY_ENTERED',
  categories: ['WAITING_ON_REQUESTER', 'WAITING_ON_THIRD_PARTY'],
};

/**
 * Seed 000, by plan, in business days, with the seed's two clocks (its FAQ), each as start and stop
 * conditions (issue 16):
 * - "Virtual Assistant response time": "When we platform receive your task and generate it as a ticket,
 *   That is the start" → starts at creation; ends "When the task ticket transfer from Open to In
 *   Progress" (entering In progress; the first public reply ends it too), on "automatic change by the
 *   system policy 15 days of no response" and "cancelled by the client" (entering a resolved or closed
 *   status always ends a cycle; Cancelled is one), and "When the task ticket is Awaiting for Client or
 *   Marketplace Platform reply" (entering a waiting category).
 * - "Operations response time": "It will start when support team transfer the ticket to In Progress" →
 *   a cycle starts at each entry into In progress; it ends "When the task ticket transfer from In
 *   progress to Open", on cancellation, or on entering a wait. The seed gives it no length: ours is the
 *   plan's maximum, as for the first clock (a NEXT_RESPONSE target, its cycles measured one by one).
 * The table's maximum is the target; "normal" and "average" are reporting goals (second table).
 */
const seed000 = (plan: string, normal: number, average: number, maximum: number): SlaPolicyPreset => ({
  key: `managed-service-${plan.toLowerCase()}`,
  name: `Managed service, ${plan} plan`,
  definition: {
    conditions: { workflows: ['managed-service'], plans: [plan] },
    calendarKey: 'business-hours',
    targets: [
      {
        kind: 'FIRST_RESPONSE',
        name: 'Virtual Assistant response time',
        within: `P${maximum}D`,
        clock: 'BUSINESS',
        normalGoal: `P${normal}D`,
        averageGoal: `P${average}D`,
        warnAtPercent: WARN,
        pausedIn: DEFAULT_PAUSED_IN,
        startWhen: [{ on: 'CREATED' }],
        stopWhen: [
          { on: 'AGENT_REPLY' },
          { on: 'STATUS_ENTERED', statuses: ['in_progress'] },
          { on: 'STATUS_ENTERED', statuses: ['cancelled'] },
          SEED_000_WAITS,
        ],
        onBreach: 'RAISE_TIER',
      },
      {
        kind: 'NEXT_RESPONSE',
        name: 'Operations response time',
        within: `P${maximum}D`,
        clock: 'BUSINESS',
        warnAtPercent: WARN,
        pausedIn: DEFAULT_PAUSED_IN,
        startWhen: [{ on: 'STATUS_ENTERED', statuses: ['in_progress'] }],
        stopWhen: [
          { on: 'STATUS_ENTERED', statuses: ['open'], fromStatuses: ['in_progress'] },
          { on: 'STATUS_ENTERED', statuses: ['cancelled'] },
          SEED_000_WAITS,
        ],
        onBreach: 'NONE',
      },
    ],
  },
});

const target = (t: Partial<SlaTarget> & Pick<SlaTarget, 'kind' | 'within' | 'clock'>): SlaTarget => ({
  warnAtPercent: WARN,
  pausedIn: DEFAULT_PAUSED_IN,
  onBreach: 'NONE',
  ...t,
});

/** Seed 003, by severity (the ticket's priority); critical runs 24/7. */
const seed003 = (priority: Priority, targets: SlaTarget[]): SlaPolicyPreset => ({
  key: `saas-${priority.toLowerCase()}`,
  name: `SaaS platform, ${priority.toLowerCase()} severity`,
  definition: {
    conditions: { workflows: ['saas'], priorities: [priority] },
    calendarKey: 'business-hours',
    targets,
  },
});

export const SLA_POLICY_PRESETS: SlaPolicyPreset[] = [
  seed000('Basic', 3, 4, 5),
  seed000('Pro', 3, 3, 4),
  seed000('Premium', 2, 2, 3),
  seed003(Priority.CRITICAL, [
    target({ kind: 'FIRST_RESPONSE', within: 'PT15M', clock: 'ALWAYS', onBreach: 'RAISE_TIER' }),
    target({ kind: 'PERIODIC_UPDATE', within: 'PT1H', clock: 'ALWAYS' }),
    target({ kind: 'RESOLUTION', within: 'PT4H', clock: 'ALWAYS', onBreach: 'RAISE_TIER' }),
  ]),
  seed003(Priority.HIGH, [
    target({
      kind: 'FIRST_RESPONSE',
      within: 'PT1H',
      clock: 'BUSINESS',
      outsideBusinessHours: { within: 'PT4H', clock: 'ALWAYS' },
      onBreach: 'RAISE_TIER',
    }),
    target({ kind: 'RESOLUTION', within: 'PT8H', clock: 'ALWAYS', onBreach: 'RAISE_TIER' }),
  ]),
  seed003(Priority.MEDIUM, [
    target({ kind: 'FIRST_RESPONSE', within: 'PT4H', clock: 'BUSINESS' }),
    target({ kind: 'RESOLUTION', within: 'P1D', clock: 'BUSINESS' }),
  ]),
  seed003(Priority.LOW, [
    target({ kind: 'FIRST_RESPONSE', within: 'P1D', clock: 'BUSINESS' }),
    target({ kind: 'RESOLUTION', within: 'P3D', clock: 'BUSINESS', normalGoal: 'P2D' }),
  ]),
];
