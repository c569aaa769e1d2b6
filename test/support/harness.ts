import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print, type GraphQLSchema } from 'graphql';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { signUserToken } from '../../src/access/jwt.js';
import { loadConfig, type Config } from '../../src/config.js';
import { initOrm, migrate, type MikroORM } from '../../src/db/orm.js';
import { User } from '../../src/directory/user.entity.js';
import { loadDemoData, loadPresets } from '../../src/seed/demo-data.js';
import { startServer, type RunningServer } from '../../src/server/app.js';
import { buildDocketSchema } from '../../src/server/schema.js';
import { ManualClock, systemClock, type Clock } from '../../src/shared/clock.js';
import { createLogger } from '../../src/shared/logger.js';
import { DeadlineScheduler } from '../../src/scheduler/scheduler.js';
import { Notifications } from '../../src/notify/notifier.js';
import { Webhooks } from '../../src/webhooks/webhooks.js';
import type { LookupAddress } from 'node:dns';

/**
 * A real Docket server on a real, freshly migrated PostgreSQL database of its own,
 * reached over HTTP like any client. One per test file.
 */
export interface TestServer {
  url: string;
  server: RunningServer;
  databaseUrl: string;
  orm: MikroORM;
  scheduler?: DeadlineScheduler;
  /** With a scheduler: notifications (running only with `notifications: true` and scheduler 'process'). */
  notifications?: Notifications;
  /** With a scheduler: webhooks (deriving and sending with `webhooks: true` and scheduler 'process'). */
  webhooks?: Webhooks;
  config: Config;
  clock: Clock;
  /** Sends a GraphQL operation; `token` is a bearer token (or undefined for anonymous). */
  gql<R, V>(doc: TypedDocumentNode<R, V> | string, variables?: V, token?: string): Promise<GqlResponse<R>>;
  tokenFor(email: string): Promise<string>;
  sql<T extends pg.QueryResultRow = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

export interface GqlResponse<R> {
  status: number;
  data?: R;
  errors?: { message: string; path?: string[]; extensions?: { code?: string } }[];
  extensions?: { sqlStatements?: number };
}

let schemaPromise: Promise<GraphQLSchema> | undefined;

export async function startTestServer(
  /** scheduler: 'process' runs the real scheduler in-process; 'schedule' only writes jobs (workers run them). */
  opts: {
    demoData?: boolean;
    clock?: Clock;
    scheduler?: 'process' | 'schedule';
    /** More configuration variables (e.g. REALTIME_BUFFER, JWT_TTL, SMTP_URL). */
    env?: Record<string, string>;
    /** Derive and send notifications (needs scheduler 'process'); off by default. */
    notifications?: boolean;
    /** The scheduler's horizon (ms); the configured default (SCHEDULER_HORIZON_MS) otherwise. */
    horizonMs?: number;
    /** Derive and send webhooks (needs scheduler 'process'); off by default. */
    webhooks?: boolean;
    /** Name resolution for webhook calls (SSRF tests resolve names without DNS). */
    lookup?: (hostname: string) => Promise<LookupAddress[]>;
  } = {},
): Promise<TestServer> {
  const adminUrl = process.env.DOCKET_TEST_ADMIN_URL!;
  const name = `docket_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;

  const config = loadConfig({
    NODE_ENV: 'test',
    JWT_SECRET: 'test-secret-test-secret-test-secret-1234',
    DATABASE_URL: url.toString(),
    LOG_LEVEL: 'silent',
    // Counted, but high enough for suites that write thousands of changes as one user.
    RATE_LIMIT_USER_PER_MINUTE: '1000000',
    RATE_LIMIT_KEY_PER_MINUTE: '1000000',
    NOTIFICATIONS: opts.notifications ? 'on' : 'off',
    // Short outbox timings for tests.
    OUTBOX_SWEEP_MS: '500',
    // Long enough that a slow send on a busy machine is not taken for a dead worker's.
    OUTBOX_LEASE_MS: '20000',
    NOTIFY_RETRY_MS: '100',
    NOTIFY_RETRY_MAX_MS: '400',
    WEBHOOKS: opts.webhooks ? 'on' : 'off',
    // Receivers in tests listen on 127.0.0.1.
    WEBHOOK_ALLOW_PRIVATE: 'true',
    WEBHOOK_RETRY_MS: '100',
    WEBHOOK_RETRY_MAX_MS: '800',
    ...opts.env,
  });
  const logger = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
  const orm = await initOrm(url.toString(), logger, 10);
  await migrate(orm);
  const clock = opts.clock ?? systemClock;
  if (opts.demoData ?? true) await loadDemoData(orm.em.fork(), clock);
  else await loadPresets(orm.em.fork(), clock);
  schemaPromise ??= buildDocketSchema();
  // The real scheduler (Agenda on this PostgreSQL), polling often and locking briefly for tests.
  const scheduler = opts.scheduler
    ? new DeadlineScheduler({
        databaseUrl: url.toString(),
        process: opts.scheduler === 'process',
        name: `test-${name}`,
        em: orm.em.fork(),
        clock,
        logger,
        processEveryMs: 500,
        lockLifetimeMs: 3000,
        sweepGraceMs: 200,
        horizonMs: opts.horizonMs ?? config.scheduler.horizonMs,
      })
    : undefined;
  const notifications = scheduler
    ? new Notifications({
        config,
        em: orm.em.fork(),
        databaseUrl: url.toString(),
        scheduler,
        clock,
        logger,
        owner: `test-${name}`,
        process: opts.scheduler === 'process',
      })
    : undefined;
  const webhooks =
    scheduler && notifications
      ? new Webhooks({
          config,
          em: orm.em.fork(),
          databaseUrl: url.toString(),
          dispatcher: notifications.dispatcher,
          clock,
          logger,
          process: opts.scheduler === 'process',
          lookup: opts.lookup,
        })
      : undefined;
  await scheduler?.start();
  await notifications?.start();
  await webhooks?.start();
  const server: RunningServer = await startServer(
    { config, orm, schema: await schemaPromise, clock, logger, scheduler },
    { port: 0, host: '127.0.0.1' },
  );
  const pool = new pg.Pool({ connectionString: url.toString(), max: 2 });

  return {
    url: server.url,
    server,
    databaseUrl: url.toString(),
    orm,
    scheduler,
    notifications,
    webhooks,
    config,
    clock,
    async gql(doc, variables, token) {
      const res = await fetch(server.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify({ query: typeof doc === 'string' ? doc : print(doc), variables }),
      });
      const body = (await res.json()) as GqlResponse<never>;
      return { ...body, status: res.status };
    },
    async tokenFor(email) {
      const user = await orm.em.fork().findOneOrFail(User, { email });
      return signUserToken(config, user.id);
    },
    async sql(text, params) {
      return (await pool.query(text, params)).rows;
    },
    async close() {
      await server.close();
      await webhooks?.stop();
      await notifications?.stop();
      await scheduler?.stop();
      await pool.end();
      await orm.close();
    },
  };
}

export { ManualClock };

/** The global id the API shows for a row id. */
export const gid = (type: string, uuid: string) => Buffer.from(`${type}:${uuid}`).toString('base64url');

/** The row id behind a global id. */
export const uuidOf = (globalId: string) =>
  Buffer.from(globalId, 'base64url').toString('utf8').split(':')[1]!;
