import { describe, expect, it } from '@jest/globals';
import { createCalendar } from './business-calendar.js';
import { ALWAYS_OPEN, SEED_003_CALENDAR } from './calendar-presets.js';
import { computeSla, targetLengthMs, type SlaInput, type TimelineEntry } from './clock.js';
import { DEFAULT_PAUSED_IN, type SlaTarget } from './policy-definition.js';

/** The pure clock, without a database. Times are UTC; 2026-11-23 is a Monday. */
const t = (iso: string) => Date.parse(iso);
const H = 3_600_000;
const target = (kind: SlaTarget['kind'], within: string, extra: Partial<SlaTarget> = {}): SlaTarget => ({
  kind,
  within,
  clock: 'ALWAYS',
  warnAtPercent: [50],
  pausedIn: DEFAULT_PAUSED_IN,
  onBreach: 'NONE',
  ...extra,
});

function run(
  targets: SlaTarget[],
  timeline: TimelineEntry[],
  now: string,
  calendar = ALWAYS_OPEN,
): ReturnType<typeof computeSla> {
  const input: SlaInput = {
    createdAt: t('2026-11-23T10:00:00Z'),
    initialStatus: { status: 'new', category: 'NEW' },
    timeline,
    policy: { conditions: {}, calendarKey: 'x', targets },
    calendar: createCalendar(calendar),
    now: t(now),
  };
  return computeSla(input);
}

const status = (at: string, s: string, category: SlaInput['initialStatus']['category']): TimelineEntry => ({
  at: t(at),
  kind: 'STATUS',
  status: s,
  category,
});

describe('the SLA clock', () => {
  it('runs a first response from creation and stops it at the first public agent reply', () => {
    const [fr] = run(
      [target('FIRST_RESPONSE', 'PT1H')],
      [{ at: t('2026-11-23T10:40:00Z'), kind: 'AGENT_REPLY' }],
      '2026-11-23T12:00:00Z',
    );
    expect(fr).toMatchObject({
      state: 'ACHIEVED',
      elapsedMs: 40 * 60_000,
      achievedAt: t('2026-11-23T10:40:00Z'),
    });
    expect(fr!.dueAt).toBeUndefined();
  });

  it('breaches at the due instant when still open, and a reply exactly at it is in time', () => {
    const [open] = run([target('FIRST_RESPONSE', 'PT1H')], [], '2026-11-23T11:00:00Z');
    expect(open).toMatchObject({ state: 'BREACHED', breachedAt: t('2026-11-23T11:00:00Z'), remainingMs: 0 });
    const [onTime] = run(
      [target('FIRST_RESPONSE', 'PT1H')],
      [{ at: t('2026-11-23T11:00:00Z'), kind: 'AGENT_REPLY' }],
      '2026-11-23T11:00:00Z',
    );
    expect(onTime.state).toBe('ACHIEVED');
    const [late] = run(
      [target('FIRST_RESPONSE', 'PT1H')],
      [{ at: t('2026-11-23T11:00:01Z'), kind: 'AGENT_REPLY' }],
      '2026-11-23T12:00:00Z',
    );
    expect(late).toMatchObject({
      state: 'BREACHED',
      breachedAt: t('2026-11-23T11:00:00Z'),
      achievedAt: t('2026-11-23T11:00:01Z'),
    });
  });

  it('pauses in the paused categories: the due instant moves by the pause', () => {
    const timeline = [
      status('2026-11-23T10:30:00Z', 'pending', 'WAITING_ON_REQUESTER'),
      status('2026-11-23T12:30:00Z', 'open', 'OPEN'),
    ];
    const [during] = run([target('RESOLUTION', 'PT2H')], timeline.slice(0, 1), '2026-11-23T11:00:00Z');
    expect(during).toMatchObject({
      state: 'PAUSED',
      remainingMs: 1.5 * H,
      pausedMs: 0.5 * H,
    });
    expect(during!.dueAt).toBeUndefined();
    const [after] = run([target('RESOLUTION', 'PT2H')], timeline, '2026-11-23T12:30:00Z');
    expect(after).toMatchObject({
      state: 'ACTIVE',
      dueAt: t('2026-11-23T14:00:00Z'),
      pausedMs: 2 * H,
      elapsedMs: 0.5 * H,
    });
  });

  it('resolution stops on resolving and runs on after a reopen', () => {
    const timeline = [
      status('2026-11-23T11:00:00Z', 'solved', 'RESOLVED'),
      status('2026-11-24T10:00:00Z', 'open', 'OPEN'),
    ];
    const [resolved] = run([target('RESOLUTION', 'PT4H')], timeline.slice(0, 1), '2026-11-23T15:00:00Z');
    expect(resolved).toMatchObject({ state: 'ACHIEVED', elapsedMs: H });
    const [reopened] = run([target('RESOLUTION', 'PT4H')], timeline, '2026-11-24T10:00:00Z');
    expect(reopened).toMatchObject({
      state: 'ACTIVE',
      cycle: 2,
      elapsedMs: H,
      dueAt: t('2026-11-24T13:00:00Z'),
    });
  });

  it('next response: each requester reply after the first response starts a cycle the next agent reply ends', () => {
    const timeline: TimelineEntry[] = [
      { at: t('2026-11-23T10:10:00Z'), kind: 'REQUESTER_REPLY' }, // before the first response: first response covers it
      { at: t('2026-11-23T10:20:00Z'), kind: 'AGENT_REPLY' },
      { at: t('2026-11-23T11:00:00Z'), kind: 'REQUESTER_REPLY' },
    ];
    const [waiting] = run([target('NEXT_RESPONSE', 'PT30M')], timeline.slice(0, 2), '2026-11-23T10:30:00Z');
    expect(waiting.state).toBe('INACTIVE');
    const [running] = run([target('NEXT_RESPONSE', 'PT30M')], timeline, '2026-11-23T11:10:00Z');
    expect(running).toMatchObject({ state: 'ACTIVE', cycle: 1, dueAt: t('2026-11-23T11:30:00Z') });
  });

  it('periodic updates start again from each public agent reply', () => {
    const timeline: TimelineEntry[] = [{ at: t('2026-11-23T10:50:00Z'), kind: 'AGENT_REPLY' }];
    const [update] = run([target('PERIODIC_UPDATE', 'PT1H')], timeline, '2026-11-23T11:00:00Z');
    expect(update).toMatchObject({
      state: 'ACTIVE',
      cycle: 2,
      dueAt: t('2026-11-23T11:50:00Z'),
      breaches: 0,
    });
  });

  it('counts business time on a business clock, and the outside-hours alternative applies to tickets created after hours', () => {
    const business = target('FIRST_RESPONSE', 'PT1H', {
      clock: 'BUSINESS',
      outsideBusinessHours: { within: 'PT4H', clock: 'ALWAYS' },
    });
    const [inside] = run([business], [], '2026-11-23T10:00:00Z', SEED_003_CALENDAR);
    expect(inside).toMatchObject({
      outsideHoursAlternative: false,
      dueAt: t('2026-11-23T11:00:00Z'),
      nextWarningAt: t('2026-11-23T10:30:00Z'),
    });
    const input: SlaInput = {
      createdAt: t('2026-11-23T20:00:00Z'),
      initialStatus: { status: 'new', category: 'NEW' },
      timeline: [],
      policy: { conditions: {}, calendarKey: 'x', targets: [business] },
      calendar: createCalendar(SEED_003_CALENDAR),
      now: t('2026-11-23T20:00:00Z'),
    };
    expect(computeSla(input)[0]).toMatchObject({
      outsideHoursAlternative: true,
      clock: 'ALWAYS',
      dueAt: t('2026-11-24T00:00:00Z'),
    });
  });

  it('a business day is the calendar’s business day length', () => {
    const calendar = createCalendar(SEED_003_CALENDAR);
    expect(targetLengthMs('P3D', 'BUSINESS', calendar)).toBe(27 * H);
    expect(targetLengthMs('P1DT2H', 'BUSINESS', calendar)).toBe(11 * H);
    expect(targetLengthMs('P1D', 'ALWAYS', calendar)).toBe(24 * H);
    expect(targetLengthMs('PT24H', 'BUSINESS', calendar)).toBe(24 * H); // hours stay hours
    expect(targetLengthMs('P1W', 'BUSINESS', calendar)).toBe(7 * 9 * H);
  });

  it('a requester reply that reopens a resolved ticket starts a next-response cycle', () => {
    const timeline: TimelineEntry[] = [
      { at: t('2026-11-23T10:20:00Z'), kind: 'AGENT_REPLY' },
      status('2026-11-23T10:30:00Z', 'solved', 'RESOLVED'),
      // the reply and the reopen it causes share an instant; the reply is recorded first
      { at: t('2026-11-23T12:00:00Z'), kind: 'REQUESTER_REPLY' },
      status('2026-11-23T12:00:00Z', 'open', 'OPEN'),
    ];
    const [next] = run([target('NEXT_RESPONSE', 'PT30M')], timeline, '2026-11-23T12:10:00Z');
    expect(next).toMatchObject({ state: 'ACTIVE', cycle: 1, dueAt: t('2026-11-23T12:30:00Z') });
  });

  it('keeps the instant of every breach, also in cycles a later reply has ended', () => {
    const timeline: TimelineEntry[] = [{ at: t('2026-11-23T11:30:00Z'), kind: 'AGENT_REPLY' }];
    const [update] = run([target('PERIODIC_UPDATE', 'PT1H')], timeline, '2026-11-23T11:30:00Z');
    expect(update).toMatchObject({
      state: 'ACTIVE',
      cycle: 2,
      breaches: 1,
      breachTimes: [t('2026-11-23T11:00:00Z')],
    });
  });
});
