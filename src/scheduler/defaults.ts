/**
 * The scheduler's defaults, sized for 100,000 pending timers (1,000,000 with the horizon) (docs/SCHEDULER.md, bench/README.md): one
 * process runs at most lockLimit / poll interval jobs per second of each kind. Config (SCHEDULER_*) and
 * DeadlineScheduler both take them from here.
 */
export const SCHEDULER_DEFAULTS = {
  processEveryMs: 1000,
  lockLifetimeMs: 60_000,
  lockLimit: 300,
  concurrency: 10,
  /**
   * Only deadlines due within this horizon (ms) have a job in the job store; later ones are promoted
   * into it by an indexed range scan on the stored deadlines, every quarter of the horizon (issue 18).
   */
  horizonMs: 60_000,
} as const;
