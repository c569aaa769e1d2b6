import { ApolloServer, HeaderMap, type ApolloServerPlugin } from '@apollo/server';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { unwrapResolverError } from '@apollo/server/errors';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import { GraphQLError, type GraphQLSchema } from 'graphql';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Actor } from '../access/actor.js';
import { authenticate } from '../access/authenticate.js';
import type { Config } from '../config.js';
import { DatabaseHealth } from '../db/health.js';
import { statementCounter, pendingMigrations, type MikroORM } from '../db/orm.js';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import { publicError, RETRY_AFTER_SECONDS, SERVICE_UNAVAILABLE_MESSAGE } from './public-error.js';
import { idempotencyPlugin } from './idempotency.js';
import { specStatusPlugin } from './http-status.js';
import { nestingProblem } from './nesting.js';
import { startWebSocketServer } from './ws.js';
import { RateLimits, limitRules, limitsPlugin } from './limits.js';
import { Realtime } from '../events/realtime.js';
import type { RequestContext } from './context.js';
import { createLoaders } from './loaders.js';
import type { DeadlineScheduler } from '../scheduler/scheduler.js';
import { surveyRouter } from '../notify/survey-page.js';
import { watchPool } from '../db/pool-metrics.js';
import { mountBrowserPages } from '../ops/browser-pages.js';
import { handleScrape, startMetricsServer, type MetricsServer } from '../ops/metrics-endpoint.js';
import { graphqlMetricsPlugin, httpMetrics } from './metrics.js';
import { attachmentRouter } from '../attachments/http-routes.js';
import { PgAttachmentStore, type AttachmentStore } from '../attachments/store.js';
import { inboundRouter } from '../inbound/http-endpoint.js';

export interface AppDeps {
  config: Config;
  scheduler?: DeadlineScheduler;
  /** The process's database health monitor (absent: the server makes and closes its own). */
  health?: DatabaseHealth;
  orm: MikroORM;
  schema: GraphQLSchema;
  clock: Clock;
  logger: Logger;
  /** Where attachment contents are kept (default: PostgreSQL). */
  attachmentStore?: AttachmentStore;
}

export interface RunningServer {
  url: string;
  port: number;
  realtime: Realtime;
  /** Where Prometheus scrapes: `/metrics` on this port, on METRICS_PORT, or nowhere (docs/OPERATIONS.md). */
  metricsUrl?: string;
  close(): Promise<void>;
}

const SIGN_IN = 'Sign in: send "Authorization: Bearer <token>"';

const unauthenticated = (message: string) =>
  new GraphQLError(message, { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });

/** During a database outage: typed, HTTP 503 with Retry-After, before anything waits on a pool. */
const serviceUnavailable = () =>
  new GraphQLError(SERVICE_UNAVAILABLE_MESSAGE, {
    extensions: {
      code: 'SERVICE_UNAVAILABLE',
      http: { status: 503, headers: new HeaderMap([['retry-after', String(RETRY_AFTER_SECONDS)]]) },
    },
  });

/** A response that carries SERVICE_UNAVAILABLE (a query that met the outage mid-way) is a 503 too. */
const outageStatusPlugin: ApolloServerPlugin<RequestContext> = {
  async requestDidStart() {
    return {
      async willSendResponse({ response }) {
        if (
          response.body.kind === 'single' &&
          response.body.singleResult.errors?.some((e) => e.extensions?.code === 'SERVICE_UNAVAILABLE')
        ) {
          response.http.status = 503;
          response.http.headers.set('retry-after', String(RETRY_AFTER_SECONDS));
        }
      },
    };
  },
};

/** Resolves the caller from `Authorization: Bearer <jwt>`; a bad token is refused, not treated as anonymous. */
async function resolveActor(
  deps: AppDeps,
  header: string | undefined,
  em: RequestContext['em'],
): Promise<Actor | undefined> {
  if (!header) return undefined;
  const auth = await authenticate(deps.config, header, em, deps.clock.now());
  if (!auth.ok) throw unauthenticated(auth.message);
  return auth.actor;
}

/** The request's operation(s): the JSON body of a POST, the query string of a GET. */
function operationsOf(req: express.Request): unknown[] {
  if (req.method !== 'GET') return Array.isArray(req.body) ? req.body : [req.body];
  const { query, variables, extensions } = req.query as Record<string, unknown>;
  const json = (v: unknown) => {
    if (typeof v !== 'string') return v;
    try {
      return JSON.parse(v) as unknown;
    } catch {
      return undefined; // Apollo answers malformed JSON itself
    }
  };
  return [{ query, variables: json(variables), extensions: json(extensions) }];
}

/** A request nested too deep is refused before it is parsed or coerced (src/server/nesting.ts). */
function refuseDeepRequests(req: express.Request, res: express.Response, next: express.NextFunction) {
  for (const op of operationsOf(req)) {
    const problem = op && typeof op === 'object' ? nestingProblem(op) : undefined;
    if (problem) {
      res.status(400).json({ errors: [{ message: problem, extensions: { code: 'BAD_REQUEST' } }] });
      return;
    }
  }
  next();
}

/**
 * No credential, no operation (docs/ACCESS.md): every operation, `{ __typename }` and introspection
 * included, answers 401 UNAUTHENTICATED before it runs (once it is known, so it is counted by name).
 */
const refuseAnonymous: ApolloServerPlugin<RequestContext> = {
  async requestDidStart() {
    return {
      async didResolveOperation({ contextValue }) {
        if (!contextValue.actor) throw unauthenticated(SIGN_IN);
      },
    };
  },
};

/** A subscription sent over HTTP is answered with where to send it instead. */
const subscriptionsOverWebSocket: ApolloServerPlugin<RequestContext> = {
  async requestDidStart() {
    return {
      async didResolveOperation({ operation }) {
        if (operation?.operation === 'subscription')
          throw new GraphQLError(
            'Subscriptions run over a WebSocket (graphql-ws protocol) on this same /graphql: see docs/REALTIME.md',
            { extensions: { code: 'BAD_REQUEST', http: { status: 400 } } },
          );
      },
    };
  },
};

/** One line per request at debug; the statement count outside production (for the N+1 guard). */
function requestLogPlugin(deps: AppDeps): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart({ request }) {
      const started = performance.now();
      return {
        async willSendResponse({ response, errors }) {
          const statements = statementCounter.getStore()?.count;
          if (
            deps.config.env !== 'production' &&
            response.body.kind === 'single' &&
            statements !== undefined
          ) {
            response.body.singleResult.extensions = {
              ...response.body.singleResult.extensions,
              sqlStatements: statements,
            };
          }
          deps.logger.debug(
            {
              operation: request.operationName,
              ms: Math.round(performance.now() - started),
              statements,
              errors: errors?.length ?? 0,
            },
            'graphql request',
          );
        },
      };
    },
  };
}

export async function startServer(
  deps: AppDeps,
  opts: {
    port: number;
    host: string;
    /** Benchmarks only: every HTTP request runs as this actor, with no authentication. */
    actorOverride?: Actor;
  },
): Promise<RunningServer> {
  const { config, orm, logger } = deps;
  const metrics = config.ops.metrics;
  const ownHealth = deps.health
    ? undefined
    : new DatabaseHealth({ url: orm.config.get('clientUrl')!, logger });
  await ownHealth?.start();
  const health = (deps.health ?? ownHealth)!;
  const app = express();
  const httpServer = http.createServer(app);
  if (metrics.enabled) app.use(httpMetrics);

  const rateLimits = new RateLimits(orm.em.getKnex(), config.limits, logger);
  const apollo = new ApolloServer<RequestContext>({
    schema: deps.schema,
    // Refused, when INTROSPECTION=off, by a validation rule of limitRules (its message says what to do).
    introspection: true,
    validationRules: limitRules(config.limits),
    // Apollo's own messages ("Unexpected error processing request") go to the log, not the console.
    logger: {
      debug: (m: string) => logger.debug(m),
      info: (m: string) => logger.info(m),
      warn: (m: string) => logger.warn(m),
      error: (m: string) => logger.error(m),
    },
    // One operation per request: a JSON array of operations is refused (400).
    allowBatchedHttpRequests: false,
    includeStacktraceInErrorResponses: false,
    csrfPrevention: true,
    // main.ts owns SIGINT/SIGTERM: drain HTTP, then close the database, then stop.
    stopOnTerminationSignals: false,
    plugins: [
      // In-flight requests get 5 s to finish at shutdown, inside the 10 s stop budget (main.ts).
      ApolloServerPluginDrainHttpServer({ httpServer, stopGracePeriodMillis: 5000 }),
      outageStatusPlugin,
      specStatusPlugin,
      // Docket sets no cache hints; the implicit cache-control plugin would wrap every field resolution.
      ApolloServerPluginCacheControlDisabled(),
      // Browsers get Docket's own GraphiQL (ops/browser-pages.ts), not Apollo's landing page from a CDN.
      ApolloServerPluginLandingPageDisabled(),
      ...(metrics.enabled ? [graphqlMetricsPlugin] : []),
      idempotencyPlugin(deps),
      requestLogPlugin(deps),
      refuseAnonymous,
      subscriptionsOverWebSocket,
      limitsPlugin(config.limits, rateLimits),
    ],
    formatError: (formatted, error) => publicError(formatted, unwrapResolverError(error), logger, health),
  });
  await apollo.start();

  // First among the scrape hooks: the pool is read before the others borrow connections from it.
  const unwatchPool = metrics.enabled ? watchPool(orm, config.dbPoolMax) : undefined;
  // Subscriptions: this process's feed of the event log, and graphql-ws on the same port and path.
  const realtime = new Realtime({
    em: orm.em.fork(),
    databaseUrl: orm.config.get('clientUrl')!,
    logger,
    now: () => deps.clock.now(),
    pollMs: config.realtime.pollMs,
    maxBuffered: config.realtime.maxBuffered,
  });
  await realtime.start();
  // When the database is back, read what committed meanwhile at once (the feed also polls).
  const unwatch = health.onChange((up) => up && realtime.feed.wake());
  let metricsServer: MetricsServer | undefined;
  if (metrics.exposure === 'main')
    app.get('/metrics', (req, res) => void handleScrape(req, res, metrics.token, logger));
  else if (metrics.exposure === 'port') metricsServer = await startMetricsServer(metrics, logger);
  mountBrowserPages(app, config.ops, logger);

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  // Readiness for load balancers: 503 while the database is unreachable (answered at once from the
  // health monitor) or migrations are pending. Liveness (/healthz) stays 200 through an outage.
  const unreachable = (res: express.Response) =>
    res
      .status(503)
      .set('retry-after', String(RETRY_AFTER_SECONDS))
      .json({ status: 'database unreachable', database: 'down', downForSeconds: health.downForSeconds });
  app.get('/readyz', async (_req, res) => {
    if (!health.up) return void unreachable(res);
    try {
      const pending = await pendingMigrations(orm);
      if (pending) res.status(503).json({ status: 'migrations pending', database: 'up', pending });
      else res.json({ status: 'ready', database: 'up' });
    } catch (err) {
      if (!health.report(err)) logger.warn({ err }, 'readiness check failed');
      unreachable(res);
    }
  });

  // The landing page of satisfaction-survey links (src/notify/survey-page.ts).
  app.use('/satisfaction', surveyRouter({ config, orm, clock: deps.clock, logger }));
  // Signed attachment downloads, and raw mail by HTTP when INBOUND_HTTP_TOKEN is set (docs/INBOUND.md).
  const attachmentStore = deps.attachmentStore ?? new PgAttachmentStore();
  app.use(
    '/attachments',
    attachmentRouter({ orm, config: config.attachments, store: attachmentStore, clock: deps.clock, logger }),
  );
  if (config.inbound.httpToken)
    app.use(
      '/inbound',
      (_req, res, next) => (health.up ? next() : unreachable(res)),
      inboundRouter({
        em: orm.em,
        config,
        clock: deps.clock,
        logger,
        store: attachmentStore,
        scheduler: deps.scheduler,
      }),
    );

  app.use(
    '/graphql',
    // Statement counting (the N+1 guard's window) is for development and tests only.
    config.env === 'production'
      ? (_req, _res, next) => next()
      : (_req, _res, next) => statementCounter.run({ count: 0 }, next),
    express.json({ limit: config.limits.maxBodyBytes }),
    refuseDeepRequests,
    expressMiddleware(apollo, {
      context: async ({ req }) => {
        if (!health.up) throw serviceUnavailable();
        const em = orm.em.fork();
        let actor: Actor | undefined;
        try {
          actor = opts.actorOverride ?? (await resolveActor(deps, req.headers.authorization, em));
        } catch (err) {
          if (health.report(err)) throw serviceUnavailable();
          throw err;
        }
        return {
          actor,
          em,
          loaders: createLoaders(em),
          clock: deps.clock,
          config,
          logger,
          scheduler: deps.scheduler,
        };
      },
    }),
  );

  // A body too large or not JSON: a GraphQL-shaped error, never Express's HTML page with a stack.
  app.use(
    (
      err: { status?: number; type?: string },
      _req: express.Request,
      res: express.Response,
      next: express.NextFunction,
    ) => {
      if (!err || typeof err.status !== 'number' || err.status >= 500) return next(err);
      const tooLarge = err.type === 'entity.too.large';
      res.status(err.status).json({
        errors: [
          {
            message: tooLarge
              ? `The request body is larger than ${config.limits.maxBodyBytes} bytes`
              : 'The request body is not valid JSON',
            extensions: { code: tooLarge ? 'PAYLOAD_TOO_LARGE' : 'BAD_REQUEST' },
          },
        ],
      });
    },
  );

  // Anything else that escaped: never Express's HTML page with a stack.
  app.use((err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    if (health.report(err)) {
      res.status(503).set('retry-after', String(RETRY_AFTER_SECONDS));
      res.json({
        errors: [{ message: SERVICE_UNAVAILABLE_MESSAGE, extensions: { code: 'SERVICE_UNAVAILABLE' } }],
      });
      return;
    }
    logger.error({ err }, 'unexpected error in an HTTP request');
    res.status(500).json({
      errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }],
    });
  });

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(opts.port, opts.host, () => resolve());
  }).catch(async (err: unknown) => {
    unwatch();
    await apollo.stop().catch(() => {});
    await realtime.close();
    unwatchPool?.();
    await metricsServer?.close();
    await ownHealth?.close();
    throw err;
  });
  // Only once the port is ours (graphql-ws would print a port in use as its own internal error).
  const ws = startWebSocketServer({ ...deps, health, httpServer, realtime, rateLimits });
  const port = (httpServer.address() as AddressInfo).port;
  const shownHost = opts.host === '0.0.0.0' || opts.host === '::' ? 'localhost' : opts.host;
  return {
    url: `http://${shownHost}:${port}/graphql`,
    port,
    realtime,
    metricsUrl:
      metricsServer?.url ?? (metrics.exposure === 'main' ? `http://${shownHost}:${port}/metrics` : undefined),
    close: async () => {
      unwatch();
      await ws.dispose();
      await apollo.stop();
      await realtime.close();
      unwatchPool?.();
      await metricsServer?.close();
      await ownHealth?.close();
    },
  };
}
