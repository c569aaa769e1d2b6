/**
 * A deliberately simple, slow reference for BusinessCalendar: it steps minute by minute and, for each
 * minute, asks luxon for the local date of that instant (once per quarter hour) and tests whether the
 * minute's start lies inside one of the business intervals that start on that local date, the day
 * before (night shifts) or the day after (the union of intervals). Those intervals are built
 * independently of the fast calculator: with `DateTime.fromObject` for the wall times (a time in a
 * spring-forward gap is shifted forward, luxon's default; of the possible offsets of a repeated time,
 * the earliest instant) and string comparisons for the holidays. Minute granularity only: inputs must
 * be whole minutes. For tests and the bench.
 */
import { DateTime } from 'luxon';
import type { BusinessCalendarDefinition } from './calendar-definition.js';

const MINUTE_MS = 60_000;
const QUARTER_HOUR_MS = 900_000;
const DAY_MS = 86_400_000;

export class ReferenceCalendar {
  /** Business intervals [start, end) (instants) starting on a local date, by day number. */
  private readonly byDate = new Map<number, [number, number][]>();
  private lastBlock = Number.NaN;
  private lastDay = 0;

  constructor(private readonly def: BusinessCalendarDefinition) {}

  /** Same contract as BusinessCalendar.addBusinessTime, for whole-minute `start` and `durationMs`. */
  addBusinessTime(start: number, durationMs: number): number {
    this.checkMinutes(start, durationMs);
    if (durationMs < 0) throw new RangeError('ReferenceCalendar: negative duration');
    if (this.def.alwaysOpen) return start + durationMs;
    let t = start;
    if (durationMs === 0) {
      while (!this.isBusinessMinute(t)) t += MINUTE_MS;
      return t;
    }
    let minutes = durationMs / MINUTE_MS;
    for (;;) {
      if (this.isBusinessMinute(t) && --minutes === 0) return t + MINUTE_MS;
      t += MINUTE_MS;
    }
  }

  /** Business ms in [a, b), whole minutes. */
  businessTimeBetween(a: number, b: number): number {
    this.checkMinutes(a, b);
    if (b <= a) return 0;
    if (this.def.alwaysOpen) return b - a;
    let sum = 0;
    for (let t = a; t < b; t += MINUTE_MS) if (this.isBusinessMinute(t)) sum += MINUTE_MS;
    return sum;
  }

  isBusinessMinute(t: number): boolean {
    if (this.def.alwaysOpen) return true;
    const day = this.localDay(t);
    for (let d = day - 1; d <= day + 1; d++) {
      for (const [s, e] of this.intervalsStartingOn(d)) if (s <= t && t < e) return true;
    }
    return false;
  }

  /**
   * The local date of instant t (days since 1970-01-01), from luxon, looked up once per UTC quarter
   * hour: UTC offsets and their changes are whole quarter hours, so a local date never changes inside
   * one (this only makes the reference ~15× faster).
   */
  private localDay(t: number): number {
    const block = Math.floor(t / QUARTER_HOUR_MS);
    if (block !== this.lastBlock) {
      const local = DateTime.fromMillis(t, { zone: this.def.timeZone });
      this.lastBlock = block;
      this.lastDay = Date.UTC(local.year, local.month - 1, local.day) / DAY_MS;
    }
    return this.lastDay;
  }

  /** `dayNumber`: a local date as days since 1970-01-01. */
  private intervalsStartingOn(dayNumber: number): [number, number][] {
    let intervals = this.byDate.get(dayNumber);
    if (intervals !== undefined) return intervals;
    intervals = [];
    const date = DateTime.fromMillis(dayNumber * DAY_MS, { zone: 'UTC' });
    if (!this.isHoliday(date.toISODate()!)) {
      const next = date.plus({ days: 1 });
      for (const w of this.def.weekly) {
        if (w.day !== date.weekday) continue;
        const [sh, sm] = w.start.split(':').map(Number);
        const [eh, em] = w.end.split(':').map(Number);
        const crosses = eh * 60 + em <= sh * 60 + sm || eh === 24;
        const endDate = crosses ? next : date;
        const s = this.instant(date, sh, sm);
        const e = this.instant(endDate, eh === 24 ? 0 : eh, em);
        if (e > s) intervals.push([s, e]);
      }
    }
    this.byDate.set(dayNumber, intervals);
    return intervals;
  }

  /** A local wall time on a date → instant: luxon's shift forward in a gap, the earliest if repeated. */
  private instant(date: DateTime, hour: number, minute: number): number {
    const dt = DateTime.fromObject(
      { year: date.year, month: date.month, day: date.day, hour, minute },
      { zone: this.def.timeZone },
    );
    return Math.min(dt.toMillis(), ...dt.getPossibleOffsets().map((p) => p.toMillis()));
  }

  private isHoliday(iso: string): boolean {
    const md = iso.slice(5);
    return this.def.holidays.some((h) => {
      const end = h.endDate ?? h.date;
      if (!h.yearly) return iso >= h.date && iso <= end;
      const from = h.date.slice(5);
      const to = end.slice(5);
      return from <= to ? md >= from && md <= to : md >= from || md <= to;
    });
  }

  private checkMinutes(...values: number[]): void {
    for (const v of values)
      if (!Number.isInteger(v / MINUTE_MS))
        throw new RangeError(`ReferenceCalendar: ${v} is not whole minutes`);
  }
}
