import type { EntityManager } from '@mikro-orm/postgresql';
import { readRows } from '../db/read.js';
import { counter, gauge, histogram, LATENESS_BUCKETS, onScrape } from '../ops/metrics.js';

/**
 * The scheduler's series (docs/OPERATIONS.md, "Metrics"), and the example of a domain adding its own
 * to the shared registry: series defined here with the helpers of `ops/metrics.ts`, counted where the
 * work happens, and a scrape hook for what only the database knows.
 */

/** What one deadline job (or the sweep, for one ticket) came to. */
export type JobOutcome = 'handled' | 'nothing_due' | 'ticket_missing' | 'failed';

export const jobs = counter({
  name: 'docket_scheduler_jobs_total',
  help: 'Deadline jobs run, by kind (workflow-timer, sla-warning, sla-breach, deadline-sweep) and outcome (handled: events committed; nothing_due; ticket_missing; failed)',
  labelNames: ['kind', 'outcome'] as const,
});

export const lateness = histogram({
  name: 'docket_scheduler_lateness_seconds',
  help: 'From a deadline’s due time to the commit of the events it caused, by kind and by what ran it (job, or sweep for one no job handled) (s)',
  labelNames: ['kind', 'via'] as const,
  buckets: LATENESS_BUCKETS,
});

const pending = gauge({
  name: 'docket_scheduler_pending_deadlines',
  help: 'Deadlines stored and not yet handled, by kind (read at scrape)',
  labelNames: ['kind'] as const,
});
const overdue = gauge({
  name: 'docket_scheduler_overdue_deadlines',
  help: 'Of those, deadlines already past their due time (read at scrape): above 0 for long means jobs are not keeping up',
  labelNames: ['kind'] as const,
});

/**
 * Counts pending and overdue deadlines at every scrape, with the same conditions as the scheduler's
 * own queries (process-deadlines.ts). Registered by processes that run the scheduler; returns the
 * function that stops it.
 */
export function watchDeadlines(em: EntityManager): () => void {
  return onScrape('scheduler', async () => {
    const rows = await readRows<{ kind: string; pending: string; overdue: string }>(
      em,
      `select 'workflow-timer' as kind, count(*) as pending, count(*) filter (where fire_at <= now()) as overdue
         from ticket_timer where fire_at is not null
       union all
       select 'sla-warning', count(*), count(*) filter (where next_warning_at <= now())
         from ticket_sla_target where state = 'ACTIVE' and next_warning_at is not null
       union all
       select 'sla-breach', count(*), count(*) filter (where due_at <= now())
         from ticket_sla_target where state = 'ACTIVE' and due_at is not null`,
    );
    for (const r of rows) {
      pending.set({ kind: r.kind }, Number(r.pending));
      overdue.set({ kind: r.kind }, Number(r.overdue));
    }
  });
}
