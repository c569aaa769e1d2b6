/**
 * The scheduler's defaults, sized for 100,000 pending timers (docs/SCHEDULER.md, bench/README.md): one
 * process runs at most lockLimit / poll interval jobs per second of each kind. Config (SCHEDULER_*) and
 * DeadlineScheduler both take them from here.
 */
export const SCHEDULER_DEFAULTS = {
  processEveryMs: 1000,
  lockLifetimeMs: 60_000,
  lockLimit: 300,
  concurrency: 10,
} as const;
