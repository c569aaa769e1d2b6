import type { EntityManager } from '@mikro-orm/postgresql';
import { SYSTEM_ACTOR } from '../access/actor.js';
import { readRows } from '../db/read.js';
import { sqlArray } from '../db/sql.js';
import { TicketEventType } from '../events/event-types.js';
import type { Clock } from '../shared/clock.js';
import { NotFoundError } from '../shared/errors.js';
import { TicketChange } from '../ticket/ticket-changes.js';
import { statusOf } from '../workflow/rules.js';
import { TicketTimer } from './ticket-timer.entity.js';
import { nextFiring } from './timers.js';

/**
 * Handles whatever is due on one ticket at the clock's now, as the system actor, through the same
 * TicketChange as a person's change: workflow reminders (REQUESTER_REMINDED with its count) and moves
 * (with their tag), then the SLA recompute that records warnings and breaches and carries out breach
 * actions. The database is the truth: nothing due, nothing done; running it twice changes nothing the
 * second time. Resolves once committed: `handled` (events were recorded), `nothing_due`, or
 * `ticket_missing`.
 */
export async function processDueDeadlines(
  em: EntityManager,
  ticketId: string,
  clock: Clock,
): Promise<'handled' | 'nothing_due' | 'ticket_missing'> {
  return em.fork().transactional(async (tx) => {
    const ctx = {
      actor: SYSTEM_ACTOR,
      em: tx,
      clock,
      visibility: { requestersSeeOrganizationTickets: false },
    };
    let change: TicketChange;
    try {
      change = await TicketChange.load(ctx, ticketId);
    } catch (err) {
      if (err instanceof NotFoundError) return 'ticket_missing';
      throw err;
    }
    const now = change.now.getTime();
    const timers = await tx.find(
      TicketTimer,
      { ticketId, fireAt: { $lte: change.now } },
      { orderBy: { fireAt: 'asc', timerIndex: 'asc' } },
    );
    for (const timer of timers) {
      const t = change.def.timers[timer.timerIndex];
      if (!t || timer.status !== change.ticket.status) {
        tx.remove(timer); // a leftover of a status the ticket has left
        continue;
      }
      if (t.action === 'REMIND') {
        // Every firing that is due (several, after an outage), each recorded with its count.
        while (timer.fireAt && timer.fireAt.getTime() <= now) {
          timer.firedCount += 1;
          change.record(
            TicketEventType.REQUESTER_REMINDED,
            {
              count: timer.firedCount,
              status: timer.status,
              after: t.after,
              dueAt: timer.fireAt.toISOString(),
            },
            { actor: SYSTEM_ACTOR },
          );
          const next = nextFiring(t, timer.firedCount, timer.fireAt.getTime());
          timer.fireAt = next === undefined ? undefined : new Date(next);
        }
        continue;
      }
      timer.fireAt = undefined;
      if (t.addTag) change.tag(t.addTag, SYSTEM_ACTOR);
      const name = statusOf(change.def, timer.status).name;
      change.moveTo(t.to!, `No change for ${t.after} in ${name}`, SYSTEM_ACTOR, { timer: true });
      break; // the new status's timers replace the rest
    }
    await change.commit();
    return change.events.length ? 'handled' : 'nothing_due';
  });
}

/** The next instant anything is due on a ticket, per kind of job. */
export interface TicketDeadlines {
  'workflow-timer'?: Date;
  'sla-warning'?: Date;
  'sla-breach'?: Date;
}

export const DEADLINE_KINDS = ['workflow-timer', 'sla-warning', 'sla-breach'] as const;
export type DeadlineKind = (typeof DEADLINE_KINDS)[number];

export async function deadlinesOf(
  em: EntityManager,
  ticketIds: string[],
): Promise<Map<string, TicketDeadlines>> {
  const rows = await em.execute<{ ticket_id: string; kind: DeadlineKind; at: string }[]>(
    `select ticket_id, 'workflow-timer' as kind, min(fire_at) as at from ticket_timer
      where ticket_id = any(?::uuid[]) and fire_at is not null group by ticket_id
     union all
     select ticket_id, 'sla-warning', min(next_warning_at) from ticket_sla_target
      where ticket_id = any(?::uuid[]) and state = 'ACTIVE' and next_warning_at is not null group by ticket_id
     union all
     select ticket_id, 'sla-breach', min(due_at) from ticket_sla_target
      where ticket_id = any(?::uuid[]) and state = 'ACTIVE' and due_at is not null group by ticket_id`,
    [sqlArray(ticketIds), sqlArray(ticketIds), sqlArray(ticketIds)],
  );
  const out = new Map<string, TicketDeadlines>(ticketIds.map((id) => [id, {}]));
  for (const r of rows) out.get(r.ticket_id)![r.kind] = new Date(r.at);
  return out;
}

const EARLIEST: Record<DeadlineKind, string> = {
  'workflow-timer': 'select min(fire_at) as at from ticket_timer where ticket_id = ? and fire_at is not null',
  'sla-warning': `select min(next_warning_at) as at from ticket_sla_target
                   where ticket_id = ? and state = 'ACTIVE' and next_warning_at is not null`,
  'sla-breach': `select min(due_at) as at from ticket_sla_target
                  where ticket_id = ? and state = 'ACTIVE' and due_at is not null`,
};

/**
 * The earliest pending deadline of one kind on a ticket: what its job of that kind is due for (Agenda
 * clears a job's nextRunAt when it starts, so the job reads it here before acting, to measure its
 * lateness). Undefined when nothing of that kind is pending.
 */
export async function earliestDeadline(
  em: EntityManager,
  ticketId: string,
  kind: DeadlineKind,
): Promise<Date | undefined> {
  const [row] = await readRows<{ at: Date | string | null }>(em, EARLIEST[kind], [ticketId]);
  return row?.at ? new Date(row.at) : undefined;
}

/**
 * Tickets with a deadline that passed more than `graceMs` ago, each with its earliest such deadline,
 * earliest first: what no job handled (a lost job, a job store restored from backup, a worker that
 * died). The sweep processes them.
 */
export async function overdueTickets(
  em: EntityManager,
  now: Date,
  graceMs: number,
  limit: number,
): Promise<{ ticketId: string; dueAt: Date }[]> {
  const before = new Date(now.getTime() - graceMs).toISOString();
  const rows = await em.execute<{ ticket_id: string; due_at: string }[]>(
    `select ticket_id, min(at) as due_at from (
       select ticket_id, fire_at as at from ticket_timer where fire_at <= ?
       union all select ticket_id, next_warning_at from ticket_sla_target where state = 'ACTIVE' and next_warning_at <= ?
       union all select ticket_id, due_at from ticket_sla_target where state = 'ACTIVE' and due_at <= ?
     ) d group by ticket_id order by min(at) limit ?`,
    [before, before, before, limit],
  );
  return rows.map((r) => ({ ticketId: r.ticket_id, dueAt: new Date(r.due_at) }));
}

/** Every ticket with a pending deadline (to schedule them all, e.g. after loading demo data). */
export async function ticketsWithDeadlines(em: EntityManager): Promise<string[]> {
  const rows = await em.execute<{ ticket_id: string }[]>(
    `select ticket_id from ticket_timer where fire_at is not null
     union select ticket_id from ticket_sla_target where state = 'ACTIVE' and (due_at is not null or next_warning_at is not null)`,
  );
  return rows.map((r) => r.ticket_id);
}

/**
 * Tickets with a pending deadline in (from, until], for the promoter: three index range scans
 * (ticket_timer_fire_idx, ticket_sla_target_warning_idx, ticket_sla_target_due_idx), so the cost grows
 * with the deadlines in the window, not with all pending. `from` undefined: from the beginning.
 */
export async function ticketsDueBetween(
  em: EntityManager,
  from: Date | undefined,
  until: Date,
): Promise<string[]> {
  const lo = (from ?? new Date(0)).toISOString();
  const hi = until.toISOString();
  const rows = await em.execute<{ ticket_id: string }[]>(
    `select ticket_id from ticket_timer where fire_at > ? and fire_at <= ?
     union select ticket_id from ticket_sla_target where state = 'ACTIVE' and next_warning_at > ? and next_warning_at <= ?
     union select ticket_id from ticket_sla_target where state = 'ACTIVE' and due_at > ? and due_at <= ?`,
    [lo, hi, lo, hi, lo, hi],
  );
  return rows.map((r) => r.ticket_id);
}

/** The instant up to which the promoter has given deadlines their jobs (undefined before its first run). */
export async function promotedUntil(em: EntityManager): Promise<Date | undefined> {
  const [row] = await em.execute<{ promoted_until: string | Date }[]>(
    `select promoted_until from scheduler_state where id = 1`,
  );
  return row ? new Date(row.promoted_until) : undefined;
}

/** Moves the promoter's mark forward (never back: two promoters racing keep the later mark). */
export async function setPromotedUntil(em: EntityManager, until: Date): Promise<void> {
  await em.execute(
    `insert into scheduler_state (id, promoted_until) values (1, ?)
     on conflict (id) do update set promoted_until = greatest(scheduler_state.promoted_until, excluded.promoted_until)`,
    [until.toISOString()],
  );
}
