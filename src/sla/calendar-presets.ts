/**
 * Ready-made business calendars. Seed 003 states SLA targets by severity but no business hours or
 * time zone; its demo data speaks UTC ("All API calls fail since 09:12 UTC."), so its calendar is
 * 09:00–18:00 Monday–Friday in UTC, without holidays (our choice).
 */
import type { BusinessCalendarDefinition } from './calendar-definition.js';

export const SEED_003_CALENDAR: BusinessCalendarDefinition = {
  timeZone: 'UTC',
  alwaysOpen: false,
  weekly: [1, 2, 3, 4, 5].map((day) => ({ day, start: '09:00', end: '18:00' })),
  holidays: [],
};

/** 24/7: every instant is business time. */
export const ALWAYS_OPEN: BusinessCalendarDefinition = {
  timeZone: 'UTC',
  alwaysOpen: true,
  weekly: [],
  holidays: [],
};
