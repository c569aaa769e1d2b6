import type { MikroORM } from './orm.js';
import { gauge, histogram, onScrape } from '../ops/metrics.js';

/** The part of tarn's pool (knex's, under MikroORM) that the metrics read. */
interface TarnPool {
  numUsed(): number;
  numFree(): number;
  numPendingAcquires(): number;
  numPendingCreates(): number;
  on(event: 'acquireRequest', listener: (eventId: number) => void): void;
  on(event: 'acquireSuccess' | 'acquireFail', listener: (eventId: number) => void): void;
}

const connections = gauge({
  name: 'docket_db_pool_connections',
  help: 'Connections of the database pool (MikroORM/knex) by state: used (lent out) or free (idle)',
  labelNames: ['state'] as const,
});
const pending = gauge({
  name: 'docket_db_pool_pending_acquires',
  help: 'Requests waiting for a database connection (the pool is exhausted when this stays above 0)',
});
const max = gauge({
  name: 'docket_db_pool_max',
  help: 'Largest size of the database pool (DB_POOL_MAX)',
});
const wait = histogram({
  name: 'docket_db_pool_acquire_wait_seconds',
  help: 'Time a query waited for a database connection (s)',
  buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
});

/**
 * Reports the ORM's connection pool: connections used and free, waiters, and how long each
 * acquisition waited (timed from tarn's acquireRequest to acquireSuccess, at a Map lookup per query).
 * Returns the function that stops reporting.
 */
export function watchPool(orm: MikroORM, poolMax: number): () => void {
  let watched: TarnPool | undefined;
  const requested = new Map<number, bigint>();
  const current = (): TarnPool | undefined =>
    (orm.em.getKnex().client as { pool?: TarnPool }).pool ?? undefined;
  const attach = () => {
    const pool = current();
    if (!pool || pool === watched) return pool;
    watched = pool;
    requested.clear();
    pool.on('acquireRequest', (id) => requested.set(id, process.hrtime.bigint()));
    pool.on('acquireSuccess', (id) => {
      const at = requested.get(id);
      if (at === undefined) return;
      requested.delete(id);
      wait.observe(Number(process.hrtime.bigint() - at) / 1e9);
    });
    pool.on('acquireFail', (id) => requested.delete(id));
    return pool;
  };
  attach();
  max.set(poolMax);
  return onScrape('db_pool', () => {
    // A pool that was replaced (after a reconnect) is watched from its first scrape on.
    const pool = attach();
    if (!pool) return;
    connections.set({ state: 'used' }, pool.numUsed());
    connections.set({ state: 'free' }, pool.numFree());
    pending.set(pool.numPendingAcquires());
  });
}
