import {
  createSourceEventStream,
  execute,
  GraphQLError,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type GraphQLSchema,
} from 'graphql';
import type { Disposable } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Actor } from '../access/actor.js';
import { authenticate, forgetUser } from '../access/authenticate.js';
import { isStaff } from '../access/policy.js';
import type { Config } from '../config.js';
import type { DatabaseHealth } from '../db/health.js';
import type { MikroORM } from '../db/orm.js';
import { CloseCodes } from '../events/close-codes.js';
import type { Realtime } from '../events/realtime.js';
import { EventStream, type EventSink } from '../events/event-stream.js';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import type { RequestContext } from './context.js';
import { createLoaders } from './loaders.js';
import { Outlet, type Payload } from './outlet.js';
import { publicError } from './public-error.js';
import { nestingProblem } from './nesting.js';
import { limitRules, operationCost, rateLimited, tooCostly, type RateLimits } from './limits.js';
import { activeSubscriptions, countSubscription, wsConnections } from './metrics.js';

export interface WsDeps {
  httpServer: http.Server;
  schema: GraphQLSchema;
  orm: MikroORM;
  config: Config;
  clock: Clock;
  logger: Logger;
  realtime: Realtime;
  rateLimits: RateLimits;
  health: DatabaseHealth;
}

/** What a connection keeps from its connection_init. */
interface ConnectionState {
  actor: Actor;
  expiry?: NodeJS.Timeout;
  /** Closes the connection as expired at `at` (ms since the epoch), unless it ends sooner already. */
  expireAt(at: number): void;
  /** When it closes as expired (ms since the epoch); undefined: never. */
  expiresAt?: number;
}

type Extra = { socket: WebSocket; state?: ConnectionState };

const CLOSE_BRACE = Buffer.from('}');
const MAX_GROUPS = 10_000;

interface Group {
  readonly key: string;
}

/** The operation's name (as sent, else the document's own) and its first root field: metrics labels. */
function operationOf(
  document: DocumentNode,
  name: string | null | undefined,
): { name: string | undefined; field: string } {
  for (const d of document.definitions)
    if (d.kind === 'OperationDefinition' && (!name || d.name?.value === name)) {
      const first = d.selectionSet.selections[0];
      return { name: d.name?.value, field: first?.kind === 'Field' ? first.name.value : 'unknown' };
    }
  return { name: name ?? undefined, field: 'unknown' };
}

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
 * Shared work: a subscription's source stream yields the same event object to every subscriber of
 * this process, so executing a document for an event and serialising the result happen once per
 * (document, variables, audience), for all of them (a WeakMap on the event: nothing to evict). Live
 * events reach a subscription synchronously from the feed's read (EventStream.attach), and its frame
 * goes straight onto its socket (an Outlet), as a bare broadcaster would write it; graphql-ws still
 * handles the protocol (connection, subscribe, complete, errors). Query texts are parsed and
 * validated once.
 */
export function startWebSocketServer(deps: WsDeps): Disposable {
  const { logger } = deps;
  const wss = new WebSocketServer({
    server: deps.httpServer,
    path: '/graphql',
    maxPayload: deps.config.limits.maxBodyBytes,
  });
  // The HTTP server's own errors (a port in use) reach its listen() caller; ws re-emits them here.
  wss.on('error', () => {});
  /** Per pushed value (an event, queue statistics) and group: its payload, made once. */
  const shared = new WeakMap<object, Map<Group, Payload>>();
  /**
   * One object per (audience, document, variables): subscribers of a group share it, so finding a
   * value's payload for a group is an identity lookup. Forgotten past MAX_GROUPS (a subscription keeps
   * its own; a later one of the same group then executes once more per value).
   */
  const groups = new Map<string, Group>();
  const groupOf = (key: string): Group => {
    let g = groups.get(key);
    if (!g) {
      if (groups.size >= MAX_GROUPS) groups.clear();
      groups.set(key, (g = { key }));
    }
    return g;
  };
  /** Whole frames per payload and operation id (most dashboards' subscription id is "1"). */
  const frames = new WeakMap<Buffer, Map<string, Buffer>>();
  /** Where an operation's frames go: its socket and graphql-ws id (contexts are made per operation). */
  const targets = new WeakMap<object, { socket: WebSocket; id: string }>();

  /**
   * A context whose entity manager and loaders are made on first use: a subscription's own context
   * rarely needs them (it lives as long as the subscription), and an execution for an event only when
   * its document selects something loaded (the ticket, the actor).
   */
  const lazyContext = (actor: Actor, realtime: RequestContext['realtime']): RequestContext => {
    let em: RequestContext['em'] | undefined;
    let loaders: RequestContext['loaders'] | undefined;
    return {
      actor,
      get em() {
        return (em ??= deps.orm.em.fork());
      },
      get loaders() {
        return (loaders ??= createLoaders(this.em));
      },
      clock: deps.clock,
      config: deps.config,
      logger,
      realtime,
    };
  };
  const contextFor = (actor: Actor, socket: WebSocket): RequestContext =>
    lazyContext(actor, { hub: deps.realtime, close: (code, reason) => socket.close(code, reason) });

  /** Each WebSocket's TCP stream (the upgrade request's socket, which `ws` writes to). */
  const streams = new WeakMap<WebSocket, Duplex>();
  wss.on('connection', (socket, req) => {
    streams.set(socket, req.socket);
    wsConnections.inc();
    socket.once('close', () => wsConnections.dec());
  });

  const rules = [...specifiedRules, ...limitRules(deps.config.limits)];

  /**
   * Credentials checked once at connect are followed while connected (issue 12 item 3): a credential
   * change (recorded by the database, read by the feed in sequence order with the events) closes the
   * connections that use it before the feed offers any event that committed after it. Revoked keys
   * and deactivated users: 4403; a role changed: 4401 (reconnect for the new rights); a key rotated
   * with grace or given an expiry: 4401 when it ends (at once when that is now).
   */
  const open = new Set<Required<Extra>>();
  const unwatchCredentials = deps.realtime.feed.onCredentialChange((change) => {
    // This process's HTTP requests see the change at once too, not after the 5 s a user is remembered.
    if (change.userId) forgetUser(change.userId);
    for (const extra of open) {
      const { actor } = extra.state;
      const uses = change.apiKeyId
        ? actor.kind === 'PARTNER' && actor.apiKeyId === change.apiKeyId
        : actor.kind !== 'PARTNER' && actor.userId !== undefined && actor.userId === change.userId;
      if (!uses) continue;
      const close = (code: number, reason: string) => {
        open.delete(extra);
        extra.socket.close(code, reason);
      };
      switch (change.kind) {
        case 'REVOKED':
          close(CloseCodes.TOKEN_INVALID, 'This API key has been revoked');
          break;
        case 'DEACTIVATED':
          close(CloseCodes.TOKEN_INVALID, 'Your account has been deactivated');
          break;
        case 'ROLE_CHANGED':
          close(
            CloseCodes.TOKEN_EXPIRED,
            'Your role has changed: reconnect to continue with your new rights',
          );
          break;
        case 'EXPIRES':
          if (change.effectiveAt.getTime() <= Date.now())
            close(CloseCodes.TOKEN_EXPIRED, 'Your credential has expired: sign in again');
          else extra.state.expireAt(change.effectiveAt.getTime());
          break;
      }
    }
  });

  // Parsed and validated once per distinct query text, shared by every subscription that sends it
  // (without token locations): thousands of dashboards send the same few documents.
  const documents = new Map<string, DocumentNode | readonly GraphQLError[]>();
  const documentKeys = new WeakMap<DocumentNode, string>();
  const documentFor = (query: string): DocumentNode | readonly GraphQLError[] => {
    let d = documents.get(query);
    if (!d) {
      try {
        const document = parse(query, { noLocation: true });
        const errors = validate(deps.schema, document, rules);
        documentKeys.set(document, query);
        d = errors.length ? errors : document;
      } catch (err) {
        if (!(err instanceof GraphQLError)) throw err;
        d = [err];
      }
      if (documents.size >= 500) documents.clear();
      documents.set(query, d);
    }
    return d;
  };
  const subscribe = async (args: ExecutionArgs) => {
    const op = operationOf(args.document, args.operationName);
    const refused = (result: ExecutionResult) => {
      countSubscription(op.name, String(result.errors?.[0]?.extensions?.code ?? 'INTERNAL_SERVER_ERROR'));
      return result;
    };
    // The same limits as HTTP: operations per minute, then cost.
    const wait = await deps.rateLimits.consume((args.contextValue as RequestContext).actor);
    if (wait !== undefined) return refused({ errors: [rateLimited(wait)] });
    const cost = operationCost(
      args.schema,
      args.document,
      args.variableValues ?? undefined,
      args.operationName ?? undefined,
    );
    if (cost !== undefined && cost > deps.config.limits.maxCost)
      return refused({ errors: [tooCostly(cost, deps.config.limits.maxCost)] });
    const source = await createSourceEventStream(args);
    if (!(Symbol.asyncIterator in source)) return refused(source);
    countSubscription(op.name, 'OK');
    const field = { field: op.field };
    activeSubscriptions.inc(field);
    let running = true;
    const ended = () => {
      if (running) activeSubscriptions.dec(field);
      running = false;
    };
    const ctx = args.contextValue as RequestContext;
    const group = groupOf(
      [
        audienceKey(ctx.actor!),
        args.operationName ?? '',
        documentKeys.get(args.document) ?? args.document.loc?.source.body ?? '',
        JSON.stringify(args.variableValues ?? {}),
      ].join('\u0000'),
    );
    /**
     * The `payload` of the `next` message for this event and group, serialised once for all of the
     * group: at once when the document's resolvers answer synchronously (an event's own fields), else
     * when its loads are done.
     */
    const payloadFor = (root: object): Payload => {
      let byGroup = shared.get(root);
      if (!byGroup) shared.set(root, (byGroup = new Map()));
      let payload = byGroup.get(group);
      if (!payload) {
        // Its own entity manager and loaders per execution: nothing cached outlives one event.
        const result = execute({
          ...args,
          rootValue: root,
          contextValue: lazyContext(ctx.actor!, ctx.realtime),
        });
        const serialise = (r: ExecutionResult) => {
          const b = Buffer.from(JSON.stringify(r.errors?.length ? { ...r, errors: mask(r.errors) } : r));
          byGroup.set(group, b);
          return b;
        };
        payload = result instanceof Promise ? result.then(serialise) : serialise(result);
        byGroup.set(group, payload);
      }
      return payload;
    };
    const target = targets.get(ctx)!;
    const { socket } = target;
    // Byte for byte what graphql-ws would send: {"id":…,"type":"next","payload":…}.
    const prefix = Buffer.from(`{"id":${JSON.stringify(target.id)},"type":"next","payload":`);
    const frameOf = (payload: Buffer) => {
      let byId = frames.get(payload);
      if (!byId) frames.set(payload, (byId = new Map()));
      let frame = byId.get(target.id);
      if (!frame) byId.set(target.id, (frame = Buffer.concat([prefix, payload, CLOSE_BRACE])));
      return frame;
    };
    const fail = (err: unknown) => {
      logger.error({ err }, 'a subscription failed: closing its connection');
      socket.close(CloseCodes.INTERNAL_ERROR, 'Internal server error');
    };
    const outlet = new Outlet(socket, {
      frameOf,
      fail,
      max: deps.config.realtime.maxBuffered,
      stream: streams.get(socket),
    });
    // Live events are handed over synchronously by the feed, in its read loop: executed (once per
    // group) and written without a promise per subscriber; an outlet with more waiting than
    // REALTIME_BUFFER ends the stream, which closes the connection as too slow.
    const sink: EventSink = (event) => {
      try {
        return outlet.push(payloadFor(event));
      } catch (err) {
        fail(err);
        return true;
      }
    };
    const it = source[Symbol.asyncIterator]();
    const pump = (async () => {
      for (;;) {
        if (source instanceof EventStream && source.attach(sink)) return source.ended;
        // Pulled (a replay page, or the latest queue statistics): the next is taken once this one is sent.
        const n = await it.next();
        if (n.done) return;
        outlet.push(payloadFor(n.value as object));
        await outlet.idle();
      }
    })()
      .catch(fail)
      .finally(ended);
    const silent: AsyncIterableIterator<ExecutionResult> = {
      // graphql-ws sees no result: it completes the subscription when the pump ends.
      async next() {
        await pump;
        return { done: true, value: undefined };
      },
      async return() {
        ended();
        await it.return?.();
        return { done: true, value: undefined };
      },
      [Symbol.asyncIterator]() {
        return this;
      },
    };
    return silent;
  };

  const mask = (errors: readonly GraphQLError[]) =>
    errors.map((e) => publicError(e.toJSON(), e.originalError ?? e, logger, deps.health));

  const server = useServer<Record<string, unknown>, Extra>(
    {
      schema: deps.schema,
      onSubscribe: (ctx, _id, payload) => {
        // This one is already reserved among the connection's subscriptions.
        const max = deps.config.realtime.maxSubscriptions;
        if (Object.keys(ctx.subscriptions).length > max) {
          countSubscription(payload.operationName, 'TOO_MANY_SUBSCRIPTIONS');
          return [
            new GraphQLError(
              `At most ${max} subscriptions per connection: complete one first, or filter more widely`,
              { extensions: { code: 'TOO_MANY_SUBSCRIPTIONS' } },
            ),
          ];
        }
        // Measured before parsing and coercion, which recurse; the connection stays open.
        const deep = nestingProblem(payload);
        if (deep) {
          countSubscription(payload.operationName, 'BAD_REQUEST');
          return [new GraphQLError(deep, { extensions: { code: 'BAD_REQUEST' } })];
        }
        const d = documentFor(payload.query);
        if (Array.isArray(d)) {
          countSubscription(payload.operationName, 'GRAPHQL_VALIDATION_FAILED');
          return d as GraphQLError[];
        }
        return {
          schema: deps.schema,
          document: d as DocumentNode,
          operationName: payload.operationName,
          variableValues: payload.variables,
        };
      },
      async onConnect(ctx) {
        const socket = ctx.extra.socket;
        const header = tokenHeader(ctx.connectionParams);
        if (!header) {
          socket.close(CloseCodes.TOKEN_INVALID, 'Send connectionParams { authorization: "Bearer <token>" }');
          return false;
        }
        if (!deps.health.up) {
          socket.close(CloseCodes.TRY_AGAIN_LATER, 'The database is unavailable: reconnect in a few seconds');
          return false;
        }
        let auth: Awaited<ReturnType<typeof authenticate>>;
        try {
          auth = await authenticate(deps.config, header, deps.orm.em.fork(), deps.clock.now());
        } catch (err) {
          if (!deps.health.report(err)) throw err;
          socket.close(CloseCodes.TRY_AGAIN_LATER, 'The database is unavailable: reconnect in a few seconds');
          return false;
        }
        if (!auth.ok) {
          socket.close(
            auth.reason === 'expired' ? CloseCodes.TOKEN_EXPIRED : CloseCodes.TOKEN_INVALID,
            auth.message,
          );
          return false;
        }
        // setTimeout holds at most 2^31-1 ms (24.8 days); a longer-lived token is re-armed when it fires.
        const arm = (at: number) => {
          const left = at - Date.now();
          clearTimeout(state.expiry);
          state.expiry = setTimeout(
            () =>
              left > 2 ** 31 - 1
                ? arm(at)
                : socket.close(CloseCodes.TOKEN_EXPIRED, 'Your credential has expired: sign in again'),
            Math.max(0, Math.min(left, 2 ** 31 - 1)),
          );
          state.expiry.unref();
        };
        const state: ConnectionState = {
          actor: auth.actor,
          expireAt(at) {
            if (state.expiresAt !== undefined && state.expiresAt <= at) return;
            state.expiresAt = at;
            arm(at);
          },
        };
        if (auth.expiresAt !== undefined) state.expireAt(auth.expiresAt);
        ctx.extra.state = state;
        open.add(ctx.extra as Required<Extra>);
        return true;
      },
      onClose(ctx) {
        clearTimeout(ctx.extra.state?.expiry);
        open.delete(ctx.extra as Required<Extra>);
      },
      context: (ctx, id) => {
        const c = contextFor(ctx.extra.state!.actor, ctx.extra.socket);
        targets.set(c, { socket: ctx.extra.socket, id });
        return c;
      },
      subscribe,
      onNext: (_ctx, _id, _payload, _args, result) =>
        result.errors?.length ? { ...result, errors: mask(result.errors) } : undefined,
      onError: (_ctx, _id, _payload, errors) => mask(errors),
    },
    wss,
    deps.config.realtime.keepAliveMs,
  );
  return {
    dispose: async () => {
      unwatchCredentials();
      await server.dispose();
    },
  };
}
