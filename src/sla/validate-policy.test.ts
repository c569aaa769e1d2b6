import { describe, expect, it } from '@jest/globals';
import { DEFAULT_PAUSED_IN, type SlaPolicyDefinition, type SlaTarget } from './policy-definition.js';
import { SLA_POLICY_PRESETS } from './policy-presets.js';
import { validateSlaPolicy } from './validate-policy.js';

const target = (extra: Partial<SlaTarget>): SlaTarget => ({
  kind: 'NEXT_RESPONSE',
  within: 'PT4H',
  clock: 'ALWAYS',
  warnAtPercent: [75],
  pausedIn: DEFAULT_PAUSED_IN,
  onBreach: 'NONE',
  ...extra,
});
const policy = (t: SlaTarget): SlaPolicyDefinition => ({
  conditions: {},
  calendarKey: 'always-open',
  targets: [t],
});
const fields = (t: SlaTarget) => validateSlaPolicy(policy(t)).map((p) => p.field);

describe('SLA policy validation: start and stop conditions (issue 16)', () => {
  it('accepts every shipped policy', () => {
    for (const p of SLA_POLICY_PRESETS) expect([p.key, validateSlaPolicy(p.definition)]).toEqual([p.key, []]);
  });

  it('accepts conditions given together, the stop list possibly empty', () => {
    expect(fields(target({ startWhen: [{ on: 'CREATED' }], stopWhen: [] }))).toEqual([]);
    expect(
      fields(
        target({
          startWhen: [{ on: 'STATUS_ENTERED', statuses: ['in_progress'] }],
          stopWhen: [
            { on: 'STATUS_ENTERED', statuses: ['open'], fromStatuses: ['in_progress'] },
            { on: 'CATEGORY_ENTERED', categories: ['WAITING_ON_REQUESTER'] },
            { on: 'CATEGORY_LEFT', categories: ['OPEN'] },
            { on: 'STATUS_LEFT', statuses: ['in_progress'] },
            { on: 'AGENT_REPLY' },
            { on: 'REQUESTER_REPLY' },
          ],
        }),
      ),
    ).toEqual([]);
  });

  it('names the path of every fault', () => {
    expect(fields(target({ startWhen: [{ on: 'CREATED' }] }))).toEqual(['targets[0].stopWhen']);
    expect(fields(target({ stopWhen: [] }))).toEqual(['targets[0].startWhen']);
    expect(fields(target({ startWhen: [], stopWhen: [] }))).toEqual(['targets[0].startWhen']);
    expect(
      fields(
        target({
          kind: 'FIRST_RESPONSE',
          stopStatuses: ['in_progress'],
          startWhen: [{ on: 'CREATED' }, { on: 'SOMETHING' as never }, { on: 'STATUS_ENTERED' }],
          stopWhen: [
            { on: 'CREATED' },
            { on: 'CATEGORY_LEFT', categories: ['LATER' as never] },
            { on: 'AGENT_REPLY', statuses: ['open'], categories: ['OPEN'], fromStatuses: ['new'] },
            { on: 'STATUS_LEFT', statuses: [' '] },
          ],
        }),
      ),
    ).toEqual([
      'targets[0].stopStatuses',
      'targets[0].startWhen[1].on',
      'targets[0].startWhen[2].statuses',
      'targets[0].stopWhen[0].on',
      'targets[0].stopWhen[1].categories[0]',
      'targets[0].stopWhen[2].statuses',
      'targets[0].stopWhen[2].categories',
      'targets[0].stopWhen[2].fromStatuses',
      'targets[0].stopWhen[3].statuses[0]',
    ]);
    expect(fields(target({ name: '' }))).toEqual(['targets[0].name']);
  });
});
