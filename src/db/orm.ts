import { AsyncLocalStorage } from 'node:async_hooks';
import { MikroORM, type Options } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import { MIGRATIONS } from '../../migrations/index.js';
import type { Logger } from '../shared/logger.js';
import { ENTITIES } from './entities.js';

export { MikroORM };

/** Counts the SQL statements a request issues (exposed in `extensions` outside production). */
export const statementCounter = new AsyncLocalStorage<{ count: number }>();

/** Tables MikroORM must never touch: Agenda's job store, rate-limit counters, idempotency keys and the outbox, written with SQL. */
export const FOREIGN_TABLES = [
  'agenda_jobs',
  'rate_limit',
  'idempotency_key',
  // The outbox and notifications (src/outbox, src/notify), written with SQL.
  'event_consumer',
  'outbox_delivery',
  'outbox_attempt',
  'notification_message',
  'notification_template',
  'satisfaction_survey',
  // The scheduler's promoter mark (src/scheduler).
  'scheduler_state',
  // Inbound email and attachments (src/inbound, src/attachments), written with SQL.
  'inbound_email',
  'attachment',
  'attachment_blob',
];

/**
 * `observeQueries` turns on per-query logging (trace) and statement counting; it costs CPU on every
 * query (MikroORM formats each one), so production leaves it off unless LOG_LEVEL is trace.
 */
export function ormOptions(clientUrl: string, logger?: Logger, poolMax = 10, observeQueries = true): Options {
  return {
    clientUrl,
    entities: ENTITIES,
    allowGlobalContext: false,
    forceUtcTimezone: true,
    pool: { min: 0, max: poolMax },
    driverOptions: {
      // During a database outage a request fails within this instead of knex's 60 s (a new connection
      // is refused at once anyway; this bounds a network that drops packets).
      acquireConnectionTimeout: 10_000,
      connection: { connectionTimeoutMillis: 5000, application_name: 'docket' },
      // knex prints a dropped connection ("Connection Error: …") to the console; into the log instead.
      log: {
        warn: (message: unknown) => logger?.debug({ knex: true }, String(message)),
        error: (message: unknown) => logger?.warn({ knex: true }, String(message)),
        deprecate: () => {},
        debug: () => {},
      },
    },
    extensions: [Migrator],
    discovery: { warnWhenNoEntities: true },
    schemaGenerator: { skipTables: FOREIGN_TABLES },
    migrations: {
      // Listed explicitly so they load the same way from src/ (tests) and dist/ (compiled);
      // `docket migration:create` writes new ones into ./migrations.
      migrationsList: MIGRATIONS,
      path: 'migrations',
      pathTs: 'migrations',
      tableName: 'mikro_orm_migrations',
      transactional: true,
      allOrNothing: true,
      emit: 'ts',
      snapshot: false,
    },
    debug: observeQueries ? ['query'] : false,
    loggerFactory: () => ({
      log: () => {},
      error: (ns: string, message: string) => logger?.error({ ns }, message),
      warn: (ns: string, message: string) => logger?.warn({ ns }, message),
      logQuery: (ctx: { query: string; took?: number }) => {
        const counter = statementCounter.getStore();
        if (counter) counter.count++;
        logger?.trace({ sql: ctx.query, ms: ctx.took }, 'sql');
      },
      setDebugMode: () => {},
      isEnabled: () => observeQueries,
    }),
  };
}

export async function initOrm(
  clientUrl: string,
  logger?: Logger,
  poolMax?: number,
  observeQueries?: boolean,
): Promise<MikroORM> {
  return MikroORM.init(ormOptions(clientUrl, logger, poolMax, observeQueries));
}

/** Applies pending migrations; returns their names. */
export async function migrate(orm: MikroORM): Promise<string[]> {
  const applied = await orm.getMigrator().up();
  return applied.map((m) => m.name);
}

/** Readiness: the database answers and no migration is pending. */
export async function pendingMigrations(orm: MikroORM): Promise<number> {
  return (await orm.getMigrator().getPendingMigrations()).length;
}
