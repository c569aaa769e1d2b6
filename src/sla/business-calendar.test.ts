import { describe, expect, it } from '@jest/globals';
import { DateTime } from 'luxon';
import {
  BusinessCalendar,
  CalendarValidationError,
  createCalendar,
  validateCalendar,
} from './business-calendar.js';
import type { BusinessCalendarDefinition, Holiday, WeeklyInterval } from './calendar-definition.js';
import { ALWAYS_OPEN, SEED_003_CALENDAR } from './calendar-presets.js';
import { ReferenceCalendar } from './reference-calendar.js';

const MIN = 60_000;
const H = 3_600_000;
const PARIS = 'Europe/Paris';
const NEW_YORK = 'America/New_York';

/** A local wall time "YYYY-MM-DDTHH:mm" in `zone` (or an ISO string with an explicit offset). */
const at = (iso: string, zone = PARIS) => {
  const dt = DateTime.fromISO(iso, { zone });
  if (!dt.isValid) throw new Error(`bad test date ${iso}`);
  return dt.toMillis();
};
/** An instant as a local ISO string with offset, for readable failures. */
const local = (t: number, zone = PARIS) =>
  DateTime.fromMillis(t, { zone }).toISO({ suppressMilliseconds: true });

const days = (list: number[], start: string, end: string): WeeklyInterval[] =>
  list.map((day) => ({ day, start, end }));
const MON_FRI = [1, 2, 3, 4, 5];
const EVERY_DAY = [1, 2, 3, 4, 5, 6, 7];

function calendar(
  weekly: WeeklyInterval[],
  holidays: Holiday[] = [],
  timeZone = PARIS,
  extra: Partial<BusinessCalendarDefinition> = {},
): BusinessCalendar {
  return new BusinessCalendar({ timeZone, alwaysOpen: false, weekly, holidays, ...extra });
}

const office = (holidays: Holiday[] = [], zone = PARIS) =>
  calendar(days(MON_FRI, '09:00', '18:00'), holidays, zone);

describe('BusinessCalendar: Europe/Paris Mon–Fri 09:00–18:00', () => {
  const cal = office([{ date: '2026-05-01', name: 'Fête du Travail' }]);

  it('Friday 17:00 + 2 business days (18 h) is Tuesday 17:00', () => {
    expect(local(cal.addBusinessTime(at('2026-03-06T17:00'), 18 * H))).toBe('2026-03-10T17:00:00+01:00');
  });

  it('skips a holiday: Thursday 30 April 17:00 + 18 h is Tuesday 5 May 17:00', () => {
    expect(local(cal.addBusinessTime(at('2026-04-30T17:00'), 18 * H))).toBe('2026-05-05T17:00:00+02:00');
  });

  it('a duration that exactly fills the day ends at 18:00, not at the next opening', () => {
    expect(local(cal.addBusinessTime(at('2026-03-06T09:00'), 9 * H))).toBe('2026-03-06T18:00:00+01:00');
    expect(local(cal.addBusinessTime(at('2026-03-06T09:00'), 9 * H + MIN))).toBe('2026-03-09T09:01:00+01:00');
  });

  it('a Saturday start counts from Monday 09:00', () => {
    expect(local(cal.addBusinessTime(at('2026-03-07T10:00'), 1 * H))).toBe('2026-03-09T10:00:00+01:00');
    expect(local(cal.addBusinessTime(at('2026-03-07T10:00'), 30 * MIN))).toBe('2026-03-09T09:30:00+01:00');
  });

  it('duration 0 returns the start inside business time, else the next business instant', () => {
    expect(cal.addBusinessTime(at('2026-03-09T10:17'), 0)).toBe(at('2026-03-09T10:17'));
    expect(local(cal.addBusinessTime(at('2026-03-07T10:00'), 0))).toBe('2026-03-09T09:00:00+01:00');
    expect(local(cal.addBusinessTime(at('2026-03-09T18:00'), 0))).toBe('2026-03-10T09:00:00+01:00');
    expect(local(cal.nextBusinessInstant(at('2026-03-09T08:59')))).toBe('2026-03-09T09:00:00+01:00');
    expect(cal.nextBusinessInstant(at('2026-03-09T09:00'))).toBe(at('2026-03-09T09:00'));
  });

  it('isBusinessTime: [09:00, 18:00) on working days only', () => {
    expect(cal.isBusinessTime(at('2026-03-09T09:00'))).toBe(true);
    expect(cal.isBusinessTime(at('2026-03-09T17:59'))).toBe(true);
    expect(cal.isBusinessTime(at('2026-03-09T18:00'))).toBe(false);
    expect(cal.isBusinessTime(at('2026-03-09T08:59'))).toBe(false);
    expect(cal.isBusinessTime(at('2026-03-07T12:00'))).toBe(false);
    expect(cal.isBusinessTime(at('2026-05-01T12:00'))).toBe(false);
  });

  it('counts durations of weeks (3 × 45 h from Monday 09:00 ends Friday 18:00 two weeks later)', () => {
    const cal2 = office();
    expect(local(cal2.addBusinessTime(at('2026-06-01T09:00'), 135 * H))).toBe('2026-06-19T18:00:00+02:00');
    expect(local(cal2.addBusinessTime(at('2026-06-01T09:00'), 300 * H))).toBe(
      local(new ReferenceCalendar(cal2Def()).addBusinessTime(at('2026-06-01T09:00'), 300 * H)),
    );
    function cal2Def(): BusinessCalendarDefinition {
      return { timeZone: PARIS, alwaysOpen: false, weekly: days(MON_FRI, '09:00', '18:00'), holidays: [] };
    }
  });

  it('businessTimeBetween counts [a, b)', () => {
    expect(cal.businessTimeBetween(at('2026-03-06T17:00'), at('2026-03-10T17:00'))).toBe(18 * H);
    expect(cal.businessTimeBetween(at('2026-03-07T00:00'), at('2026-03-09T00:00'))).toBe(0);
    expect(cal.businessTimeBetween(at('2026-03-09T10:00'), at('2026-03-09T10:30'))).toBe(30 * MIN);
    expect(cal.businessTimeBetween(at('2026-04-30T00:00'), at('2026-05-04T12:00'))).toBe(12 * H);
    expect(cal.businessTimeBetween(at('2026-03-10T17:00'), at('2026-03-06T17:00'))).toBe(0);
    expect(cal.businessTimeBetween(at('2026-03-10T17:00'), at('2026-03-10T17:00'))).toBe(0);
  });

  it('intervalsBetween lists the business intervals clipped to [a, b)', () => {
    const list = cal.intervalsBetween(at('2026-03-06T17:00'), at('2026-03-09T12:00'));
    expect(list.map((i) => [local(i.start), local(i.end)])).toEqual([
      ['2026-03-06T17:00:00+01:00', '2026-03-06T18:00:00+01:00'],
      ['2026-03-09T09:00:00+01:00', '2026-03-09T12:00:00+01:00'],
    ]);
    expect(cal.intervalsBetween(at('2026-03-07T00:00'), at('2026-03-08T00:00'))).toEqual([]);
  });

  it('holidaysBetween lists the holidays that took business time away', () => {
    expect(cal.holidaysBetween(at('2026-04-30T12:00'), at('2026-05-04T12:00'))).toEqual([
      { date: '2026-05-01', name: 'Fête du Travail' },
    ]);
    // Before the holiday's 09:00 opening: it took nothing away yet.
    expect(cal.holidaysBetween(at('2026-04-30T12:00'), at('2026-05-01T08:00'))).toEqual([]);
    expect(cal.holidaysBetween(at('2026-05-01T17:59'), at('2026-05-01T18:00'))).toEqual([
      { date: '2026-05-01', name: 'Fête du Travail' },
    ]);
    // A holiday on a weekend day has no business time to take.
    expect(
      office([{ date: '2026-05-02' }]).holidaysBetween(at('2026-05-01T00:00'), at('2026-05-04T00:00')),
    ).toEqual([]);
  });

  it('businessDayMs defaults to the ordinary working day', () => {
    expect(cal.businessDayMs).toBe(9 * H);
  });
});

describe('BusinessCalendar: shapes', () => {
  it('lunch break 09:00–12:00 and 13:00–18:00', () => {
    const cal = calendar([...days(MON_FRI, '09:00', '12:00'), ...days(MON_FRI, '13:00', '18:00')]);
    expect(local(cal.addBusinessTime(at('2026-03-09T11:00'), 2 * H))).toBe('2026-03-09T14:00:00+01:00');
    expect(local(cal.addBusinessTime(at('2026-03-09T12:30'), 0))).toBe('2026-03-09T13:00:00+01:00');
    expect(cal.isBusinessTime(at('2026-03-09T12:30'))).toBe(false);
    expect(cal.businessTimeBetween(at('2026-03-09T00:00'), at('2026-03-10T00:00'))).toBe(8 * H);
    expect(cal.businessDayMs).toBe(8 * H);
    expect(local(cal.addBusinessTime(at('2026-03-13T17:00'), 4 * H))).toBe('2026-03-16T12:00:00+01:00');
    expect(local(cal.addBusinessTime(at('2026-03-13T17:00'), 4 * H + MIN))).toBe('2026-03-16T13:01:00+01:00');
  });

  it('night shift 22:00–06:00 Monday–Friday belongs to its start day', () => {
    const cal = calendar(days(MON_FRI, '22:00', '06:00'));
    // Friday's shift runs until Saturday 06:00 (7 h left), then Monday 22:00.
    expect(local(cal.addBusinessTime(at('2026-03-06T23:00'), 8 * H))).toBe('2026-03-09T23:00:00+01:00');
    expect(cal.isBusinessTime(at('2026-03-07T05:59'))).toBe(true);
    expect(cal.isBusinessTime(at('2026-03-07T06:00'))).toBe(false);
    expect(cal.isBusinessTime(at('2026-03-07T22:00'))).toBe(false);
    expect(cal.isBusinessTime(at('2026-03-09T05:00'))).toBe(false); // no Sunday shift
    expect(cal.isBusinessTime(at('2026-03-10T05:00'))).toBe(true); // Monday's shift
    expect(cal.businessDayMs).toBe(8 * H);
    // One merged interval across midnight.
    expect(
      cal
        .intervalsBetween(at('2026-03-09T20:00'), at('2026-03-10T12:00'))
        .map((i) => [local(i.start), local(i.end)]),
    ).toEqual([['2026-03-09T22:00:00+01:00', '2026-03-10T06:00:00+01:00']]);
  });

  it('a holiday removes the shift that starts on it, not the one that runs into it', () => {
    const cal = calendar(days(MON_FRI, '22:00', '06:00'), [{ date: '2026-05-01', name: 'May Day' }]);
    expect(cal.isBusinessTime(at('2026-05-01T05:00'))).toBe(true); // Thursday's shift
    expect(cal.isBusinessTime(at('2026-05-01T23:00'))).toBe(false); // Friday's shift is cancelled
    expect(cal.isBusinessTime(at('2026-05-02T05:00'))).toBe(false);
    expect(cal.holidaysBetween(at('2026-05-01T00:00'), at('2026-05-02T12:00'))).toEqual([
      { date: '2026-05-01', name: 'May Day' },
    ]);
    // Holiday on Saturday: Friday's shift still runs into it.
    const sat = calendar(days(MON_FRI, '22:00', '06:00'), [{ date: '2026-05-02' }]);
    expect(sat.isBusinessTime(at('2026-05-02T05:00'))).toBe(true);
    expect(sat.holidaysBetween(at('2026-05-01T00:00'), at('2026-05-03T00:00'))).toEqual([]);
  });

  it('a holiday range (Christmas to New Year) is skipped', () => {
    const cal = office([{ date: '2026-12-24', endDate: '2027-01-01', name: 'Winter break' }]);
    expect(local(cal.addBusinessTime(at('2026-12-23T17:00'), 2 * H))).toBe('2027-01-04T10:00:00+01:00');
    expect(cal.businessTimeBetween(at('2026-12-21T00:00'), at('2027-01-05T00:00'))).toBe(4 * 9 * H);
    expect(cal.holidaysBetween(at('2026-12-23T00:00'), at('2027-01-05T00:00')).map((h) => h.date)).toEqual([
      '2026-12-24',
      '2026-12-25',
      '2026-12-28',
      '2026-12-29',
      '2026-12-30',
      '2026-12-31',
      '2027-01-01',
    ]);
  });

  it('a yearly holiday repeats every year, and a yearly range may wrap over the new year', () => {
    const cal = office([
      { date: '2020-07-14', yearly: true, name: 'Fête nationale' },
      { date: '2020-12-31', endDate: '2021-01-01', yearly: true, name: 'New Year' },
    ]);
    // 2026-07-14 is a Tuesday, 2027-07-14 a Wednesday.
    expect(local(cal.addBusinessTime(at('2026-07-13T17:00'), 2 * H))).toBe('2026-07-15T10:00:00+02:00');
    expect(local(cal.addBusinessTime(at('2027-07-13T17:00'), 2 * H))).toBe('2027-07-15T10:00:00+02:00');
    // 2026-12-31 Thursday and 2027-01-01 Friday are off.
    expect(local(cal.addBusinessTime(at('2026-12-30T17:00'), 2 * H))).toBe('2027-01-04T10:00:00+01:00');
    expect(cal.holidaysBetween(at('2026-07-01T00:00'), at('2027-01-10T00:00'))).toEqual([
      { date: '2026-07-14', name: 'Fête nationale' },
      { date: '2026-12-31', name: 'New Year' },
      { date: '2027-01-01', name: 'New Year' },
    ]);
  });

  it('an always-open calendar is plain arithmetic', () => {
    const cal = createCalendar(ALWAYS_OPEN);
    expect(cal.addBusinessTime(1_000, 5_000)).toBe(6_000);
    expect(cal.businessTimeBetween(1_000, 5_000)).toBe(4_000);
    expect(cal.businessTimeBetween(5_000, 1_000)).toBe(0);
    expect(cal.isBusinessTime(123)).toBe(true);
    expect(cal.nextBusinessInstant(123)).toBe(123);
    expect(cal.intervalsBetween(1_000, 5_000)).toEqual([{ start: 1_000, end: 5_000 }]);
    expect(cal.holidaysBetween(1_000, 5_000)).toEqual([]);
    expect(cal.businessDayMs).toBe(24 * H);
  });

  it('seed 003 calendar: 09:00–18:00 UTC Monday–Friday', () => {
    const cal = createCalendar(SEED_003_CALENDAR);
    expect(cal.addBusinessTime(Date.parse('2026-03-06T17:00Z'), 18 * H)).toBe(
      Date.parse('2026-03-10T17:00Z'),
    );
    expect(cal.businessDayMs).toBe(9 * H);
  });

  it('hoursPerBusinessDay overrides the ordinary day', () => {
    expect(office().businessDayMs).toBe(9 * H);
    const cal = calendar(days(MON_FRI, '09:00', '18:00'), [], PARIS, { hoursPerBusinessDay: 7.5 });
    expect(cal.businessDayMs).toBe(7.5 * H);
    // Most common total wins: Mon–Thu 8 h, Friday 6 h.
    const mixed = calendar([
      ...days([1, 2, 3, 4], '09:00', '17:00'),
      { day: 5, start: '09:00', end: '15:00' },
    ]);
    expect(mixed.businessDayMs).toBe(8 * H);
  });

  it('createCalendar shares one instance per definition content', () => {
    const a = createCalendar({
      timeZone: PARIS,
      alwaysOpen: false,
      weekly: days(MON_FRI, '09:00', '18:00'),
      holidays: [],
    });
    const b = createCalendar({
      holidays: [],
      weekly: days(MON_FRI, '09:00', '18:00'),
      alwaysOpen: false,
      timeZone: PARIS,
    });
    const c = createCalendar({
      timeZone: NEW_YORK,
      alwaysOpen: false,
      weekly: days(MON_FRI, '09:00', '18:00'),
      holidays: [],
    });
    expect(b).toBe(a);
    expect(c).not.toBe(a);
  });

  it('rejects negative durations and non-finite instants', () => {
    expect(() => office().addBusinessTime(0, -1)).toThrow(RangeError);
    expect(() => office().addBusinessTime(Number.NaN, 1)).toThrow(RangeError);
    expect(() => office().businessTimeBetween(0, Number.POSITIVE_INFINITY)).toThrow(RangeError);
  });

  it('gives up (RangeError) when there is no business time for about ten years', () => {
    const closed = office([{ date: '2026-01-01', endDate: '2045-12-31', name: 'Closed' }]);
    expect(() => closed.addBusinessTime(at('2026-03-09T10:00'), H)).toThrow(RangeError);
    expect(closed.businessTimeBetween(at('2026-01-01T00:00'), at('2027-01-01T00:00'))).toBe(0);
  });
});

describe('BusinessCalendar: DST', () => {
  const sundayNight = (zone: string) => calendar([{ day: 7, start: '00:00', end: '06:00' }], [], zone);

  it('Europe/Paris spring forward: the 24/7 day has 23 h, Sunday 00:00–06:00 lasts 5 h', () => {
    for (const cal of [
      createCalendar({ ...ALWAYS_OPEN, timeZone: PARIS }),
      calendar(days(EVERY_DAY, '00:00', '24:00')),
      calendar(days(EVERY_DAY, '00:00', '00:00')),
    ]) {
      expect(local(cal.addBusinessTime(at('2026-03-28T12:00'), 24 * H))).toBe('2026-03-29T13:00:00+02:00');
      expect(cal.businessTimeBetween(at('2026-03-29T00:00'), at('2026-03-30T00:00'))).toBe(23 * H);
    }
    const cal = sundayNight(PARIS);
    expect(cal.businessTimeBetween(at('2026-03-29T00:00'), at('2026-03-29T12:00'))).toBe(5 * H);
    expect(local(cal.addBusinessTime(at('2026-03-28T12:00'), 5 * H))).toBe('2026-03-29T06:00:00+02:00');
    expect(local(cal.addBusinessTime(at('2026-03-28T12:00'), 5 * H + 30 * MIN))).toBe(
      '2026-04-05T00:30:00+02:00',
    );
    expect(cal.isBusinessTime(at('2026-03-29T03:30'))).toBe(true);
    // The ordinary Sunday before has 6 h.
    expect(cal.businessTimeBetween(at('2026-03-22T00:00'), at('2026-03-23T00:00'))).toBe(6 * H);
  });

  it('Europe/Paris fall back: the 24/7 day has 25 h, Sunday 00:00–06:00 lasts 7 h', () => {
    for (const cal of [
      createCalendar({ ...ALWAYS_OPEN, timeZone: PARIS }),
      calendar(days(EVERY_DAY, '00:00', '24:00')),
    ]) {
      expect(local(cal.addBusinessTime(at('2026-10-24T12:00'), 24 * H))).toBe('2026-10-25T11:00:00+01:00');
      expect(cal.businessTimeBetween(at('2026-10-25T00:00'), at('2026-10-26T00:00'))).toBe(25 * H);
    }
    const cal = sundayNight(PARIS);
    expect(cal.businessTimeBetween(at('2026-10-25T00:00'), at('2026-10-25T12:00'))).toBe(7 * H);
    expect(local(cal.addBusinessTime(at('2026-10-25T00:00'), 6 * H))).toBe('2026-10-25T05:00:00+01:00');
    // Both occurrences of 02:30 are business time.
    expect(cal.isBusinessTime(at('2026-10-25T02:30+02:00'))).toBe(true);
    expect(cal.isBusinessTime(at('2026-10-25T02:30+01:00'))).toBe(true);
  });

  it('Mon–Fri 09:00–18:00 across the DST weekend keeps local opening hours', () => {
    const cal = office();
    const end = cal.addBusinessTime(at('2026-03-27T17:00'), 2 * H);
    expect(local(end)).toBe('2026-03-30T10:00:00+02:00');
    expect(new Date(end).toISOString()).toBe('2026-03-30T08:00:00.000Z');
    expect(local(cal.addBusinessTime(at('2026-10-23T17:00'), 2 * H))).toBe('2026-10-26T10:00:00+01:00');
    expect(cal.businessTimeBetween(at('2026-03-23T00:00'), at('2026-04-06T00:00'))).toBe(90 * H);
  });

  it('wall times in the gap shift forward (luxon); repeated wall times take the first occurrence', () => {
    const cal = calendar([{ day: 7, start: '02:30', end: '04:00' }]);
    // Spring forward: 02:30 does not exist, it is 03:30 CEST: 30 min.
    expect(
      cal.intervalsBetween(at('2026-03-29T00:00'), at('2026-03-30T00:00')).map((i) => local(i.start)),
    ).toEqual(['2026-03-29T03:30:00+02:00']);
    expect(cal.businessTimeBetween(at('2026-03-29T00:00'), at('2026-03-30T00:00'))).toBe(30 * MIN);
    // Fall back: 02:30 is the first (CEST) occurrence, 04:00 is CET: 2.5 h.
    expect(cal.nextBusinessInstant(at('2026-10-25T00:00'))).toBe(at('2026-10-25T02:30+02:00'));
    expect(cal.businessTimeBetween(at('2026-10-25T00:00'), at('2026-10-26T00:00'))).toBe(2.5 * H);
  });

  it('America/New_York: 24/7 and Sunday 00:00–06:00 across both changes', () => {
    const open = calendar(days(EVERY_DAY, '00:00', '24:00'), [], NEW_YORK);
    const alwaysOpen = createCalendar({ ...ALWAYS_OPEN, timeZone: NEW_YORK });
    for (const cal of [open, alwaysOpen]) {
      expect(local(cal.addBusinessTime(at('2026-03-07T12:00', NEW_YORK), 24 * H), NEW_YORK)).toBe(
        '2026-03-08T13:00:00-04:00',
      );
      expect(local(cal.addBusinessTime(at('2026-10-31T12:00', NEW_YORK), 24 * H), NEW_YORK)).toBe(
        '2026-11-01T11:00:00-05:00',
      );
    }
    const cal = sundayNight(NEW_YORK);
    expect(cal.businessTimeBetween(at('2026-03-08T00:00', NEW_YORK), at('2026-03-09T00:00', NEW_YORK))).toBe(
      5 * H,
    );
    expect(cal.businessTimeBetween(at('2026-11-01T00:00', NEW_YORK), at('2026-11-02T00:00', NEW_YORK))).toBe(
      7 * H,
    );
    expect(local(cal.addBusinessTime(at('2026-03-08T00:00', NEW_YORK), 5 * H), NEW_YORK)).toBe(
      '2026-03-08T06:00:00-04:00',
    );
    expect(local(cal.addBusinessTime(at('2026-11-01T00:00', NEW_YORK), 6 * H), NEW_YORK)).toBe(
      '2026-11-01T05:00:00-05:00',
    );
  });

  it('a night shift spanning the change is shorter or longer', () => {
    const cal = calendar([{ day: 6, start: '22:00', end: '06:00' }]);
    expect(cal.businessTimeBetween(at('2026-03-28T12:00'), at('2026-03-29T12:00'))).toBe(7 * H);
    expect(cal.businessTimeBetween(at('2026-10-24T12:00'), at('2026-10-25T12:00'))).toBe(9 * H);
    expect(local(cal.addBusinessTime(at('2026-03-28T22:00'), 7 * H))).toBe('2026-03-29T06:00:00+02:00');
  });

  it('Australia/Lord_Howe: a 30-minute change', () => {
    const zone = 'Australia/Lord_Howe';
    const cal = calendar(days(EVERY_DAY, '00:00', '06:00'), [], zone);
    expect(cal.businessTimeBetween(at('2026-10-04T00:00', zone), at('2026-10-05T00:00', zone))).toBe(5.5 * H);
    expect(cal.businessTimeBetween(at('2026-04-05T00:00', zone), at('2026-04-06T00:00', zone))).toBe(6.5 * H);
  });
});

describe('validateCalendar', () => {
  const valid: BusinessCalendarDefinition = {
    timeZone: PARIS,
    alwaysOpen: false,
    weekly: [...days(MON_FRI, '09:00', '18:00'), { day: 7, start: '22:00', end: '06:00' }],
    holidays: [{ date: '2026-05-01' }, { date: '2026-12-24', endDate: '2026-12-26', yearly: true }],
    hoursPerBusinessDay: 8,
  };

  it('accepts a valid definition and the presets', () => {
    expect(validateCalendar(valid)).toEqual([]);
    expect(validateCalendar(SEED_003_CALENDAR)).toEqual([]);
    expect(validateCalendar(ALWAYS_OPEN)).toEqual([]);
    expect(validateCalendar({ ...valid, weekly: days(EVERY_DAY, '00:00', '24:00') })).toEqual([]);
    expect(validateCalendar({ ...valid, weekly: days(EVERY_DAY, '08:00', '08:00') })).toEqual([]);
  });

  it('reports each problem with its field', () => {
    const problems = validateCalendar({
      timeZone: 'Mars/Olympus_Mons',
      alwaysOpen: false,
      weekly: [
        { day: 0, start: '09:00', end: '18:00' },
        { day: 1, start: '9:00', end: '18:00' },
        { day: 2, start: '09:00', end: '25:00' },
        { day: 3, start: '09:00', end: '18:00' },
        { day: 3, start: '17:00', end: '19:00' },
        { day: 7, start: '22:00', end: '06:00' },
        { day: 1, start: '05:00', end: '07:00' },
        { day: 4, start: '24:00', end: '10:00' },
      ],
      holidays: [
        { date: '2026-02-30' },
        { date: '2026-05-10', endDate: '2026-05-01' },
        { date: '2026-01-01', endDate: '2027-01-01', yearly: true },
      ],
      hoursPerBusinessDay: 25,
    });
    expect(problems.map((p) => p.field)).toEqual([
      'timeZone',
      'weekly[0].day',
      'weekly[1].start',
      'weekly[2].end',
      'weekly[7].start',
      'weekly[4]',
      'weekly[6]',
      'holidays[0].date',
      'holidays[1].endDate',
      'holidays[2].endDate',
      'hoursPerBusinessDay',
    ]);
    expect(problems.find((p) => p.field === 'weekly[6]')?.message).toMatch(/overlaps weekly\[5\]/);
  });

  it('needs a weekly interval unless always open, and an hoursPerBusinessDay in (0, 24]', () => {
    expect(validateCalendar({ ...valid, weekly: [] })).toEqual([
      { field: 'weekly', message: expect.any(String) },
    ]);
    expect(validateCalendar({ ...valid, alwaysOpen: true, weekly: [] })).toEqual([]);
    expect(validateCalendar({ ...valid, hoursPerBusinessDay: 0 }).map((p) => p.field)).toEqual([
      'hoursPerBusinessDay',
    ]);
    expect(validateCalendar({ ...valid, hoursPerBusinessDay: 24 })).toEqual([]);
    expect(
      validateCalendar({ ...valid, weekly: [...valid.weekly, { day: 1, start: '09:00', end: '18:00' }] }),
    ).toEqual([{ field: 'weekly[6]', message: expect.stringMatching(/overlaps weekly\[0\]/) }]);
  });

  it('the constructor throws a CalendarValidationError', () => {
    expect(() => new BusinessCalendar({ ...valid, timeZone: 'Nowhere/Land' })).toThrow(
      CalendarValidationError,
    );
    expect(() => createCalendar({ ...valid, weekly: [] })).toThrow(/weekly/);
  });
});
