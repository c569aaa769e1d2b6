import 'reflect-metadata';
import pg from 'pg';
import { ConfigError, loadConfig, type Config } from './config.js';
import type { EmbeddedDatabase } from './db/embedded.js';
import type { DatabaseHealth } from './db/health.js';
import type { MikroORM } from './db/orm.js';
import type { DeadlineScheduler } from './scheduler/scheduler.js';
import { systemClock } from './shared/clock.js';
import { Resources, takeSignals } from './shared/lifecycle.js';
import { stopTracing } from './ops/trace.js';
import { createLogger, type Logger } from './shared/logger.js';
import { hostname } from 'node:os';
import path from 'node:path';

// Each command loads only what it uses (a module graph with the ORM, Apollo and Agenda costs seconds
// of CPU): `npm run token` needs neither the ORM nor the server.

const USAGE = `usage: docket <command>
  serve            start the GraphQL server (default), with the scheduler unless SCHEDULER=off
  worker           run only the scheduler (deadline jobs and the sweep)
  migrate          apply pending database migrations
  seed             load the workflow presets and the demo data (idempotent)
  token <email>    print a bearer token for a user
  apikey …         create, list, rotate and revoke partner API keys (docket apikey for help)
  migration:create write a new migration for the entity changes (then list it in migrations/index.ts)`;

/** A start-up failure whose message says what to fix: printed as one line, exit code 1. */
class StartupError extends Error {
  override name = 'StartupError';
}

interface Database {
  orm: MikroORM;
  url: string;
  embedded?: EmbeddedDatabase;
  health: DatabaseHealth;
}

/**
 * Notifications on the scheduler's jobs (docs/NOTIFICATIONS.md): made before the scheduler starts
 * (they define its outbox jobs), started after it; they derive and send only where jobs run.
 */
async function createNotifications(
  config: Config,
  db: Database,
  logger: Logger,
  scheduler: DeadlineScheduler,
  process: boolean,
) {
  const { Notifications } = await import('./notify/notifier.js');
  return new Notifications({
    config,
    em: db.orm.em.fork(),
    databaseUrl: db.url,
    scheduler,
    clock: systemClock,
    logger,
    owner: `${hostname()}:${globalThis.process.pid}`,
    process,
  });
}

/**
 * The inbound SMTP listener (docs/INBOUND.md), when INBOUND_SMTP_PORT is set, in the command
 * INBOUND_SMTP_PROCESS names (serve by default); stopped before the scheduler and the database.
 */
async function startInboundSmtp(
  config: Config,
  db: Database,
  logger: Logger,
  scheduler: DeadlineScheduler,
  res: Resources,
  command: 'serve' | 'worker',
): Promise<void> {
  if (!config.inbound.smtp || config.inbound.smtp.process !== command) return;
  const [{ InboundSmtpListener }, { PgAttachmentStore }] = await Promise.all([
    import('./inbound/smtp-listener.js'),
    import('./attachments/store.js'),
  ]);
  const listener = new InboundSmtpListener({
    em: db.orm.em,
    config,
    clock: systemClock,
    logger,
    store: new PgAttachmentStore(),
    scheduler,
  });
  await listener.start().catch((err: { code?: string; message?: string }) => {
    throw new StartupError(
      err.code === 'EADDRINUSE'
        ? `INBOUND_SMTP_PORT ${config.inbound.smtp!.port} is already in use (another program listens there): stop it or set INBOUND_SMTP_PORT`
        : `The inbound SMTP listener cannot start on INBOUND_SMTP_PORT ${config.inbound.smtp!.port}: ${err.message}`,
    );
  });
  res.add('inbound SMTP listener', () => listener.stop());
}

async function createScheduler(
  config: Config,
  db: Database,
  logger: Logger,
  process: boolean,
): Promise<DeadlineScheduler> {
  const { DeadlineScheduler } = await import('./scheduler/scheduler.js');
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
    horizonMs: config.scheduler.horizonMs,
    health: db.health,
  });
  logger.info(
    { store: scheduler.store, processing: process },
    scheduler.store === 'mongodb'
      ? 'scheduler: Agenda on MongoDB (MONGODB_URL)'
      : 'scheduler: Agenda on PostgreSQL (no MONGODB_URL set)',
  );
  return scheduler;
}

/** The URL without its password, for messages. */
function shown(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable URL)';
  }
}

/** DATABASE_URL must answer before anything else is tried: one line naming the variable if not. */
async function checkReachable(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('select 1');
  } catch (err) {
    throw new StartupError(
      `Cannot reach the database at DATABASE_URL (${shown(url)}): ${(err as Error).message}. Is PostgreSQL running there, and may this user connect to that database?`,
    );
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * The database's URL: DATABASE_URL, checked to answer, or the embedded PostgreSQL of the data folder,
 * started (or found running) and registered in `res` to be let go of last.
 */
async function databaseUrl(config: Config, logger: Logger, res: Resources): Promise<string> {
  if (config.databaseUrl) {
    await checkReachable(config.databaseUrl);
    return config.databaseUrl;
  }
  const { startEmbeddedPostgres } = await import('./db/embedded.js');
  const embedded = await startEmbeddedPostgres({
    dir: path.join(config.dataDir, 'pg'),
    port: config.embeddedPgPort,
    persistent: true,
    logger,
  });
  res.add('embedded PostgreSQL', () => embedded.stop());
  forceStops.push(() => embedded.stopNow());
  embeddedOf.set(embedded.url, embedded);
  return embedded.url;
}
const embeddedOf = new Map<string, EmbeddedDatabase>();

/**
 * The database a command works on, its pool and its health monitor, each registered in `res` to be
 * stopped in order (the embedded server last).
 */
async function openDatabase(config: Config, logger: Logger, res: Resources): Promise<Database> {
  const url = await databaseUrl(config, logger, res);
  const embedded = embeddedOf.get(url);
  const [{ initOrm }, { DatabaseHealth }] = await Promise.all([
    import('./db/orm.js'),
    import('./db/health.js'),
  ]);
  const orm = await initOrm(
    url,
    logger,
    config.dbPoolMax,
    config.env !== 'production' || config.logLevel === 'trace',
  );
  res.add('database pool', () => orm.close());
  const health = new DatabaseHealth({
    url,
    logger,
    revive: embedded ? () => embedded.ensureRunning() : undefined,
  });
  await health.start();
  res.add('database health monitor', () => health.close());
  return { orm, url, embedded, health };
}

/** `docket token <email>`: one query, no ORM. */
async function printToken(config: Config, logger: Logger, res: Resources, email: string): Promise<number> {
  const url = await databaseUrl(config, logger, res);
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => {});
  await client.connect();
  res.add('database connection', () => client.end());
  const found = await client
    .query<{ id: string }>('select id from app_user where email = $1', [email])
    .catch((err: { code?: string }) => {
      if (err.code !== '42P01') throw err; // undefined_table: a database never migrated
      return undefined;
    });
  if (!found) {
    console.error('This database has no users yet: start the server once (npm start) or run "npm run seed"');
    return 1;
  }
  const { rows } = found;
  if (!rows[0]) {
    console.error(`No user ${email}. Seeded users: run "npm run seed", then try alice@docket.local`);
    return 1;
  }
  const { signUserToken } = await import('./access/jwt.js');
  console.log(await signUserToken(config, rows[0].id));
  return 0;
}

/** Synchronous last resorts for a forced exit (the embedded server this process started). */
const forceStops: (() => void)[] = [];

async function serve(
  config: Config,
  logger: Logger,
  res: Resources,
  stop: Promise<unknown>,
): Promise<number> {
  const db = await openDatabase(config, logger, res);
  const [orm, seed, app, schema, deadlines] = await Promise.all([
    import('./db/orm.js'),
    import('./seed/demo-data.js'),
    import('./server/app.js'),
    import('./server/schema.js'),
    import('./scheduler/process-deadlines.js'),
  ]);
  const { migrate } = orm;
  const { loadDemoData, loadPresets } = seed;
  const { startServer } = app;
  const { buildDocketSchema } = schema;
  const { ticketsWithDeadlines } = deadlines;
  if (config.migrateOnStart) {
    const applied = await migrate(db.orm);
    if (applied.length) logger.info({ applied }, 'applied migrations');
  }
  await loadPresets(db.orm.em.fork(), systemClock);
  if (config.demoData) {
    const { tickets } = await loadDemoData(db.orm.em.fork(), systemClock);
    logger.info({ newTickets: tickets }, 'demo data loaded (DEMO_DATA)');
  }
  const scheduler = await createScheduler(config, db, logger, config.schedulerInProcess);
  const notifications = await createNotifications(config, db, logger, scheduler, config.schedulerInProcess);
  res.add('scheduler', () => scheduler.stop());
  await scheduler.start();
  // Stopped before the scheduler: no more deriving or claiming; sends in flight are recorded.
  res.add('notifications', () => notifications.stop());
  await notifications.start();
  await startInboundSmtp(config, db, logger, scheduler, res, 'serve');
  if (config.demoData) await scheduler.sync(await ticketsWithDeadlines(db.orm.em.fork()));
  const server = await startServer(
    {
      config,
      orm: db.orm,
      schema: await buildDocketSchema(),
      clock: systemClock,
      logger,
      scheduler,
      health: db.health,
    },
    { port: config.port, host: config.host },
  );
  // Stopped first: no new requests or subscriptions, in-flight ones drained, sockets closed (1001).
  res.add('server', () => server.close());
  logger.info({ url: server.url }, `Docket is serving GraphQL at ${server.url}`);
  logOps(config, logger, server.metricsUrl);
  await stop;
  return 0;
}

async function worker(
  config: Config,
  logger: Logger,
  res: Resources,
  stop: Promise<unknown>,
): Promise<number> {
  const db = await openDatabase(config, logger, res);
  const { migrate } = await import('./db/orm.js');
  if (config.migrateOnStart) await migrate(db.orm);
  const scheduler = await createScheduler(config, db, logger, true);
  const notifications = await createNotifications(config, db, logger, scheduler, true);
  res.add('scheduler', () => scheduler.stop());
  await scheduler.start();
  res.add('notifications', () => notifications.stop());
  await notifications.start();
  await startInboundSmtp(config, db, logger, scheduler, res, 'worker');
  // A worker serves no HTTP: its metrics are on METRICS_PORT only.
  let metricsUrl: string | undefined;
  if (config.ops.metrics.enabled) {
    const { watchPool } = await import('./db/pool-metrics.js');
    const unwatch = watchPool(db.orm, config.dbPoolMax);
    res.add('pool metrics', async () => unwatch());
  }
  if (config.ops.metrics.exposure === 'port') {
    const { startMetricsServer } = await import('./ops/metrics-endpoint.js');
    const metrics = await startMetricsServer(config.ops.metrics, logger);
    res.add('metrics server', () => metrics.close());
    metricsUrl = metrics.url;
  }
  logger.info('Docket worker is running the scheduler');
  logOps(config, logger, metricsUrl);
  await stop;
  return 0;
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

/** Runs one command; returns its exit code. Whatever it started is stopped by the caller. */
async function command(
  name: string,
  args: string[],
  config: Config,
  logger: Logger,
  res: Resources,
  stop: Promise<unknown>,
): Promise<number> {
  const database = async () => (await openDatabase(config, logger, res)).orm;
  const migrations = () => import('./db/orm.js');
  switch (name) {
    case 'serve':
      return serve(config, logger, res, stop);
    case 'worker':
      return worker(config, logger, res, stop);
    case 'migrate': {
      const applied = await (await migrations()).migrate(await database());
      logger.info({ applied }, applied.length ? 'applied migrations' : 'no pending migrations');
      return 0;
    }
    case 'seed': {
      const orm = await database();
      await (await migrations()).migrate(orm);
      const { loadDemoData } = await import('./seed/demo-data.js');
      const { tickets } = await loadDemoData(orm.em.fork(), systemClock);
      logger.info({ newTickets: tickets }, 'demo data loaded');
      return 0;
    }
    case 'migration:create': {
      const orm = await database();
      await (await migrations()).migrate(orm);
      const created = await orm.getMigrator().createMigration();
      console.log(
        created.fileName
          ? `wrote migrations/${created.fileName}; add it to migrations/index.ts`
          : 'no entity changes',
      );
      return 0;
    }
    case 'token': {
      const email = args[0];
      if (!email) {
        console.error('usage: docket token <email>   (e.g. alice@docket.local)');
        return 2;
      }
      return printToken(config, logger, res, email);
    }
    case 'apikey': {
      const { apiKeyCommand } = await import('./access/api-key-cli.js');
      return apiKeyCommand((await database()).em.fork(), args);
    }
    default:
      console.error(USAGE);
      return 2;
  }
}

/** One line for the terminal: the message, and its cause's when it adds something. */
function oneLine(err: unknown): string {
  if (err instanceof StartupError || err instanceof ConfigError) return err.message;
  const error = err as Error & { code?: string; port?: number };
  if (error.code === 'EADDRINUSE')
    return `PORT ${error.port} is already in use (another Docket, or another program, listens there): stop it or set PORT`;
  const cause = error.cause as Error | undefined;
  return `${error.message}${cause?.message && !error.message.includes(cause.message) ? ` (${cause.message})` : ''}`;
}

async function main(argv: string[]): Promise<number> {
  const [name = 'serve', ...args] = argv;
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      return 1;
    }
    throw err;
  }
  // Commands that print a result for scripts (TOKEN=$(npm run -s token …)) log to stderr, and only
  // warnings unless LOG_LEVEL asks for more.
  const printsResult = name === 'token' || name === 'apikey';
  const logger = createLogger(printsResult && !process.env.LOG_LEVEL ? 'warn' : config.logLevel, {
    toStderr: printsResult,
  });
  const signals = takeSignals(logger, () => forceStops.forEach((f) => f()));
  const res = new Resources(logger);
  // Stopped last: the spans of the shutdown itself are sent too (main.ts started tracing, if on).
  res.add('tracing', async () => {
    const lost = await stopTracing();
    if (lost) logger.warn({ reason: lost }, 'the last spans could not be sent to the collector');
  });
  let code: number;
  try {
    // A signal during start-up stops the command once start-up is done (serve and worker wait for it);
    // if that takes longer than the stop budget, the signal handler forces the exit.
    code = await command(name, args, config, logger, res, signals.requested);
  } catch (err) {
    console.error(`docket: ${oneLine(err)}`);
    logger.debug({ err }, 'the command failed');
    code = 1;
  }
  await res.stopAll();
  if (name === 'serve' || name === 'worker') logger.info('stopped');
  return code;
}

// Agenda leaves a timer running after a job ran (see docs/SCHEDULER.md): exit explicitly once stopped.
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`docket: ${oneLine(err)}`);
    process.exit(1);
  },
);
