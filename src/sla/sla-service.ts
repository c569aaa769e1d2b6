import type { EntityManager } from '@mikro-orm/postgresql';
import { SYSTEM_ACTOR } from '../access/actor.js';
import type { NewEvent } from '../events/event-log.js';
import { TicketEventType } from '../events/event-types.js';
import type { Ticket } from '../ticket/ticket.entity.js';
import type { WorkflowDefinition } from '../workflow/definition.js';
import { categoryOf } from '../workflow/rules.js';
import { createCalendar } from './business-calendar.js';
import { VersionCache } from '../shared/version-cache.js';
import type { BusinessCalendarDefinition } from './calendar-definition.js';
import { computeSla, type SlaInput, type TargetResult, type TimelineEntry } from './clock.js';
import type { BreachAction, SlaConditions, SlaPolicyDefinition } from './policy-definition.js';
import {
  BusinessCalendarEntity,
  BusinessCalendarVersion,
  SlaPolicyVersion,
  TicketSla,
  TicketSlaTarget,
} from './sla.entity.js';

/** What a policy's conditions are matched against. */
export interface SlaFacts {
  workflowKey: string;
  planName?: string;
  priority: string;
  channel: string;
  organizationId?: string;
  category: string;
}

export function matches(c: SlaConditions, f: SlaFacts): boolean {
  const has = <T>(list: T[] | undefined, v: T | undefined) =>
    !list?.length || (v !== undefined && list.includes(v));
  return (
    has(c.workflows, f.workflowKey) &&
    has(c.plans, f.planName) &&
    has(c.priorities as string[] | undefined, f.priority) &&
    has(c.channels as string[] | undefined, f.channel) &&
    has(c.organizations, f.organizationId) &&
    has(c.categories, f.category)
  );
}

interface PolicyChoice {
  policyKey: string;
  versionId: string;
  version: number;
  definition: SlaPolicyDefinition;
}

/** The first active policy, in order, whose conditions match; its current version. */
export async function choosePolicy(em: EntityManager, facts: SlaFacts): Promise<PolicyChoice | undefined> {
  const rows = await em.execute<
    { key: string; version_id: string; version: number; definition: SlaPolicyDefinition }[]
  >(
    `select p.key, v.id as version_id, v.version, v.definition
       from sla_policy p join sla_policy_version v on v.policy_id = p.id and v.version = p.current_version
      where p.active order by p.position, p.key`,
  );
  const hit = rows.find((r) => matches(r.definition.conditions, facts));
  return (
    hit && { policyKey: hit.key, versionId: hit.version_id, version: hit.version, definition: hit.definition }
  );
}

/** The current version of the calendar named `key`. */
export async function currentCalendarVersion(
  em: EntityManager,
  key: string,
): Promise<BusinessCalendarVersion | undefined> {
  const cal = await em.findOne(BusinessCalendarEntity, { key });
  return cal
    ? ((await em.findOne(BusinessCalendarVersion, { calendar: cal, version: cal.currentVersion })) ??
        undefined)
    : undefined;
}

/**
 * Puts the ticket on the policy that matches it now (creation, or a change of the facts a policy is
 * chosen by). Returns the event to record, or nothing when the policy version is unchanged.
 */
export async function applyMatchingPolicy(
  em: EntityManager,
  ticket: Ticket,
  facts: SlaFacts,
  now: Date,
  /** Recorded as `explicit: true` (an admin's applySlaPolicy). */
  explicit = false,
): Promise<NewEvent | undefined> {
  const choice = await choosePolicy(em, facts);
  const existing = await em.findOne(TicketSla, { ticketId: ticket.id });
  if (!choice) {
    if (existing) {
      em.remove(existing);
      await em.nativeDelete(TicketSlaTarget, { ticketId: ticket.id });
    }
    return existing ? policyEvent(ticket, undefined, now, explicit) : undefined;
  }
  if (existing?.policyVersion.id === choice.versionId) return undefined;
  const calendar = await currentCalendarVersion(em, choice.definition.calendarKey);
  if (!calendar)
    throw new Error(
      `SLA policy ${choice.policyKey} names a calendar "${choice.definition.calendarKey}" that does not exist`,
    );
  if (existing) {
    existing.policyVersion = em.getReference(SlaPolicyVersion, choice.versionId);
    existing.calendarVersion = calendar;
    existing.assignedAt = now;
  } else {
    em.create(TicketSla, {
      ticketId: ticket.id,
      policyVersion: em.getReference(SlaPolicyVersion, choice.versionId),
      calendarVersion: calendar,
      assignedAt: now,
    });
  }
  return policyEvent(ticket, choice, now, explicit);
}

function policyEvent(
  ticket: Ticket,
  choice: PolicyChoice | undefined,
  now: Date,
  explicit: boolean,
): NewEvent {
  return {
    ticketId: ticket.id,
    type: TicketEventType.SLA_POLICY_APPLIED,
    actor: SYSTEM_ACTOR,
    payload: {
      ...(choice ? { policy: choice.policyKey, version: choice.version } : { policy: null }),
      ...(explicit ? { explicit: true } : {}),
    },
    occurredAt: now,
  };
}

export interface StoredEvent {
  type: string;
  payload: Record<string, unknown>;
  occurredAt: Date;
}

/**
 * The event types the clock reads (see timelineOf): its history is read with this condition, so a
 * long-lived ticket's assignments, updates and SLA events are not read again on every change.
 */
export const CLOCK_EVENTS_SQL = `type in ('${TicketEventType.TICKET_CREATED}', '${TicketEventType.STATUS_CHANGED}', '${TicketEventType.COMMENT_ADDED}')`;

/** The clock's view of a ticket's history: statuses (with categories), public agent replies, requester replies. */
export function timelineOf(
  events: StoredEvent[],
  def: WorkflowDefinition,
): Pick<SlaInput, 'createdAt' | 'initialStatus' | 'timeline'> {
  const created = events.find((e) => e.type === TicketEventType.TICKET_CREATED);
  if (!created) throw new Error('A ticket history starts with TICKET_CREATED');
  const initial = String(created.payload.status);
  const timeline: TimelineEntry[] = [];
  for (const e of events) {
    const at = e.occurredAt.getTime();
    if (e.type === TicketEventType.STATUS_CHANGED) {
      const to = String(e.payload.to);
      timeline.push({ at, kind: 'STATUS', status: to, category: categoryOf(def, to) });
    } else if (e.type === TicketEventType.COMMENT_ADDED && !e.payload.internal) {
      if (e.payload.authorKind === 'AGENT' || e.payload.authorKind === 'ADMIN')
        timeline.push({ at, kind: 'AGENT_REPLY' });
      else if (e.payload.authorKind === 'REQUESTER') timeline.push({ at, kind: 'REQUESTER_REPLY' });
    }
  }
  return {
    createdAt: created.occurredAt.getTime(),
    initialStatus: { status: initial, category: categoryOf(def, initial) },
    timeline,
  };
}

const calendars = new VersionCache<BusinessCalendarDefinition>(
  async (em, id) => (await em.findOneOrFail(BusinessCalendarVersion, id)).definition,
);
const policies = new VersionCache<SlaPolicyDefinition>(
  async (em, id) => (await em.findOneOrFail(SlaPolicyVersion, id)).definition,
);

/** Calendar and policy versions are immutable: their definitions are cached for the life of the process. */
export const calendarDefinition = (em: EntityManager, versionId: string) => calendars.get(em, versionId);
export const policyDefinition = (em: EntityManager, versionId: string) => policies.get(em, versionId);

/** Loads what the clock needs for a ticket and computes it at `now` (pending events not yet stored may be added). */
export async function evaluateTicketSla(
  em: EntityManager,
  ticket: Pick<Ticket, 'id'>,
  def: WorkflowDefinition,
  now: Date,
  pending: StoredEvent[] = [],
  /** A dry run on other versions (previewSlaPolicy). */
  overrides?: { policyVersionId: string; calendarVersionId: string },
): Promise<{ sla: TicketSla; results: TargetResult[]; input: SlaInput } | undefined> {
  const sla = await em.findOne(TicketSla, { ticketId: ticket.id });
  if (!sla) return undefined;
  const stored = await em.execute<{ type: string; payload: Record<string, unknown>; occurred_at: string }[]>(
    `select type, payload, occurred_at from ticket_event where ticket_id = ? and ${CLOCK_EVENTS_SQL} order by seq`,
    [ticket.id],
  );
  const events: StoredEvent[] = [
    ...stored.map((e) => ({ type: e.type, payload: e.payload, occurredAt: new Date(e.occurred_at) })),
    ...pending,
  ];
  const evaluated = await evaluateFromHistory(em, {
    events,
    def,
    now,
    policyVersionId: overrides?.policyVersionId ?? sla.policyVersion.id,
    calendarVersionId: overrides?.calendarVersionId ?? sla.calendarVersion.id,
  });
  return { sla, ...evaluated };
}

/** The clock from an already-loaded history (the GraphQL read path batches the loading). */
export async function evaluateFromHistory(
  em: EntityManager,
  opts: {
    events: StoredEvent[];
    def: WorkflowDefinition;
    now: Date;
    policyVersionId: string;
    calendarVersionId: string;
  },
): Promise<{ results: TargetResult[]; input: SlaInput }> {
  const input: SlaInput = {
    ...timelineOf(opts.events, opts.def),
    policy: await policyDefinition(em, opts.policyVersionId),
    calendar: createCalendar(await calendarDefinition(em, opts.calendarVersionId)),
    now: opts.now.getTime(),
  };
  return { results: computeSla(input), input };
}

const date = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms));

/**
 * The breaches already recorded on a ticket, as "KIND:cycle": its SLA_BREACHED events, stored and
 * pending in this change.
 */
async function recordedBreaches(
  em: EntityManager,
  ticketId: string,
  pending: NewEvent[],
): Promise<Set<string>> {
  const rows = await em.execute<{ kind: string; cycle: number }[]>(
    `select payload->>'kind' as kind, (payload->>'cycle')::int as cycle from ticket_event
      where ticket_id = ? and type = '${TicketEventType.SLA_BREACHED}'`,
    [ticketId],
  );
  const out = new Set(rows.map((r) => `${r.kind}:${r.cycle}`));
  for (const e of pending)
    if (e.ticketId === ticketId && e.type === TicketEventType.SLA_BREACHED)
      out.add(`${String(e.payload.kind)}:${Number(e.payload.cycle)}`);
  return out;
}

/** A breach this recompute recorded, with the action its policy target asks for. */
export interface BreachToHandle {
  kind: string;
  action: BreachAction;
  teamKey?: string;
}

/**
 * Recomputes a ticket's SLA targets in the caller's transaction and stores them. Returns the events
 * the change caused (a target achieved, a warning threshold passed, a breach) and the breaches whose
 * policy target asks for an action.
 */
export async function recomputeTicketSla(
  em: EntityManager,
  ticket: Ticket,
  def: WorkflowDefinition,
  pending: NewEvent[],
  now: Date,
): Promise<{ events: NewEvent[]; breaches: BreachToHandle[] }> {
  const evaluated = await evaluateTicketSla(
    em,
    ticket,
    def,
    now,
    pending.filter((e) => e.ticketId === ticket.id),
  );
  if (!evaluated) return { events: [], breaches: [] };
  const rows = await em.find(TicketSlaTarget, { ticketId: ticket.id });
  const byKind = new Map(rows.map((r) => [r.kind, r]));
  const events: NewEvent[] = [];
  const breaches: BreachToHandle[] = [];
  let recorded: Set<string> | undefined;
  const record = (type: TicketEventType, payload: Record<string, unknown>) =>
    events.push({ ticketId: ticket.id, type, actor: SYSTEM_ACTOR, payload, occurredAt: now });
  for (const r of evaluated.results) {
    const row =
      byKind.get(r.kind) ??
      em.create(TicketSlaTarget, { ticketId: ticket.id, kind: r.kind } as TicketSlaTarget);
    byKind.delete(r.kind);
    // Each achievement and breach is recorded once: a recompute that finds the same instant stays quiet.
    if (r.state === 'ACHIEVED' && (row.state !== 'ACHIEVED' || row.achievedAt?.getTime() !== r.achievedAt)) {
      record(TicketEventType.SLA_ACHIEVED, {
        kind: r.kind,
        cycle: r.cycle,
        achievedAt: date(r.achievedAt),
        elapsedMs: r.elapsedMs,
      });
    }
    // Every breach is recorded once per target and cycle, including one in a cycle a late reply has
    // just ended, and whatever policies the ticket went through in between (issue 12: a policy changed
    // away and back, or a system priority raise that re-chose the policy, finds the same breach again;
    // it is neither recorded nor acted on twice). The log is read only when the breaches differ from
    // what is stored (a new breach, or another policy's); a steady breached target costs nothing.
    const target = evaluated.input.policy.targets.find((t) => t.kind === r.kind);
    const unchanged =
      r.breaches === (row.breaches ?? 0) &&
      row.breachedAt?.getTime() === r.breachedAt &&
      row.state !== undefined;
    if (r.breaches > 0 && !unchanged) {
      recorded ??= await recordedBreaches(em, ticket.id, pending);
      r.breachTimes.forEach((at, i) => {
        const cycle = r.breachCycles[i]!;
        const key = `${r.kind}:${cycle}`;
        if (recorded!.has(key)) return;
        recorded!.add(key);
        record(TicketEventType.SLA_BREACHED, { kind: r.kind, cycle, breachedAt: new Date(at) });
        if (target && target.onBreach !== 'NONE')
          breaches.push({ kind: r.kind, action: target.onBreach, teamKey: target.breachTeamKey });
      });
    }
    // The highest warning threshold passed in this cycle, once (while the target still runs).
    const passed = Math.max(0, ...r.warningsPassed);
    const warned = row.cycle === r.cycle ? (row.warnedPercent ?? 0) : 0;
    if ((r.state === 'ACTIVE' || r.state === 'PAUSED') && passed > warned) {
      record(TicketEventType.SLA_WARNING, {
        kind: r.kind,
        cycle: r.cycle,
        percent: passed,
        dueAt: date(r.dueAt) ?? null,
      });
    }
    row.warnedPercent = Math.max(passed, warned);
    Object.assign(row, {
      state: r.state,
      clock: r.clock,
      targetMs: r.targetMs,
      outsideHours: r.outsideHoursAlternative,
      cycle: r.cycle,
      startedAt: date(r.startedAt),
      dueAt: date(r.dueAt),
      elapsedMs: r.elapsedMs,
      remainingMs: r.remainingMs,
      pausedMs: r.pausedMs,
      achievedAt: date(r.achievedAt),
      breachedAt: date(r.breachedAt),
      nextWarningAt: date(r.nextWarningAt),
      breaches: r.breaches,
      computedAt: now,
    });
  }
  for (const stale of byKind.values()) em.remove(stale);
  await em.flush();
  return { events, breaches };
}
