/**
 * A business calendar is data: the time zone, the weekly opening intervals and the holidays (or
 * always open, 24/7). The pure calculator in ./business-calendar.ts does the time arithmetic.
 */
export interface WeeklyInterval {
  /** ISO weekday: 1 = Monday … 7 = Sunday. */
  day: number;
  /** Local wall-clock time "HH:mm". */
  start: string;
  /**
   * "HH:mm"; "24:00" is the end of the day. An end at or before the start crosses midnight: the
   * interval belongs to `day` and ends on the next day (a night shift).
   */
  end: string;
}

export interface Holiday {
  /** Local date "YYYY-MM-DD": no business time starts on this day. */
  date: string;
  /** For a range: the last day, inclusive. */
  endDate?: string;
  /** Repeats every year on the same month and day (or range of days). */
  yearly?: boolean;
  name?: string;
}

export interface BusinessCalendarDefinition {
  /** IANA time zone, e.g. "Europe/Paris". */
  timeZone: string;
  /** 24/7: every instant is business time; `weekly` and `holidays` are ignored. */
  alwaysOpen: boolean;
  weekly: WeeklyInterval[];
  holidays: Holiday[];
  /**
   * The length of one business day, in hours, for targets stated in business days (seed 000).
   * Defaults to the calendar's ordinary daily hours: the most common daily total among the days that
   * have hours (the larger one on a tie; 9 for 09:00–18:00 Monday to Friday); 24 when always open.
   */
  hoursPerBusinessDay?: number;
}
