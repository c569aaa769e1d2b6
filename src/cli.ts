import 'reflect-metadata';
import { ConfigError, loadConfig, type Config } from './config.js';
import { signUserToken } from './access/jwt.js';
import { startEmbeddedPostgres, type EmbeddedDatabase } from './db/embedded.js';
import { initOrm, migrate, type MikroORM } from './db/orm.js';
import { User } from './directory/user.entity.js';
import { loadDemoData, loadPresets } from './seed/demo-data.js';
import { startServer } from './server/app.js';
import { apiKeyCommand } from './access/api-key-cli.js';
import { buildDocketSchema } from './server/schema.js';
import { systemClock } from './shared/clock.js';
import { createLogger, type Logger } from './shared/logger.js';
import { hostname } from 'node:os';
import path from 'node:path';
import { DeadlineScheduler } from './scheduler/scheduler.js';
import { ticketsWithDeadlines } from './scheduler/process-deadlines.js';
import { stopTracing } from './ops/trace.js';
import { watchPool } from './db/pool-metrics.js';
import { startMetricsServer } from './ops/metrics-endpoint.js';

const USAGE = `usage: docket <command>
  serve            start the GraphQL server (default), with the scheduler unless SCHEDULER=off
  worker           run only the scheduler (deadline jobs and the sweep)
  migrate          apply pending database migrations
  seed             load the workflow presets and the demo data (idempotent)
  token <email>    print a bearer token for a user
  apikey …         create, list, rotate and revoke partner API keys (docket apikey for help)
  migration:create write a new migration for the entity changes (then list it in migrations/index.ts)`;

interface Database {
  orm: MikroORM;
  url: string;
  embedded?: EmbeddedDatabase;
  close(): Promise<void>;
}

function createScheduler(config: Config, db: Database, logger: Logger, process: boolean): DeadlineScheduler {
  const scheduler = new DeadlineScheduler({
    databaseUrl: db.url,
    mongoUrl: config.mongoUrl,
    process,
    name: `${hostname()}:${globalThis.process.pid}`,
    em: db.orm.em.fork(),
    clock: systemClock,
    logger,
    processEveryMs: config.scheduler.pollMs,
    lockLifetimeMs: config.scheduler.lockLifetimeMs,
    lockLimit: config.scheduler.lockLimit,
  });
  logger.info(
    { store: scheduler.store, processing: process },
    scheduler.store === 'mongodb'
      ? 'scheduler: Agenda on MongoDB (MONGODB_URL)'
      : 'scheduler: Agenda on PostgreSQL (no MONGODB_URL set)',
  );
  return scheduler;
}

/** Stops on SIGINT/SIGTERM: `stop` closes things in order; exit follows (Agenda leaves a timer behind). */
function onSignals(logger: Logger, stop: () => Promise<void>): void {
  let stopping = false;
  const handle = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      logger.error('shutdown took over 10 s; exiting');
      process.exit(1);
    }, 10_000);
    force.unref();
    await stop();
    const lost = await stopTracing();
    if (lost) logger.warn({ reason: lost }, 'the last spans could not be sent to the collector');
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void handle('SIGINT'));
  process.on('SIGTERM', () => void handle('SIGTERM'));
}

async function openDatabase(config: Config, logger: Logger): Promise<Database> {
  let embedded: EmbeddedDatabase | undefined;
  let url = config.databaseUrl;
  if (!url) {
    const dir = path.join(config.dataDir, 'pg');
    embedded = await startEmbeddedPostgres({ dir, port: config.embeddedPgPort, persistent: true, logger });
    url = embedded.url;
    logger.info(
      { dir, port: config.embeddedPgPort },
      'started the embedded PostgreSQL (no DATABASE_URL set)',
    );
  }
  try {
    const orm = await initOrm(
      url,
      logger,
      config.dbPoolMax,
      config.env !== 'production' || config.logLevel === 'trace',
    );
    return {
      orm,
      url,
      embedded,
      close: async () => {
        await orm.close();
        await embedded?.stop();
      },
    };
  } catch (err) {
    await embedded?.stop();
    throw err;
  }
}

async function serve(config: Config, logger: Logger): Promise<void> {
  const db = await openDatabase(config, logger);
  let server: Awaited<ReturnType<typeof startServer>>;
  let scheduler: DeadlineScheduler;
  try {
    if (config.migrateOnStart) {
      const applied = await migrate(db.orm);
      if (applied.length) logger.info({ applied }, 'applied migrations');
    }
    await loadPresets(db.orm.em.fork(), systemClock);
    if (config.demoData) {
      const { tickets } = await loadDemoData(db.orm.em.fork(), systemClock);
      logger.info({ newTickets: tickets }, 'demo data loaded (DEMO_DATA)');
    }
    scheduler = createScheduler(config, db, logger, config.schedulerInProcess);
    await scheduler.start();
    if (config.demoData) await scheduler.sync(await ticketsWithDeadlines(db.orm.em.fork()));
    server = await startServer(
      { config, orm: db.orm, schema: await buildDocketSchema(), clock: systemClock, logger, scheduler },
      { port: config.port, host: config.host },
    );
  } catch (err) {
    await db.close();
    throw err;
  }
  logger.info({ url: server.url }, `Docket is serving GraphQL at ${server.url}`);
  logOps(config, logger, server.metricsUrl);

  onSignals(logger, async () => {
    await server.close();
    await scheduler.stop();
    logger.info('server and scheduler stopped; stopping the database');
    await db.close();
  });
}

async function worker(config: Config, logger: Logger): Promise<void> {
  const db = await openDatabase(config, logger);
  const scheduler = createScheduler(config, db, logger, true);
  let metrics: Awaited<ReturnType<typeof startMetricsServer>> | undefined;
  try {
    if (config.migrateOnStart) await migrate(db.orm);
    await scheduler.start();
    // A worker serves no HTTP: its metrics are on METRICS_PORT only.
    if (config.ops.metrics.enabled) watchPool(db.orm, config.dbPoolMax);
    if (config.ops.metrics.exposure === 'port')
      metrics = await startMetricsServer(config.ops.metrics, logger);
  } catch (err) {
    await scheduler.stop();
    await db.close();
    throw err;
  }
  logger.info('Docket worker is running the scheduler');
  logOps(config, logger, metrics?.url);
  onSignals(logger, async () => {
    await metrics?.close();
    await scheduler.stop();
    await db.close();
  });
}

/** One line each on where the metrics are scraped and where traces go, so operators need not guess. */
function logOps(config: Config, logger: Logger, metricsUrl: string | undefined): void {
  const { metrics, tracing } = config.ops;
  if (metricsUrl)
    logger.info(
      { url: metricsUrl, protected: metrics.token !== undefined },
      `Prometheus metrics at ${metricsUrl}${metrics.token ? ' (bearer METRICS_TOKEN required)' : ''}`,
    );
  else if (metrics.enabled)
    logger.info(
      'metrics are collected but not served: set METRICS_TOKEN (on this port) or METRICS_PORT (a port of their own)',
    );
  if (tracing)
    logger.info(
      { url: tracing.url, protocol: tracing.protocol },
      `OpenTelemetry traces go to ${tracing.url}`,
    );
}

async function withDatabase(
  config: Config,
  logger: Logger,
  work: (orm: MikroORM) => Promise<void>,
): Promise<void> {
  const db = await openDatabase(config, logger);
  try {
    await work(db.orm);
  } finally {
    await db.close();
  }
}

async function main(argv: string[]): Promise<void> {
  const [command = 'serve', ...args] = argv;
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
  // Commands that print for scripts keep the logs quiet unless asked.
  const logger = createLogger(
    (command === 'token' || command === 'apikey') && !process.env.LOG_LEVEL ? 'warn' : config.logLevel,
  );
  switch (command) {
    case 'serve':
      return serve(config, logger);
    case 'worker':
      return worker(config, logger);
    case 'migrate':
      return withDatabase(config, logger, async (orm) => {
        const applied = await migrate(orm);
        logger.info({ applied }, applied.length ? 'applied migrations' : 'no pending migrations');
      });
    case 'seed':
      return withDatabase(config, logger, async (orm) => {
        await migrate(orm);
        const { tickets } = await loadDemoData(orm.em.fork(), systemClock);
        logger.info({ newTickets: tickets }, 'demo data loaded');
      });
    case 'migration:create':
      return withDatabase(config, logger, async (orm) => {
        await migrate(orm);
        const created = await orm.getMigrator().createMigration();
        console.log(
          created.fileName
            ? `wrote migrations/${created.fileName}; add it to migrations/index.ts`
            : 'no entity changes',
        );
      });
    case 'token': {
      const email = args[0];
      if (!email) {
        console.error('usage: docket token <email>   (e.g. alice@docket.local)');
        process.exit(2);
      }
      return withDatabase(config, logger, async (orm) => {
        const user = await orm.em.fork().findOne(User, { email });
        if (!user) {
          console.error(`No user ${email}. Seeded users: run "npm run seed", then try alice@docket.local`);
          await orm.close();
          process.exit(1);
        }
        console.log(await signUserToken(config, user.id));
      });
    }
    case 'apikey': {
      let code = 0;
      await withDatabase(config, logger, async (orm) => {
        code = await apiKeyCommand(orm.em.fork(), args);
      });
      process.exit(code);
    }
    // falls through (never reached: process.exit)
    default:
      console.error(USAGE);
      process.exit(2);
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  const error = err as Error;
  console.error(
    `docket: ${error.message}${error.cause ? ` (${(error.cause as Error).message ?? error.cause})` : ''}`,
  );
  process.exit(1);
});
