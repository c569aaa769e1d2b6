import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
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
import { statementCounter, pendingMigrations, type MikroORM } from '../db/orm.js';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import { publicError } from './public-error.js';
import { idempotencyPlugin } from './idempotency.js';
import { startWebSocketServer } from './ws.js';
import { RateLimits, limitRules, limitsPlugin } from './limits.js';
import { Realtime } from '../events/realtime.js';
import type { RequestContext } from './context.js';
import { createLoaders } from './loaders.js';
import type { DeadlineScheduler } from '../scheduler/scheduler.js';
import { watchPool } from '../db/pool-metrics.js';
import { mountBrowserPages } from '../ops/browser-pages.js';
import { handleScrape, startMetricsServer, type MetricsServer } from '../ops/metrics-endpoint.js';
import { graphqlMetricsPlugin, httpMetrics } from './metrics.js';

export interface AppDeps {
  config: Config;
  scheduler?: DeadlineScheduler;
  orm: MikroORM;
  schema: GraphQLSchema;
  clock: Clock;
  logger: Logger;
}

export interface RunningServer {
  url: string;
  port: number;
  realtime: Realtime;
  /** Where Prometheus scrapes: `/metrics` on this port, on METRICS_PORT, or nowhere (docs/OPERATIONS.md). */
  metricsUrl?: string;
  close(): Promise<void>;
}

const unauthenticated = (message: string) =>
  new GraphQLError(message, { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });

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
  const app = express();
  const httpServer = http.createServer(app);
  if (metrics.enabled) app.use(httpMetrics);

  const rateLimits = new RateLimits(orm.em.getKnex(), config.limits, logger);
  const apollo = new ApolloServer<RequestContext>({
    schema: deps.schema,
    introspection: config.limits.introspection,
    validationRules: limitRules(config.limits),
    // One operation per request: a JSON array of operations is refused (400).
    allowBatchedHttpRequests: false,
    includeStacktraceInErrorResponses: false,
    csrfPrevention: true,
    // main.ts owns SIGINT/SIGTERM: drain HTTP, then close the database, then stop.
    stopOnTerminationSignals: false,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      // Docket sets no cache hints; the implicit cache-control plugin would wrap every field resolution.
      ApolloServerPluginCacheControlDisabled(),
      // Browsers get Docket's own GraphiQL (ops/browser-pages.ts), not Apollo's landing page from a CDN.
      ApolloServerPluginLandingPageDisabled(),
      ...(metrics.enabled ? [graphqlMetricsPlugin] : []),
      idempotencyPlugin(deps),
      requestLogPlugin(deps),
      subscriptionsOverWebSocket,
      limitsPlugin(config.limits, rateLimits),
    ],
    formatError: (formatted, error) => publicError(formatted, unwrapResolverError(error), logger),
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
  const ws = startWebSocketServer({ ...deps, httpServer, realtime, rateLimits });
  let metricsServer: MetricsServer | undefined;
  if (metrics.exposure === 'main')
    app.get('/metrics', (req, res) => void handleScrape(req, res, metrics.token, logger));
  else if (metrics.exposure === 'port') metricsServer = await startMetricsServer(metrics, logger);
  mountBrowserPages(app, config.ops, logger);

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    try {
      await orm.em.fork().execute('select 1');
      const pending = await pendingMigrations(orm);
      if (pending) res.status(503).json({ status: 'migrations pending', pending });
      else res.json({ status: 'ready' });
    } catch (err) {
      logger.warn({ err }, 'readiness check failed');
      res.status(503).json({ status: 'database unreachable' });
    }
  });

  app.use(
    '/graphql',
    // Statement counting (the N+1 guard's window) is for development and tests only.
    config.env === 'production'
      ? (_req, _res, next) => next()
      : (_req, _res, next) => statementCounter.run({ count: 0 }, next),
    express.json({ limit: config.limits.maxBodyBytes }),
    expressMiddleware(apollo, {
      context: async ({ req }) => {
        const em = orm.em.fork();
        const actor = opts.actorOverride ?? (await resolveActor(deps, req.headers.authorization, em));
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

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(opts.port, opts.host, () => resolve());
  });
  const port = (httpServer.address() as AddressInfo).port;
  const shownHost = opts.host === '0.0.0.0' || opts.host === '::' ? 'localhost' : opts.host;
  return {
    url: `http://${shownHost}:${port}/graphql`,
    port,
    realtime,
    metricsUrl:
      metricsServer?.url ?? (metrics.exposure === 'main' ? `http://${shownHost}:${port}/metrics` : undefined),
    close: async () => {
      await ws.dispose();
      await apollo.stop();
      await realtime.close();
      unwatchPool?.();
      await metricsServer?.close();
    },
  };
}
