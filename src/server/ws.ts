import {
  createSourceEventStream,
  execute,
  GraphQLError,
  specifiedRules,
  validate,
  type ExecutionArgs,
  type ExecutionResult,
  type GraphQLSchema,
} from 'graphql';
import type { Disposable } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import type http from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Actor } from '../access/actor.js';
import { authenticate } from '../access/authenticate.js';
import { isStaff } from '../access/policy.js';
import type { Config } from '../config.js';
import type { MikroORM } from '../db/orm.js';
import { CloseCodes } from '../events/close-codes.js';
import type { Realtime } from '../events/realtime.js';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import type { RequestContext } from './context.js';
import { createLoaders } from './loaders.js';
import { publicError } from './public-error.js';
import { limitRules, operationCost, rateLimited, tooCostly, type RateLimits } from './limits.js';

export interface WsDeps {
  httpServer: http.Server;
  schema: GraphQLSchema;
  orm: MikroORM;
  config: Config;
  clock: Clock;
  logger: Logger;
  realtime: Realtime;
  rateLimits: RateLimits;
}

/** What a connection keeps from its connection_init. */
interface ConnectionState {
  actor: Actor;
  expiry?: NodeJS.Timeout;
}

type Extra = { socket: WebSocket; state?: ConnectionState };

/** The token from connectionParams: `{ authorization: "Bearer <jwt>" }` (or `Authorization`, or `token`). */
function tokenHeader(params: Record<string, unknown> | undefined): string | undefined {
  const v = params?.authorization ?? params?.Authorization;
  if (typeof v === 'string') return v;
  if (typeof params?.token === 'string') return `Bearer ${params.token}`;
  return undefined;
}

/**
 * Whose rights a pushed result was computed under: staff see the same data, a requester only theirs.
 * Results are shared only between subscribers with the same audience.
 */
const audienceKey = (actor: Actor) =>
  isStaff(actor) ? 'staff' : `${actor.kind}:${actor.kind === 'PARTNER' ? actor.partnerId : actor.userId}`;

/**
 * graphql-ws on the HTTP server's port and path. Authentication happens once, in connection_init, with
 * the same tokens as HTTP; a refused or expired token closes the socket with a Docket close code (and a
 * token expiring while connected closes it at that moment).
 *
 * Shared execution: a subscription's source stream yields the same event object to every subscriber
 * of this process, so the result of executing a document for an event is computed once per (document,
 * variables, audience) and handed to all of them (a WeakMap on the event: nothing to evict).
 */
export function startWebSocketServer(deps: WsDeps): Disposable {
  const { logger } = deps;
  const wss = new WebSocketServer({
    server: deps.httpServer,
    path: '/graphql',
    maxPayload: deps.config.limits.maxBodyBytes,
  });
  const shared = new WeakMap<object, Map<string, Promise<ExecutionResult>>>();

  const contextFor = (actor: Actor, socket: WebSocket): RequestContext => {
    const em = deps.orm.em.fork();
    return {
      actor,
      em,
      loaders: createLoaders(em),
      clock: deps.clock,
      config: deps.config,
      logger,
      realtime: {
        hub: deps.realtime,
        close: (code, reason) => socket.close(code, reason),
      },
    };
  };

  const rules = [...specifiedRules, ...limitRules(deps.config.limits)];
  const subscribe = async (args: ExecutionArgs) => {
    // The same limits as HTTP: operations per minute, then cost.
    const wait = await deps.rateLimits.consume((args.contextValue as RequestContext).actor);
    if (wait !== undefined) return { errors: [rateLimited(wait)] };
    const cost = operationCost(
      args.schema,
      args.document,
      args.variableValues ?? undefined,
      args.operationName ?? undefined,
    );
    if (cost !== undefined && cost > deps.config.limits.maxCost)
      return { errors: [tooCostly(cost, deps.config.limits.maxCost)] };
    const source = await createSourceEventStream(args);
    if (!(Symbol.asyncIterator in source)) return source;
    const ctx = args.contextValue as RequestContext;
    const groupKey = [
      audienceKey(ctx.actor!),
      args.operationName ?? '',
      args.document.loc?.source.body ?? '',
      JSON.stringify(args.variableValues ?? {}),
    ].join('\u0000');
    const run = (root: object): Promise<ExecutionResult> => {
      let byGroup = shared.get(root);
      if (!byGroup) shared.set(root, (byGroup = new Map()));
      let result = byGroup.get(groupKey);
      if (!result) {
        // A fresh entity manager and loaders per execution: nothing cached outlives one event.
        const em = deps.orm.em.fork();
        const contextValue: RequestContext = { ...ctx, em, loaders: createLoaders(em) };
        result = Promise.resolve(execute({ ...args, rootValue: root, contextValue }));
        byGroup.set(groupKey, result);
      }
      return result;
    };
    const it = source[Symbol.asyncIterator]();
    const mapped: AsyncIterableIterator<ExecutionResult> = {
      async next() {
        const n = await it.next();
        return n.done ? n : { done: false, value: await run(n.value as object) };
      },
      async return() {
        await it.return?.();
        return { done: true, value: undefined };
      },
      [Symbol.asyncIterator]() {
        return this;
      },
    };
    return mapped;
  };

  const mask = (errors: readonly GraphQLError[]) =>
    errors.map((e) => publicError(e.toJSON(), e.originalError ?? e, logger));

  const server = useServer<Record<string, unknown>, Extra>(
    {
      schema: deps.schema,
      validate: (schema, document) => validate(schema, document, rules),
      async onConnect(ctx) {
        const socket = ctx.extra.socket;
        const header = tokenHeader(ctx.connectionParams);
        if (!header) {
          socket.close(CloseCodes.TOKEN_INVALID, 'Send connectionParams { authorization: "Bearer <token>" }');
          return false;
        }
        const auth = await authenticate(deps.config, header, deps.orm.em.fork(), deps.clock.now());
        if (!auth.ok) {
          socket.close(
            auth.reason === 'expired' ? CloseCodes.TOKEN_EXPIRED : CloseCodes.TOKEN_INVALID,
            auth.message,
          );
          return false;
        }
        const state: ConnectionState = { actor: auth.actor };
        // setTimeout holds at most 2^31-1 ms (24.8 days); a longer-lived token is re-armed when it fires.
        const { expiresAt } = auth;
        const arm = (at: number) => {
          const left = at - Date.now();
          state.expiry = setTimeout(
            () =>
              left > 2 ** 31 - 1
                ? arm(at)
                : socket.close(CloseCodes.TOKEN_EXPIRED, 'Your token has expired: sign in again'),
            Math.min(left, 2 ** 31 - 1),
          );
          state.expiry.unref();
        };
        if (expiresAt !== undefined) arm(expiresAt);
        ctx.extra.state = state;
        return true;
      },
      onClose(ctx) {
        clearTimeout(ctx.extra.state?.expiry);
      },
      context: (ctx) => contextFor(ctx.extra.state!.actor, ctx.extra.socket),
      subscribe,
      onNext: (_ctx, _id, _payload, _args, result) =>
        result.errors?.length ? { ...result, errors: mask(result.errors) } : undefined,
      onError: (_ctx, _id, _payload, errors) => mask(errors),
    },
    wss,
    deps.config.realtime.keepAliveMs,
  );
  return server;
}
