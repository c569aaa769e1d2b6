import { durationMs } from '../shared/duration.js';
import type { StatusCategory } from '../workflow/definition.js';
import type {
  SlaClockKind,
  SlaCondition,
  SlaPolicyDefinition,
  SlaTarget,
  SlaTargetKind,
} from './policy-definition.js';

/**
 * The SLA clock: a pure function of a ticket's history, its policy version and its calendar, at an
 * instant `now`. Every change to a ticket recomputes it in the same transaction; the results are stored
 * with absolute timestamps (due at, next warning at) so the database can be asked what is due.
 *
 * How each target runs (DOMAIN.md):
 * - RESOLUTION runs from creation; entering a resolved or closed status stops it (achieved); a reopen
 *   lets it run on from the time already used.
 * - FIRST_RESPONSE runs from creation until the first public agent reply, or entering one of the
 *   policy's stop statuses (seed 000: In progress), or resolution.
 * - NEXT_RESPONSE: each requester reply after the first response starts a cycle that the next public
 *   agent reply ends.
 * - PERIODIC_UPDATE (seed 003): from creation, and again from each public agent reply, an update is due
 *   within the target, until resolution.
 * A target with start and stop conditions (`startWhen`, `stopWhen`; issue 16, seed 000's two clocks)
 * runs instead in the cycles those conditions open and end (see conditionCycles); each cycle gets the
 * full target, except RESOLUTION, whose cycles add up.
 * While the ticket is in a status category the target lists in `pausedIn`, its clock does not run.
 * Times are epoch milliseconds.
 */
export interface SlaCalendar {
  businessDayMs: number;
  isBusinessTime(t: number): boolean;
  addBusinessTime(start: number, durationMs: number): number;
  businessTimeBetween(a: number, b: number): number;
  intervalsBetween(a: number, b: number): { start: number; end: number }[];
  holidaysBetween(a: number, b: number): { date: string; name?: string }[];
}

export type TimelineEntry =
  | { at: number; kind: 'STATUS'; status: string; category: StatusCategory }
  | { at: number; kind: 'AGENT_REPLY' }
  | { at: number; kind: 'REQUESTER_REPLY' };

export interface SlaInput {
  createdAt: number;
  /** Status at creation, then every change, reply and response in order (entries after `now` are ignored). */
  initialStatus: { status: string; category: StatusCategory };
  timeline: TimelineEntry[];
  policy: SlaPolicyDefinition;
  calendar: SlaCalendar;
  now: number;
}

/** INACTIVE: nothing is due (a NEXT_RESPONSE before any requester reply). */
export type TargetStateName = 'ACTIVE' | 'PAUSED' | 'ACHIEVED' | 'BREACHED' | 'INACTIVE';

export interface Segment {
  start: number;
  end: number;
  status: string;
  category: StatusCategory;
  /** Whether this stretch counted towards the target (false: paused by its status category). */
  counted: boolean;
  /** The target's clock time in the stretch (business time on a BUSINESS clock). */
  measuredMs: number;
}

export interface TargetResult {
  kind: SlaTargetKind;
  /** The policy target's name, if it has one. */
  name?: string;
  clock: SlaClockKind;
  targetMs: number;
  /** True when the outside-business-hours alternative applies (the ticket came in outside hours). */
  outsideHoursAlternative: boolean;
  state: TargetStateName;
  /** Cycles started so far (NEXT_RESPONSE, PERIODIC_UPDATE); 1 for the others once started; 0: not started. */
  cycle: number;
  startedAt?: number;
  /** When the running target breaches (null while paused, achieved, or not started). Past when breached. */
  dueAt?: number;
  elapsedMs: number;
  remainingMs: number;
  pausedMs: number;
  achievedAt?: number;
  breachedAt?: number;
  /** The next warning threshold's instant, if the clock runs and one is ahead. */
  nextWarningAt?: number;
  /** The warning thresholds (percent) already passed in the current cycle. */
  warningsPassed: number[];
  /** Breaches over all cycles, when each happened, and the cycle (1-based) each happened in. */
  breaches: number;
  breachTimes: number[];
  breachCycles: number[];
  /** The current (or last) cycle's stretches, for explain. */
  segments: Segment[];
  /** Every cycle so far, oldest first. */
  cycles: CycleResult[];
}

const FINAL: StatusCategory[] = ['RESOLVED', 'CLOSED'];

/**
 * The target's length in ms of its clock. On a BUSINESS clock the days of the duration are business
 * days (the calendar's business day length; a week, W, is 7 of them) and its hours, minutes and seconds
 * are business hours, minutes and seconds: P3D = 27 business hours on a 9-hour day, PT24H = 24.
 */
export function targetLengthMs(within: string, clock: SlaClockKind, calendar: SlaCalendar): number {
  const ms = durationMs(within);
  if (clock === 'ALWAYS') return ms;
  const m = /^P(?:(\d+)W)?(?:(\d+)D)?/.exec(within);
  const days = Number(m?.[1] ?? 0) * 7 + Number(m?.[2] ?? 0);
  return days * calendar.businessDayMs + (ms - days * 86_400_000);
}

interface Cycle {
  start: number;
  end?: number;
}

/** One cycle of a target, for explain (issue 16: a target may run several cycles in a ticket's life). */
export interface CycleResult {
  /** 1-based. */
  number: number;
  start: number;
  /** When it ended (met, or completed late); undefined while it runs. */
  end?: number;
  /** Clock time counted in this cycle (for RESOLUTION, this cycle's share of the accumulated time). */
  elapsedMs: number;
  /** The breach instant, if this cycle breached. */
  breachedAt?: number;
}

export function computeSla(input: SlaInput): TargetResult[] {
  const outside = !input.calendar.isBusinessTime(input.createdAt);
  return input.policy.targets.map((t) => computeTarget(input, t, outside));
}

function computeTarget(input: SlaInput, target: SlaTarget, createdOutsideHours: boolean): TargetResult {
  const { calendar, now } = input;
  const alt = createdOutsideHours && target.outsideBusinessHours ? target.outsideBusinessHours : undefined;
  const clock = alt?.clock ?? target.clock;
  const targetMs = targetLengthMs(alt?.within ?? target.within, clock, calendar);
  const measure = (a: number, b: number) =>
    b <= a ? 0 : clock === 'ALWAYS' ? b - a : calendar.businessTimeBetween(a, b);
  const advance = (a: number, ms: number) => (clock === 'ALWAYS' ? a + ms : calendar.addBusinessTime(a, ms));

  // The status in force over time, and the cycles during which the target is armed.
  // At one instant a status change comes before the replies made with it: a requester's reply that
  // reopens a resolved ticket then starts a next-response cycle on the reopened ticket.
  const entries = input.timeline
    .filter((e) => e.at <= now)
    .sort((a, b) => a.at - b.at || (a.kind === 'STATUS' ? 0 : 1) - (b.kind === 'STATUS' ? 0 : 1));
  const statusAt: { at: number; status: string; category: StatusCategory }[] = [
    { at: input.createdAt, ...input.initialStatus },
  ];
  for (const e of entries)
    if (e.kind === 'STATUS') statusAt.push({ at: e.at, status: e.status, category: e.category });

  const cycles =
    target.startWhen && target.stopWhen
      ? conditionCycles(input, entries, target.startWhen, target.stopWhen)
      : kindCycles(input, target, entries);
  const category: StatusCategory = statusAt.at(-1)!.category;

  // RESOLUTION accumulates over all its cycles (a reopen runs on); the others count per cycle.
  // Done at or before the due instant is achieved; still open at the due instant is breached.
  const accumulate = target.kind === 'RESOLUTION';
  let elapsed = 0;
  let paused = 0;
  let breaches = 0;
  const breachTimes: number[] = [];
  const breachCycles: number[] = [];
  const cycleResults: CycleResult[] = [];
  let breachedAt: number | undefined;
  let segments: Segment[] = [];
  for (let ci = 0; ci < cycles.length; ci++) {
    const c = cycles[ci]!;
    if (!accumulate) {
      elapsed = 0;
      paused = 0;
      segments = [];
      breachedAt = undefined;
    }
    const elapsedBefore = elapsed;
    const breachesBefore = breaches;
    const end = c.end ?? now;
    for (let i = 0; i < statusAt.length; i++) {
      const s = statusAt[i]!;
      const a = Math.max(s.at, c.start);
      const b = Math.min(statusAt[i + 1]?.at ?? Infinity, end);
      if (b <= a) continue;
      const counted = !target.pausedIn.includes(s.category) && !FINAL.includes(s.category);
      const ms = measure(a, b);
      segments.push({ start: a, end: b, status: s.status, category: s.category, counted, measuredMs: ms });
      if (!counted) {
        paused += ms;
        continue;
      }
      const stillOpenAtEnd = b === now && c.end === undefined;
      if (
        breachedAt === undefined &&
        (elapsed + ms > targetMs || (stillOpenAtEnd && elapsed + ms === targetMs))
      ) {
        breachedAt = advance(a, targetMs - elapsed);
        breaches++;
        breachTimes.push(breachedAt);
        breachCycles.push(ci + 1);
      }
      elapsed += ms;
    }
    cycleResults.push({
      number: ci + 1,
      start: c.start,
      end: c.end,
      elapsedMs: elapsed - elapsedBefore,
      breachedAt: breaches > breachesBefore ? breachTimes.at(-1) : undefined,
    });
  }

  const current = cycles.at(-1);
  const running = current !== undefined && current.end === undefined;
  const pausedNow = running && (target.pausedIn.includes(category) || FINAL.includes(category));
  const remaining = targetMs - elapsed;
  const state: TargetStateName = !current
    ? 'INACTIVE'
    : breachedAt !== undefined
      ? 'BREACHED'
      : !running
        ? 'ACHIEVED'
        : pausedNow
          ? 'PAUSED'
          : 'ACTIVE';

  const warningsPassed = target.warnAtPercent.filter((p) => elapsed >= (targetMs * p) / 100);
  const nextPct = [...target.warnAtPercent].sort((x, y) => x - y).find((p) => (targetMs * p) / 100 > elapsed);
  const result: TargetResult = {
    kind: target.kind,
    name: target.name,
    clock,
    targetMs,
    outsideHoursAlternative: alt !== undefined,
    state,
    cycle: cycles.length,
    startedAt: current?.start,
    elapsedMs: elapsed,
    remainingMs: remaining,
    pausedMs: paused,
    achievedAt: running ? undefined : current?.end,
    breachedAt,
    warningsPassed,
    breaches,
    breachTimes,
    breachCycles,
    segments,
    cycles: cycleResults,
  };
  if (running && !pausedNow) {
    result.dueAt = remaining > 0 ? advance(now, remaining) : breachedAt;
    if (nextPct !== undefined) result.nextWarningAt = advance(now, (targetMs * nextPct) / 100 - elapsed);
  } else if (running && breachedAt !== undefined) {
    result.dueAt = breachedAt;
  }
  return result;
}

/**
 * The cycles of a target without start and stop conditions: as its kind has always run (the defaults;
 * see the table in docs/SLA.md). Entries are in time order, status changes first at one instant.
 */
function kindCycles(input: SlaInput, target: SlaTarget, entries: TimelineEntry[]): Cycle[] {
  const cycles: Cycle[] = [];
  const open = (at: number) => cycles.push({ start: at });
  const close = (at: number) => {
    const c = cycles.at(-1);
    if (c && c.end === undefined) c.end = at;
  };
  const armed = () => cycles.length > 0 && cycles.at(-1)!.end === undefined;
  let responded = false;
  let category: StatusCategory = input.initialStatus.category;
  switch (target.kind) {
    case 'RESOLUTION':
    case 'FIRST_RESPONSE':
    case 'PERIODIC_UPDATE':
      if (!FINAL.includes(category)) open(input.createdAt);
      break;
    case 'NEXT_RESPONSE':
      break;
  }
  let firstResponseDone = false;
  for (const e of entries) {
    if (e.kind === 'STATUS') {
      const wasFinal = FINAL.includes(category);
      category = e.category;
      const isFinal = FINAL.includes(category);
      if (isFinal && !wasFinal) close(e.at);
      if (target.kind === 'FIRST_RESPONSE' && !firstResponseDone && target.stopStatuses?.includes(e.status)) {
        firstResponseDone = true;
        close(e.at);
      }
      if (!isFinal && wasFinal) {
        // A reopen: resolution runs on; a periodic update is due again from now.
        if (target.kind === 'RESOLUTION') open(e.at);
        if (target.kind === 'PERIODIC_UPDATE') open(e.at);
      }
    } else if (e.kind === 'AGENT_REPLY') {
      if (target.kind === 'FIRST_RESPONSE' && !firstResponseDone) {
        firstResponseDone = true;
        close(e.at);
      }
      if (target.kind === 'NEXT_RESPONSE' && armed()) close(e.at);
      if (target.kind === 'PERIODIC_UPDATE' && armed()) {
        close(e.at);
        if (!FINAL.includes(category)) open(e.at);
      }
      responded = true;
    } else if (e.kind === 'REQUESTER_REPLY') {
      if (target.kind === 'NEXT_RESPONSE' && responded && !armed() && !FINAL.includes(category)) open(e.at);
    }
  }

  return cycles;
}

/** Whether an event matches a condition (see SlaCondition). */
type ConditionEvent =
  | { on: 'CREATED' | 'AGENT_REPLY' | 'REQUESTER_REPLY' }
  | {
      on: 'STATUS';
      from?: { status: string; category: StatusCategory };
      to: { status: string; category: StatusCategory };
    };

function conditionMatches(c: SlaCondition, e: ConditionEvent): boolean {
  if (e.on !== 'STATUS') return c.on === e.on;
  const { from, to } = e;
  switch (c.on) {
    case 'STATUS_ENTERED':
      return (
        !!c.statuses?.includes(to.status) &&
        from?.status !== to.status &&
        (!c.fromStatuses?.length || (from !== undefined && c.fromStatuses.includes(from.status)))
      );
    case 'STATUS_LEFT':
      return from !== undefined && from.status !== to.status && !!c.statuses?.includes(from.status);
    case 'CATEGORY_ENTERED':
      return (
        !!c.categories?.includes(to.category) &&
        from?.category !== to.category &&
        (!c.fromStatuses?.length || (from !== undefined && c.fromStatuses.includes(from.status)))
      );
    case 'CATEGORY_LEFT':
      return from !== undefined && from.category !== to.category && !!c.categories?.includes(from.category);
    default:
      return false;
  }
}

/**
 * The cycles of a target with start and stop conditions (issue 16): each start condition opens a
 * cycle when none runs and the ticket is not resolved or closed; each stop condition ends the running
 * one; entering a resolved or closed status always ends it. At one event, stop conditions are applied
 * before start conditions (an agent reply may end one cycle and start the next).
 */
function conditionCycles(
  input: SlaInput,
  entries: TimelineEntry[],
  startWhen: SlaCondition[],
  stopWhen: SlaCondition[],
): Cycle[] {
  const cycles: Cycle[] = [];
  const running = () => cycles.length > 0 && cycles.at(-1)!.end === undefined;
  let current = input.initialStatus;
  const step = (at: number, e: ConditionEvent) => {
    const isFinal = FINAL.includes(current.category);
    if (running() && (isFinal || stopWhen.some((c) => conditionMatches(c, e)))) cycles.at(-1)!.end = at;
    if (!running() && !isFinal && startWhen.some((c) => conditionMatches(c, e))) cycles.push({ start: at });
  };
  step(input.createdAt, { on: 'CREATED' });
  for (const e of entries) {
    if (e.kind === 'STATUS') {
      const from = current;
      current = { status: e.status, category: e.category };
      step(e.at, { on: 'STATUS', from, to: current });
    } else {
      step(e.at, { on: e.kind === 'AGENT_REPLY' ? 'AGENT_REPLY' : 'REQUESTER_REPLY' });
    }
  }
  return cycles;
}
