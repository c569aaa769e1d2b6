/**
 * Property tests: the fast BusinessCalendar against the minute-stepping ReferenceCalendar, on random
 * calendars (office hours, split shifts, night shifts, arbitrary weekly patterns, intervals around the
 * DST hours, 24/7), random holidays (single, ranges, yearly), zones with 60- and 30-minute DST changes
 * or none, and random whole-minute starts over 2026–2027 (a third of them within days of a DST
 * change). Run counts keep the file under ~20 s: the reference is slow for long spans.
 */
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { IANAZone } from 'luxon';
import { BusinessCalendar, validateCalendar } from './business-calendar.js';
import type { BusinessCalendarDefinition, Holiday, WeeklyInterval } from './calendar-definition.js';
import { ReferenceCalendar } from './reference-calendar.js';

const MIN = 60_000;
const DAY = 86_400_000;
const ZONES = ['Europe/Paris', 'America/New_York', 'Asia/Kolkata', 'Australia/Lord_Howe', 'UTC'];
const FROM = Date.UTC(2026, 0, 1);
const TO = Date.UTC(2028, 0, 1);

/** Instants (within a few hours) where each zone's offset changes in 2026–2027. */
const TRANSITIONS: Record<string, number[]> = Object.fromEntries(
  ZONES.map((name) => {
    const zone = IANAZone.create(name);
    const found: number[] = [];
    for (let t = FROM, prev = zone.offset(FROM); t < TO; t += 3 * 3_600_000) {
      const o = zone.offset(t);
      if (o !== prev) found.push(Math.floor(t / MIN) * MIN);
      prev = o;
    }
    return [name, found];
  }),
);

const hhmm = (minutes: number) =>
  `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;

/** Week-minute intervals [from, to) (to may pass the week's end: a Sunday night shift) → definition. */
function toWeekly(segments: [number, number][]): WeeklyInterval[] {
  const out: WeeklyInterval[] = [];
  for (const [from, to] of segments) {
    const day = Math.floor(from / 1440);
    const start = from - day * 1440;
    const endAbs = to - day * 1440; // in (start, start + 1440]
    out.push({
      day: (day % 7) + 1,
      start: hhmm(start),
      end: endAbs === 1440 && from % 2 === 0 ? '24:00' : hhmm(endAbs % 1440),
    });
  }
  return out;
}

const daySubset = fc.subarray([1, 2, 3, 4, 5, 6, 7], { minLength: 3 });

const officeHours = fc
  .record({
    days: daySubset,
    start: fc.integer({ min: 0, max: 14 * 60 }),
    length: fc.integer({ min: 240, max: 600 }),
  })
  .map(({ days, start, length }) =>
    days.map((day) => ({
      day,
      start: hhmm(start),
      end: start + length === 1440 ? '24:00' : hhmm(start + length),
    })),
  );

const splitShift = fc
  .record({
    days: daySubset,
    cuts: fc.uniqueArray(fc.integer({ min: 5 * 60, max: 23 * 60 }), { minLength: 4, maxLength: 4 }),
  })
  .map(({ days, cuts }) => {
    const [a, b, c, d] = [...cuts].sort((x, y) => x - y);
    return days.flatMap((day) => [
      { day, start: hhmm(a), end: hhmm(b) },
      { day, start: hhmm(c), end: hhmm(d) },
    ]);
  });

const nightShift = fc
  .record({
    days: daySubset,
    start: fc.integer({ min: 18 * 60, max: 1439 }),
    end: fc.integer({ min: 0, max: 9 * 60 }),
  })
  .map(({ days, start, end }) => days.map((day) => ({ day, start: hhmm(start), end: hhmm(end) })));

/** Any non-overlapping weekly pattern: gaps and lengths laid around the week from a random origin. */
const arbitraryWeek = fc
  .record({
    origin: fc.integer({ min: 0, max: 10079 }),
    parts: fc.array(fc.tuple(fc.integer({ min: 1, max: 2000 }), fc.integer({ min: 30, max: 1440 })), {
      minLength: 2,
      maxLength: 8,
    }),
  })
  .map(({ origin, parts }) => {
    const segments: [number, number][] = [];
    let at = origin;
    for (const [gap, length] of parts) {
      if (at + gap + length > origin + 10080 - 1) break;
      at += gap;
      const from = at % 10080;
      segments.push([from, from + length]);
      at += length;
    }
    if (segments.length === 0) segments.push([origin % 10080, (origin % 10080) + 60]);
    return toWeekly(segments);
  });

/** Intervals with ends in 00:00–04:00, where the DST changes of these zones happen. */
const aroundDstHours = fc
  .record({
    days: daySubset,
    cuts: fc.uniqueArray(fc.integer({ min: 0, max: 4 * 60 }), { minLength: 2, maxLength: 4 }),
  })
  .map(({ days, cuts }) => {
    const sorted = [...cuts].sort((x, y) => x - y);
    const weekly: WeeklyInterval[] = [];
    for (const day of days)
      for (let i = 0; i + 1 < sorted.length; i += 2)
        weekly.push({ day, start: hhmm(sorted[i]), end: hhmm(sorted[i + 1]) });
    return weekly;
  });

const allWeek = fc.constantFrom(
  [1, 2, 3, 4, 5, 6, 7].map((day) => ({ day, start: '00:00', end: '24:00' })),
  [1, 2, 3, 4, 5, 6, 7].map((day) => ({ day, start: '08:00', end: '08:00' })),
);

const isoDay = (dayNumber: number) => new Date(dayNumber * DAY).toISOString().slice(0, 10);
const dayIn2026To2027 = fc.integer({ min: FROM / DAY - 10, max: TO / DAY + 10 });

const holiday: fc.Arbitrary<Holiday> = fc.oneof(
  dayIn2026To2027.map((d) => ({ date: isoDay(d), name: `H${d}` })),
  fc
    .tuple(dayIn2026To2027, fc.integer({ min: 1, max: 10 }))
    .map(([d, n]) => ({ date: isoDay(d), endDate: isoDay(d + n) })),
  fc.tuple(dayIn2026To2027, fc.integer({ min: 0, max: 3 })).map(([d, n]) => ({
    date: isoDay(d),
    endDate: isoDay(d + n),
    yearly: true,
  })),
);

const definition: fc.Arbitrary<BusinessCalendarDefinition> = fc.record({
  timeZone: fc.constantFrom(...ZONES),
  weekly: fc.oneof(officeHours, splitShift, nightShift, arbitraryWeek, aroundDstHours, allWeek),
  holidays: fc.array(holiday, { maxLength: 4 }),
  alwaysOpen: fc.integer({ min: 0, max: 19 }).map((n) => n === 0),
});

/** A whole-minute instant in 2026–2027: uniform, or within days of one of the zone's DST changes. */
const startFor = (zone: string) =>
  fc.oneof(
    { weight: 2, arbitrary: fc.integer({ min: FROM / MIN, max: TO / MIN - 1 }).map((m) => m * MIN) },
    {
      weight: TRANSITIONS[zone].length > 0 ? 1 : 0,
      arbitrary: fc
        .tuple(fc.nat(), fc.integer({ min: -4 * 1440, max: 1440 }))
        .map(
          ([i, m]) =>
            (TRANSITIONS[zone].length > 0 ? TRANSITIONS[zone][i % TRANSITIONS[zone].length] : FROM) + m * MIN,
        ),
    },
  );

interface Case {
  def: BusinessCalendarDefinition;
  start: number;
  minutes: number;
}

const caseWith = (minutes: fc.Arbitrary<number>): fc.Arbitrary<Case> =>
  definition.chain((def) => fc.record({ def: fc.constant(def), start: startFor(def.timeZone), minutes }));

/** Business minutes per ordinary week of a definition (24 × 7 × 60 when always open). */
function weeklyMinutes(def: BusinessCalendarDefinition): number {
  if (def.alwaysOpen) return 10080;
  return def.weekly.reduce((sum, w) => {
    const [sh, sm] = w.start.split(':').map(Number);
    const [eh, em] = w.end.split(':').map(Number);
    const s = sh * 60 + sm;
    const e = eh * 60 + em;
    return sum + (e <= s ? e + 1440 - s : e - s);
  }, 0);
}

const calendars = new Map<string, [BusinessCalendar, ReferenceCalendar]>();
function pair(def: BusinessCalendarDefinition): [BusinessCalendar, ReferenceCalendar] {
  const key = JSON.stringify(def);
  let p = calendars.get(key);
  if (p === undefined) {
    expect(validateCalendar(def)).toEqual([]);
    p = [new BusinessCalendar(def), new ReferenceCalendar(def)];
    if (calendars.size > 200) calendars.clear();
    calendars.set(key, p);
  }
  return p;
}

const iso = (t: number) => new Date(t).toISOString();
/** FC_SEED=<seed> replays a failure (fast-check prints the seed). */
const params = (numRuns: number) => ({
  numRuns,
  ...(process.env.FC_SEED ? { seed: Number(process.env.FC_SEED) } : {}),
});

describe('BusinessCalendar vs the minute-stepping reference', () => {
  it('every generated calendar is valid', () => {
    fc.assert(
      fc.property(definition, (def) => {
        expect(validateCalendar(def)).toEqual([]);
      }),
      params(2000),
    );
  });

  it('businessTimeBetween over spans up to 3 days', () => {
    fc.assert(
      fc.property(caseWith(fc.integer({ min: 0, max: 3 * 1440 })), ({ def, start, minutes }) => {
        const [fast, reference] = pair(def);
        const end = start + minutes * MIN;
        expect(fast.businessTimeBetween(start, end)).toBe(reference.businessTimeBetween(start, end));
        const intervals = fast.intervalsBetween(start, end);
        expect(intervals.reduce((sum, i) => sum + i.end - i.start, 0)).toBe(
          fast.businessTimeBetween(start, end),
        );
      }),
      params(2000),
    );
  });

  it('isBusinessTime and nextBusinessInstant', () => {
    fc.assert(
      fc.property(caseWith(fc.constant(0)), ({ def, start }) => {
        const [fast, reference] = pair(def);
        expect(fast.isBusinessTime(start)).toBe(reference.isBusinessMinute(start));
        expect(iso(fast.nextBusinessInstant(start))).toBe(iso(reference.addBusinessTime(start, 0)));
      }),
      params(2000),
    );
  });

  it('addBusinessTime for durations from 1 minute to 1 day', () => {
    fc.assert(
      fc.property(caseWith(fc.integer({ min: 1, max: 1440 })), ({ def, start, minutes }) => {
        fc.pre(minutes <= 4 * weeklyMinutes(def));
        const [fast, reference] = pair(def);
        const end = fast.addBusinessTime(start, minutes * MIN);
        expect(iso(end)).toBe(iso(reference.addBusinessTime(start, minutes * MIN)));
        expect(fast.businessTimeBetween(start, end)).toBe(minutes * MIN);
      }),
      params(1000),
    );
  });

  it('addBusinessTime for durations from 1 day to 2 weeks', () => {
    fc.assert(
      fc.property(caseWith(fc.integer({ min: 1440, max: 14 * 1440 })), ({ def, start, minutes }) => {
        fc.pre(minutes <= 4 * weeklyMinutes(def));
        const [fast, reference] = pair(def);
        expect(iso(fast.addBusinessTime(start, minutes * MIN))).toBe(
          iso(reference.addBusinessTime(start, minutes * MIN)),
        );
      }),
      params(60),
    );
  });

  it('addBusinessTime and businessTimeBetween agree (no reference: many runs, any duration)', () => {
    fc.assert(
      fc.property(caseWith(fc.integer({ min: 0, max: 28 * 1440 })), ({ def, start, minutes }) => {
        fc.pre(minutes <= 8 * weeklyMinutes(def));
        const [fast] = pair(def);
        const end = fast.addBusinessTime(start, minutes * MIN);
        expect(fast.businessTimeBetween(start, end)).toBe(minutes * MIN);
        expect(fast.isBusinessTime(end - MIN) || minutes === 0).toBe(true);
        if (minutes > 0) expect(fast.businessTimeBetween(start, end - MIN)).toBeLessThan(minutes * MIN);
      }),
      params(3000),
    );
  });
});
