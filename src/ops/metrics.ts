import {
  collectDefaultMetrics,
  Counter,
  Gauge,
  Histogram,
  Registry,
  type CounterConfiguration,
  type GaugeConfiguration,
  type HistogramConfiguration,
} from 'prom-client';

/**
 * The process's Prometheus metrics (prom-client): one registry that every domain adds its series to,
 * rendered at `/metrics` (docs/OPERATIONS.md, "Metrics").
 *
 * How a domain adds its own series (see `src/scheduler/metrics.ts` for a whole example):
 *
 * ```ts
 * import { counter, histogram, onScrape, gauge } from '../ops/metrics.js';
 *
 * // Defined once, at module level; the same name twice returns the same series.
 * export const deliveries = counter({
 *   name: 'docket_webhook_deliveries_total',
 *   help: 'Webhook delivery attempts by outcome (delivered, failed, gave_up)',
 *   labelNames: ['outcome'] as const,
 * });
 * deliveries.inc({ outcome: 'delivered' });
 *
 * // A value read from the database when Prometheus scrapes: register it while the part that owns
 * // it runs, unregister when it stops.
 * const queued = gauge({ name: 'docket_webhook_queue_depth', help: 'Deliveries waiting to be sent' });
 * const stop = onScrape('webhooks', async () => queued.set(await countQueued(em)));
 * ```
 *
 * Rules: names start with `docket_`, use base units (`_seconds`, `_bytes`) and end in `_total` for
 * counters (Prometheus naming); label values come from small fixed sets (an outcome, a kind, a status
 * code), never ids, emails or free text, since every distinct value is a series kept for ever.
 */
export const registry = new Registry();

/** Process metrics (CPU, memory, event-loop delay, GC, handles), with prom-client's standard names. */
collectDefaultMetrics({ register: registry });

/** Request and operation durations, in seconds: 1 ms to 10 s. */
export const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Lateness of timed work (a deadline's due time to its commit), in seconds: 5 ms to 10 min. */
export const LATENESS_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600,
];

function existing<M>(name: string, type: abstract new (...args: never[]) => M): M | undefined {
  const found = registry.getSingleMetric(name);
  if (found === undefined) return undefined;
  if (!(found instanceof type)) throw new Error(`Metric ${name} is already registered with another type`);
  return found as M;
}

/** A counter in the shared registry (the existing one if `name` is registered already). */
export function counter<L extends string = never>(o: {
  name: string;
  help: string;
  labelNames?: readonly L[];
}): Counter<L> {
  return (
    existing<Counter<L>>(o.name, Counter) ??
    new Counter<L>({ ...o, registers: [registry] } as CounterConfiguration<L>)
  );
}

/** A gauge in the shared registry (the existing one if `name` is registered already). */
export function gauge<L extends string = never>(o: {
  name: string;
  help: string;
  labelNames?: readonly L[];
}): Gauge<L> {
  return (
    existing<Gauge<L>>(o.name, Gauge) ??
    new Gauge<L>({ ...o, registers: [registry] } as GaugeConfiguration<L>)
  );
}

/** A histogram in the shared registry (the existing one if `name` is registered already); seconds by default. */
export function histogram<L extends string = never>(o: {
  name: string;
  help: string;
  labelNames?: readonly L[];
  /** Upper bounds; default DURATION_BUCKETS. */
  buckets?: number[];
}): Histogram<L> {
  return (
    existing<Histogram<L>>(o.name, Histogram) ??
    new Histogram<L>({
      ...o,
      buckets: o.buckets ?? DURATION_BUCKETS,
      registers: [registry],
    } as HistogramConfiguration<L>)
  );
}

const scrapeErrors = counter({
  name: 'docket_metrics_scrape_errors_total',
  help: 'Scrape-time readings that failed (the database was unreachable, say); their series keep their last value',
  labelNames: ['source'] as const,
});

/** Readings taken when Prometheus scrapes (a count from the database, a cursor's position). */
type ScrapeHook = () => void | Promise<void>;
const hooks = new Map<symbol, { source: string; hook: ScrapeHook }>();

/** How long a scrape waits for its readings before answering with the values it has (ms). */
const SCRAPE_HOOK_TIMEOUT_MS = 2000;

/**
 * Runs `hook` before every scrape to bring gauges up to date. `source` names it in
 * `docket_metrics_scrape_errors_total` when it fails or takes longer than 2 s (the scrape then answers
 * with the series' last values rather than failing). Returns the function that removes it.
 */
export function onScrape(source: string, hook: ScrapeHook): () => void {
  const key = Symbol(source);
  hooks.set(key, { source, hook });
  return () => void hooks.delete(key);
}

/** The text exposition of every series, after the scrape hooks ran (each at most 2 s). */
export async function renderMetrics(): Promise<{ contentType: string; body: string }> {
  await Promise.all(
    [...hooks.values()].map(async ({ source, hook }) => {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          hook(),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error('timed out')), SCRAPE_HOOK_TIMEOUT_MS);
          }),
        ]);
      } catch {
        scrapeErrors.inc({ source });
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  return { contentType: registry.contentType, body: await registry.metrics() };
}
