import { Priority } from '../shared/enums.js';
import { DEFAULT_PAUSED_IN, type SlaPolicyDefinition, type SlaTarget } from './policy-definition.js';

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

/**
 * Seed 000, by plan, in business days. Its response time runs from creation until Open → In progress
 * (or the first public reply) and is paused while awaiting the client or the platform. The table's
 * maximum is the target; "normal" and "average" are reporting goals (second table).
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
        within: `P${maximum}D`,
        clock: 'BUSINESS',
        normalGoal: `P${normal}D`,
        averageGoal: `P${average}D`,
        warnAtPercent: WARN,
        pausedIn: DEFAULT_PAUSED_IN,
        stopStatuses: ['in_progress'],
        onBreach: 'RAISE_TIER',
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
