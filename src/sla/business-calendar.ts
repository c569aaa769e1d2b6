/**
 * The business-time calculator: a pure class built from a {@link BusinessCalendarDefinition}. All
 * instants are epoch milliseconds.
 *
 * Semantics
 * - A weekly interval belongs to its start day: on local date D with ISO weekday `day`, it runs from
 *   D at `start` to D at `end` (or to D + 1 at `end` when `end` <= `start`, a night shift; "24:00" is
 *   D + 1 at 00:00). Its business time is the real elapsed time between those two instants, so an
 *   interval spanning a DST change is one hour (or 30 min on Lord Howe) shorter or longer.
 * - Local wall times become instants the way Temporal's "compatible" disambiguation does: a time in a
 *   spring-forward gap is shifted forward by the length of the gap (02:30 → 03:30 in Paris), exactly as
 *   luxon's `DateTime.fromObject` does; a repeated time at a fall-back is the earlier instant (the
 *   pre-transition offset). We do not call `fromObject` for this: its choice for a repeated time
 *   depends on the offset in force when the code runs (summer or winter), which would make results
 *   depend on the current date. An interval whose end maps before its start is empty.
 * - Business time is the union of all intervals (intervals never overlap in local time: validation
 *   forbids it; their instants can only overlap inside a DST gap, where the union counts once).
 * - A holiday is a whole local date on which no interval STARTS: the previous day's night shift still
 *   runs into it, and its own night shift into the next day does not happen. Ranges include both
 *   ends; a yearly holiday (or range, which may wrap over the new year) repeats every year, before
 *   and after the year written in `date`; a yearly 29 February only exists in leap years.
 *
 * Performance: every local day's business intervals are computed once (luxon is used only there, for
 * the zone offsets) and kept as sorted, merged, disjoint epoch-ms pairs clipped to the day's own
 * instants `[local midnight, next local midnight)`, in a per-instance Map keyed by the day number
 * (local date as whole days since 1970-01-01), cleared when it exceeds 20,000 days. The hot loops only
 * do Map lookups and arithmetic; the day of an instant is found from a guessed offset (the last one
 * seen) and corrected with the cached midnights. {@link createCalendar} shares one warm instance per
 * definition.
 */
import { IANAZone } from 'luxon';
import type { BusinessCalendarDefinition, Holiday, WeeklyInterval } from './calendar-definition.js';

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
const DAY_MINUTES = 1440;
const WEEK_MINUTES = 7 * DAY_MINUTES;
/** Per-instance cache bound (days); the caches are cleared when they grow past it. */
const MAX_CACHED_DAYS = 20_000;
/** A search for business time gives up after this many consecutive days without any (~10 years). */
const MAX_EMPTY_DAYS = 3_700;
/** Bound of the {@link createCalendar} instance cache. */
const MAX_CACHED_CALENDARS = 500;

export interface CalendarProblem {
  field: string;
  message: string;
}

export interface BusinessInterval {
  start: number;
  end: number;
}

export interface HolidayOccurrence {
  /** Local date "YYYY-MM-DD". */
  date: string;
  name?: string;
}

export class CalendarValidationError extends Error {
  constructor(readonly problems: CalendarProblem[]) {
    super(`Invalid business calendar: ${problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`);
    this.name = 'CalendarValidationError';
  }
}

// ---------------------------------------------------------------------------------------------------
// Parsing and validation (pure)

const HHMM = /^(\d{2}):(\d{2})$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const WEEKDAY_NAMES = ['', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

/** "HH:mm" → minutes since midnight; "24:00" only when `allow24`; null when malformed. */
function parseTime(value: unknown, allow24: boolean): number | null {
  if (typeof value !== 'string') return null;
  const m = HHMM.exec(value);
  if (!m) return null;
  const h = Number(m[1]);
  const min = Number(m[2]);
  if (allow24 && h === 24 && min === 0) return DAY_MINUTES;
  if (h > 23 || min > 59) return null;
  return h * 60 + min;
}

/** Days since 1970-01-01 of a proleptic Gregorian date. */
function dayNumberOf(y: number, m: number, d: number): number {
  const date = new Date(0);
  date.setUTCFullYear(y, m - 1, d);
  return Math.round(date.getTime() / DAY_MS);
}

/** "YYYY-MM-DD" → day number, or null when malformed or not a real date. */
function parseDate(value: unknown): number | null {
  if (typeof value !== 'string') return null;
  const m = DATE.exec(value);
  if (!m) return null;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  if (mo < 1 || mo > 12 || d < 1 || d > 31) return null;
  const n = dayNumberOf(y, mo, d);
  const back = new Date(n * DAY_MS);
  if (back.getUTCMonth() + 1 !== mo || back.getUTCDate() !== d) return null;
  return n;
}

function monthDay(value: string): number {
  return Number(value.slice(5, 7)) * 100 + Number(value.slice(8, 10));
}

function isoDate(dayNumber: number): string {
  const d = new Date(dayNumber * DAY_MS);
  const y = d.getUTCFullYear();
  const ys = y >= 0 && y <= 9999 ? String(y).padStart(4, '0') : String(y);
  return `${ys}-${String(d.getUTCMonth() + 1).padStart(2, '0')}-${String(d.getUTCDate()).padStart(2, '0')}`;
}

/** ISO weekday (1 = Monday … 7 = Sunday) of a day number; 1970-01-01 was a Thursday. */
function weekdayOf(dayNumber: number): number {
  return ((((dayNumber + 3) % 7) + 7) % 7) + 1;
}

function describe(w: WeeklyInterval): string {
  return `${WEEKDAY_NAMES[w.day] ?? w.day} ${w.start}–${w.end}`;
}

/** Known valid zone names: luxon's check builds an Intl.DateTimeFormat (~50 µs) each time. */
const validZones = new Set<string>();

function isValidZone(name: string): boolean {
  if (validZones.has(name)) return true;
  if (!IANAZone.isValidZone(name)) return false;
  if (validZones.size < 1000) validZones.add(name);
  return true;
}

/**
 * Checks a definition; returns one problem per defect (empty when valid). The weekly intervals and
 * holidays are checked even on an always-open calendar (they are kept, only ignored).
 */
export function validateCalendar(def: BusinessCalendarDefinition): CalendarProblem[] {
  const problems: CalendarProblem[] = [];
  if (def === null || typeof def !== 'object') return [{ field: '', message: 'must be an object' }];

  if (typeof def.timeZone !== 'string' || !isValidZone(def.timeZone))
    problems.push({ field: 'timeZone', message: `unknown IANA time zone ${JSON.stringify(def.timeZone)}` });
  if (typeof def.alwaysOpen !== 'boolean')
    problems.push({ field: 'alwaysOpen', message: 'must be true or false' });

  if (!Array.isArray(def.weekly)) {
    problems.push({ field: 'weekly', message: 'must be a list of weekly intervals' });
  } else {
    // Week-minute segments [from, to) of the well-formed intervals, midnight-crossing ones expanded
    // (a Sunday night shift wraps to Monday morning).
    const segments: { from: number; to: number; index: number }[] = [];
    def.weekly.forEach((w, i) => {
      const field = `weekly[${i}]`;
      if (w === null || typeof w !== 'object') {
        problems.push({ field, message: 'must be an object { day, start, end }' });
        return;
      }
      const dayOk = Number.isInteger(w.day) && w.day >= 1 && w.day <= 7;
      if (!dayOk)
        problems.push({ field: `${field}.day`, message: 'must be a whole number from 1 (Monday) to 7' });
      const start = parseTime(w.start, false);
      if (start === null)
        problems.push({ field: `${field}.start`, message: `must be "HH:mm" from 00:00 to 23:59` });
      const end = parseTime(w.end, true);
      if (end === null)
        problems.push({ field: `${field}.end`, message: `must be "HH:mm" from 00:00 to 24:00` });
      if (!dayOk || start === null || end === null) return;
      const from = (w.day - 1) * DAY_MINUTES + start;
      const to = (w.day - 1) * DAY_MINUTES + (end <= start ? end + DAY_MINUTES : end);
      if (to <= WEEK_MINUTES) segments.push({ from, to, index: i });
      else {
        segments.push({ from, to: WEEK_MINUTES, index: i });
        segments.push({ from: 0, to: to - WEEK_MINUTES, index: i });
      }
    });
    const reported = new Set<string>();
    for (let a = 0; a < segments.length; a++) {
      for (let b = a + 1; b < segments.length; b++) {
        const x = segments[a];
        const y = segments[b];
        if (x.index === y.index || x.from >= y.to || y.from >= x.to) continue;
        const [i, j] = x.index < y.index ? [x.index, y.index] : [y.index, x.index];
        const key = `${i}/${j}`;
        if (reported.has(key)) continue;
        reported.add(key);
        problems.push({
          field: `weekly[${j}]`,
          message: `${describe(def.weekly[j])} overlaps weekly[${i}] (${describe(def.weekly[i])})`,
        });
      }
    }
    if (def.alwaysOpen !== true && def.weekly.length === 0)
      problems.push({
        field: 'weekly',
        message: 'a calendar that is not always open needs a weekly interval',
      });
  }

  if (!Array.isArray(def.holidays)) {
    problems.push({ field: 'holidays', message: 'must be a list of holidays' });
  } else {
    def.holidays.forEach((h, i) => {
      const field = `holidays[${i}]`;
      if (h === null || typeof h !== 'object') {
        problems.push({ field, message: 'must be an object { date, endDate?, yearly?, name? }' });
        return;
      }
      const from = parseDate(h.date);
      if (from === null)
        problems.push({ field: `${field}.date`, message: 'must be a real date "YYYY-MM-DD"' });
      let to: number | null = null;
      if (h.endDate !== undefined) {
        to = parseDate(h.endDate);
        if (to === null)
          problems.push({ field: `${field}.endDate`, message: 'must be a real date "YYYY-MM-DD"' });
        else if (from !== null && to < from)
          problems.push({ field: `${field}.endDate`, message: `is before the date ${h.date}` });
        else if (from !== null && h.yearly === true) {
          const y = Number(h.date.slice(0, 4));
          const sameDayNextYear = dayNumberOf(y + 1, Number(h.date.slice(5, 7)), Number(h.date.slice(8, 10)));
          if (to >= sameDayNextYear)
            problems.push({
              field: `${field}.endDate`,
              message: 'a yearly range must be shorter than a year',
            });
        }
      }
      if (h.yearly !== undefined && typeof h.yearly !== 'boolean')
        problems.push({ field: `${field}.yearly`, message: 'must be true or false' });
      if (h.name !== undefined && typeof h.name !== 'string')
        problems.push({ field: `${field}.name`, message: 'must be a string' });
    });
  }

  const hours = def.hoursPerBusinessDay;
  if (
    hours !== undefined &&
    !(typeof hours === 'number' && Number.isFinite(hours) && hours > 0 && hours <= 24)
  )
    problems.push({ field: 'hoursPerBusinessDay', message: 'must be a number of hours in (0, 24]' });
  return problems;
}

// ---------------------------------------------------------------------------------------------------
// The calculator

function checkRange(method: string, a: number, b: number): void {
  if (!Number.isFinite(a) || !Number.isFinite(b))
    throw new RangeError(`${method}(${a}, ${b}): expected two finite instants`);
}

interface DayRecord {
  /** Day number: the local date as whole days since 1970-01-01. */
  readonly d: number;
  /** The instant of the local midnight that starts the day, and of the next one. */
  readonly m0: number;
  readonly m1: number;
  /** Sorted, disjoint, merged business intervals within [m0, m1): start0, end0, start1, end1, … */
  readonly iv: number[];
  /** Business ms in the day. */
  readonly total: number;
}

interface FixedHoliday {
  from: number;
  to: number;
  name?: string;
}

interface YearlyHoliday {
  /** month * 100 + day; `from > to` wraps over the new year. */
  from: number;
  to: number;
  name?: string;
}

export class BusinessCalendar {
  readonly timeZone: string;
  readonly alwaysOpen: boolean;
  /** The length of one business day (hoursPerBusinessDay, or the calendar's ordinary daily hours), ms. */
  readonly businessDayMs: number;

  private readonly zone: IANAZone;
  /** Per ISO weekday (index 1..7): [startMinute, endMinute, …] with endMinute in (start, start + 1440]. */
  private readonly template: number[][];
  private readonly fixedHolidays: FixedHoliday[];
  private readonly yearlyHolidays: YearlyHoliday[];

  private readonly days = new Map<number, DayRecord>();
  /** Intervals starting on a day (holidays applied), before clipping. */
  private readonly rawDays = new Map<number, number[]>();
  /** Zone offset (ms) at the instant k × 24 h, by k. */
  private readonly offsets = new Map<number, number>();
  /** The offset of the day last looked up: the first guess for the next lookup. */
  private guessOffset = 0;

  constructor(def: BusinessCalendarDefinition) {
    const problems = validateCalendar(def);
    if (problems.length > 0) throw new CalendarValidationError(problems);
    this.timeZone = def.timeZone;
    this.alwaysOpen = def.alwaysOpen;
    this.zone = IANAZone.create(def.timeZone);

    this.template = [[], [], [], [], [], [], [], []];
    const sorted = [...def.weekly].sort(
      (a, b) => a.day - b.day || parseTime(a.start, false)! - parseTime(b.start, false)!,
    );
    for (const w of sorted) {
      const start = parseTime(w.start, false)!;
      const end = parseTime(w.end, true)!;
      this.template[w.day].push(start, end <= start ? end + DAY_MINUTES : end);
    }

    this.fixedHolidays = [];
    this.yearlyHolidays = [];
    for (const h of def.holidays as Holiday[]) {
      if (h.yearly === true) {
        this.yearlyHolidays.push({ from: monthDay(h.date), to: monthDay(h.endDate ?? h.date), name: h.name });
      } else {
        const from = parseDate(h.date)!;
        this.fixedHolidays.push({
          from,
          to: h.endDate === undefined ? from : parseDate(h.endDate)!,
          name: h.name,
        });
      }
    }

    this.businessDayMs =
      def.hoursPerBusinessDay !== undefined
        ? def.hoursPerBusinessDay * HOUR_MS
        : def.alwaysOpen
          ? DAY_MS
          : this.ordinaryDayMs();
  }

  /**
   * The instant at which `durationMs` of business time has elapsed, counting from `start` (from the
   * next business instant if `start` is outside business hours). A duration that exactly exhausts an
   * interval ends at that interval's end (Friday 09:00 + 9 h = Friday 18:00, not Monday 09:00).
   * `durationMs` 0 returns `start` itself when it is business time, otherwise the next business
   * instant (= {@link nextBusinessInstant}). Throws a RangeError for a negative or non-finite input,
   * or when no business time exists within about ten years.
   */
  addBusinessTime(start: number, durationMs: number): number {
    if (!Number.isFinite(start) || !Number.isFinite(durationMs) || durationMs < 0)
      throw new RangeError(
        `addBusinessTime(${start}, ${durationMs}): expected an instant and a duration >= 0`,
      );
    if (this.alwaysOpen) return start + durationMs;
    let r = this.dayAt(start);
    let t = start;
    let remaining = durationMs;
    let emptyDays = 0;
    for (;;) {
      if (t <= r.m0 && remaining > r.total) {
        remaining -= r.total; // the whole day is used up
      } else {
        const iv = r.iv;
        for (let i = 0; i < iv.length; i += 2) {
          const e = iv[i + 1];
          if (e <= t) continue;
          const s = iv[i];
          const from = s > t ? s : t;
          const available = e - from;
          if (remaining <= available) return from + remaining;
          remaining -= available;
        }
      }
      if (r.total === 0 && ++emptyDays > MAX_EMPTY_DAYS) throw this.noBusinessTime(start);
      else if (r.total !== 0) emptyDays = 0;
      r = this.day(r.d + 1);
      t = r.m0;
    }
  }

  /** Business ms in [a, b); 0 when b <= a. Throws a RangeError for a non-finite bound. */
  businessTimeBetween(a: number, b: number): number {
    checkRange('businessTimeBetween', a, b);
    if (!(b > a)) return 0;
    if (this.alwaysOpen) return b - a;
    let r = this.dayAt(a);
    let sum = 0;
    while (r.m0 < b) {
      if (a <= r.m0 && r.m1 <= b) sum += r.total;
      else {
        const iv = r.iv;
        for (let i = 0; i < iv.length; i += 2) {
          const s = iv[i] > a ? iv[i] : a;
          const e = iv[i + 1] < b ? iv[i + 1] : b;
          if (e > s) sum += e - s;
        }
      }
      r = this.day(r.d + 1);
    }
    return sum;
  }

  /** `t` itself when it is business time, otherwise the start of the next business interval. */
  nextBusinessInstant(t: number): number {
    return this.addBusinessTime(t, 0);
  }

  isBusinessTime(t: number): boolean {
    if (this.alwaysOpen) return true;
    if (!Number.isFinite(t)) return false;
    const iv = this.dayAt(t).iv;
    for (let i = 0; i < iv.length; i += 2) if (iv[i] <= t && t < iv[i + 1]) return true;
    return false;
  }

  /**
   * The business intervals clipped to [a, b), in order; intervals that touch (a night shift across
   * midnight, an always-open calendar) are merged into one.
   */
  intervalsBetween(a: number, b: number): BusinessInterval[] {
    checkRange('intervalsBetween', a, b);
    if (!(b > a)) return [];
    if (this.alwaysOpen) return [{ start: a, end: b }];
    const out: BusinessInterval[] = [];
    let r = this.dayAt(a);
    while (r.m0 < b) {
      const iv = r.iv;
      for (let i = 0; i < iv.length; i += 2) {
        const s = iv[i] > a ? iv[i] : a;
        const e = iv[i + 1] < b ? iv[i + 1] : b;
        if (e <= s) continue;
        const last = out[out.length - 1];
        if (last !== undefined && last.end === s) last.end = e;
        else out.push({ start: s, end: e });
      }
      r = this.day(r.d + 1);
    }
    return out;
  }

  /**
   * The holidays (local dates, in order) that took business time away within [a, b): those on which
   * at least one weekly interval would have started and overlapped [a, b). Empty on an always-open
   * calendar.
   */
  holidaysBetween(a: number, b: number): HolidayOccurrence[] {
    checkRange('holidaysBetween', a, b);
    if (!(b > a) || this.alwaysOpen) return [];
    const out: HolidayOccurrence[] = [];
    const last = this.dayAt(b).d;
    for (let d = this.dayAt(a).d - 1; d <= last; d++) {
      const holiday = this.holidayAt(d);
      if (holiday === undefined) continue;
      const iv = this.weeklyIntervals(d);
      for (let i = 0; i < iv.length; i += 2) {
        if (Math.min(iv[i + 1], b) > Math.max(iv[i], a)) {
          out.push(
            holiday.name === undefined ? { date: isoDate(d) } : { date: isoDate(d), name: holiday.name },
          );
          break;
        }
      }
    }
    return out;
  }

  // -------------------------------------------------------------------------------------------------

  private noBusinessTime(start: number): RangeError {
    return new RangeError(
      `no business time within ${MAX_EMPTY_DAYS} days after ${new Date(start).toISOString()}`,
    );
  }

  /** The most common daily total among the weekdays that have hours (ties: the larger). */
  private ordinaryDayMs(): number {
    const counts = new Map<number, number>();
    for (let day = 1; day <= 7; day++) {
      const tpl = this.template[day];
      let minutes = 0;
      for (let i = 0; i < tpl.length; i += 2) minutes += tpl[i + 1] - tpl[i];
      if (minutes > 0) counts.set(minutes, (counts.get(minutes) ?? 0) + 1);
    }
    let best = 0;
    let bestCount = 0;
    for (const [minutes, count] of counts)
      if (count > bestCount || (count === bestCount && minutes > best)) [best, bestCount] = [minutes, count];
    return best * MINUTE_MS;
  }

  /** The day record containing instant t (m0 <= t < m1). */
  private dayAt(t: number): DayRecord {
    let r = this.day(Math.floor((t + this.guessOffset) / DAY_MS));
    while (t < r.m0) r = this.day(r.d - 1);
    while (t >= r.m1) r = this.day(r.d + 1);
    this.guessOffset = r.d * DAY_MS - r.m0;
    return r;
  }

  private day(d: number): DayRecord {
    return this.days.get(d) ?? this.buildDay(d);
  }

  private buildDay(d: number): DayRecord {
    const m0 = this.toInstant(d * DAY_MS);
    const m1 = Math.max(m0, this.toInstant((d + 1) * DAY_MS));
    // Intervals that start on the previous day (night shifts) or, after a DST shift, on the next day
    // can reach into this day; clip them all to it, then sort and merge.
    const pairs: number[][] = [];
    for (let k = d - 1; k <= d + 1; k++) {
      const raw = this.rawDay(k);
      for (let i = 0; i < raw.length; i += 2) {
        const s = raw[i] > m0 ? raw[i] : m0;
        const e = raw[i + 1] < m1 ? raw[i + 1] : m1;
        if (e > s) pairs.push([s, e]);
      }
    }
    pairs.sort((x, y) => x[0] - y[0]);
    const iv: number[] = [];
    let total = 0;
    for (const [s, e] of pairs) {
      const n = iv.length;
      if (n > 0 && s <= iv[n - 1]) {
        if (e > iv[n - 1]) {
          total += e - iv[n - 1];
          iv[n - 1] = e;
        }
      } else {
        iv.push(s, e);
        total += e - s;
      }
    }
    const record: DayRecord = { d, m0, m1, iv, total };
    if (this.days.size >= MAX_CACHED_DAYS) this.days.clear();
    this.days.set(d, record);
    return record;
  }

  /** The intervals that start on local day d (none on a holiday), as instants. */
  private rawDay(d: number): number[] {
    let raw = this.rawDays.get(d);
    if (raw === undefined) {
      raw = this.holidayAt(d) === undefined ? this.weeklyIntervals(d) : [];
      if (this.rawDays.size >= MAX_CACHED_DAYS) this.rawDays.clear();
      this.rawDays.set(d, raw);
    }
    return raw;
  }

  /** The weekly intervals of day d's weekday placed on day d, as instants, holidays ignored. */
  private weeklyIntervals(d: number): number[] {
    const tpl = this.template[weekdayOf(d)];
    const out: number[] = [];
    const base = d * DAY_MS;
    for (let i = 0; i < tpl.length; i += 2) {
      const s = this.toInstant(base + tpl[i] * MINUTE_MS);
      const e = this.toInstant(base + tpl[i + 1] * MINUTE_MS);
      if (e > s) out.push(s, e);
    }
    return out;
  }

  private holidayAt(d: number): FixedHoliday | YearlyHoliday | undefined {
    for (const h of this.fixedHolidays) if (d >= h.from && d <= h.to) return h;
    if (this.yearlyHolidays.length === 0) return undefined;
    const date = new Date(d * DAY_MS);
    const md = (date.getUTCMonth() + 1) * 100 + date.getUTCDate();
    for (const h of this.yearlyHolidays)
      if (h.from <= h.to ? md >= h.from && md <= h.to : md >= h.from || md <= h.to) return h;
    return undefined;
  }

  /** The zone offset (local − UTC, ms) at the instant k × 24 h, cached. */
  private offsetAtDay(k: number): number {
    let o = this.offsets.get(k);
    if (o === undefined) {
      o = this.zone.offset(k * DAY_MS) * MINUTE_MS;
      if (this.offsets.size >= MAX_CACHED_DAYS) this.offsets.clear();
      this.offsets.set(k, o);
    }
    return o;
  }

  /**
   * Local wall time (ms since 1970-01-01T00:00 local) → instant. When the offset is the same from
   * 24 h before to 48 h after the local day (no transition can touch it), plain subtraction;
   * otherwise {@link toInstantNearTransition}.
   */
  private toInstant(local: number): number {
    const d = Math.floor(local / DAY_MS);
    const o = this.offsetAtDay(d - 1);
    if (o === this.offsetAtDay(d + 2)) return local - o;
    return this.toInstantNearTransition(local);
  }

  /**
   * Temporal's "compatible" disambiguation: of the offsets in force a day before and a day after,
   * those that reproduce the wall time are candidates; the earliest candidate wins (a repeated time
   * takes the first occurrence); with none (a gap) the earlier offset shifts the time forward, as
   * luxon does.
   */
  private toInstantNearTransition(local: number): number {
    const before = this.zone.offset(local - DAY_MS) * MINUTE_MS;
    const after = this.zone.offset(local + DAY_MS) * MINUTE_MS;
    let best = Number.NaN;
    for (const o of [before, after]) {
      const t = local - o;
      if (this.zone.offset(t) * MINUTE_MS === o && !(t >= best)) best = t;
    }
    return Number.isNaN(best) ? local - Math.min(before, after) : best;
  }
}

/** Canonical JSON of a definition (field order independent), the {@link createCalendar} cache key. */
function canonicalKey(def: BusinessCalendarDefinition): string {
  const list = <T>(x: T[] | unknown, f: (v: T) => unknown) => (Array.isArray(x) ? x.map(f) : x);
  return JSON.stringify([
    def.timeZone,
    def.alwaysOpen,
    list<WeeklyInterval>(def.weekly, (w) => [w?.day, w?.start, w?.end]),
    list<Holiday>(def.holidays, (h) => [h?.date, h?.endDate, h?.yearly, h?.name]),
    def.hoursPerBusinessDay,
  ]);
}

const instances = new Map<string, BusinessCalendar>();

/**
 * A shared instance per definition (by content), so many tickets share one warm day cache. Throws a
 * {@link CalendarValidationError} for an invalid definition.
 */
export function createCalendar(def: BusinessCalendarDefinition): BusinessCalendar {
  const key = canonicalKey(def);
  let calendar = instances.get(key);
  if (calendar === undefined) {
    calendar = new BusinessCalendar(def);
    if (instances.size >= MAX_CACHED_CALENDARS) instances.delete(instances.keys().next().value!);
    instances.set(key, calendar);
  }
  return calendar;
}
