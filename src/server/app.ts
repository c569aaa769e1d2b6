import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { unwrapResolverError } from '@apollo/server/errors';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import { GraphQLError, type GraphQLSchema } from 'graphql';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { actorKindOf, type Actor } from '../access/actor.js';
import { verifyUserToken } from '../access/jwt.js';
import type { Config } from '../config.js';
import { statementCounter, pendingMigrations, type MikroORM } from '../db/orm.js';
import type { Clock } from '../shared/clock.js';
import type { Role } from '../shared/enums.js';
import { DomainError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { RequestContext } from './context.js';
import { UUID } from './global-id.js';
import { createLoaders } from './loaders.js';
import type { DeadlineScheduler } from '../scheduler/scheduler.js';
import { readRows } from '../db/read.js';

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
  const [scheme, token] = header.split(' ');
  if (scheme?.toLowerCase() !== 'bearer' || !token)
    throw unauthenticated('Send the token as "Authorization: Bearer <token>"');
  const check = await verifyUserToken(deps.config, token);
  if (!check.ok)
    throw unauthenticated(
      check.reason === 'expired' ? 'Your token has expired: sign in again' : 'Your token is not valid',
    );
  if (!UUID.test(check.userId)) throw unauthenticated('Your token is not valid');
  const [user] = await readRows<{ role: Role; tier: number | null; organization_id: string | null }>(
    em,
    'select role, tier, organization_id from app_user where id = ?',
    [check.userId],
  );
  if (!user) throw unauthenticated('Your token names a user that does not exist');
  return {
    kind: actorKindOf(user.role),
    userId: check.userId,
    organizationId: user.organization_id ?? undefined,
    tier: user.tier ?? undefined,
  };
}

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
  opts: { port: number; host: string },
): Promise<RunningServer> {
  const { config, orm, logger } = deps;
  const app = express();
  const httpServer = http.createServer(app);

  const apollo = new ApolloServer<RequestContext>({
    schema: deps.schema,
    introspection: config.env !== 'production',
    includeStacktraceInErrorResponses: false,
    csrfPrevention: true,
    // main.ts owns SIGINT/SIGTERM: drain HTTP, then close the database, then stop.
    stopOnTerminationSignals: false,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      // Docket sets no cache hints; the implicit cache-control plugin would wrap every field resolution.
      ApolloServerPluginCacheControlDisabled(),
      requestLogPlugin(deps),
    ],
    formatError: (formatted, error) => {
      const original = unwrapResolverError(error);
      if (original instanceof DomainError) return { ...formatted, extensions: { code: original.code } };
      if (original instanceof GraphQLError || formatted.extensions?.code !== 'INTERNAL_SERVER_ERROR')
        return formatted;
      logger.error({ err: original, path: formatted.path }, 'unexpected error in a GraphQL operation');
      return {
        message: 'Internal server error',
        path: formatted.path,
        extensions: { code: 'INTERNAL_SERVER_ERROR' },
      };
    },
  });
  await apollo.start();

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
    express.json({ limit: '1mb' }),
    expressMiddleware(apollo, {
      context: async ({ req }) => {
        const em = orm.em.fork();
        const actor = await resolveActor(deps, req.headers.authorization, em);
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

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(opts.port, opts.host, () => resolve());
  });
  const port = (httpServer.address() as AddressInfo).port;
  const shownHost = opts.host === '0.0.0.0' || opts.host === '::' ? 'localhost' : opts.host;
  return {
    url: `http://${shownHost}:${port}/graphql`,
    port,
    close: async () => {
      await apollo.stop();
    },
  };
}
