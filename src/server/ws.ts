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
import type { RealtimeConnection, RequestContext } from './context.js';
import { createLoaders } from './loaders.js';
import { Outlet, type OutletOptions, type Payload } from './outlet.js';
import { publicError } from './public-error.js';
import { nestingProblem } from './nesting.js';
import { limitRules, operationCost, rateLimited, tooCostly, type RateLimits } from './limits.js';
import { activeSubscriptions, countSubscription, wsConnections } from './metrics.js';
import { serveGraphqlWs } from './ws-transport.js';

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

const MAX_TIMEOUT_MS = 2 ** 31 - 1;
const expire = (state: ConnectionState) => state.expired();

/**
 * What a connection keeps from its connection_init: who it is, when its token expires, and the way its
 * subscriptions close it (the connection's RealtimeConnection, one per connection).
 */
class ConnectionState implements RealtimeConnection {
  expiry?: NodeJS.Timeout;
  /** When it closes as expired (ms since the epoch); undefined: never. */
  expiresAt?: number;
  /** The timer holds less than the wait (setTimeout holds at most 2^31-1 ms, 24.8 days): re-armed when it fires. */
  private capped = false;

  constructor(
    readonly actor: Actor,
    readonly hub: Realtime,
    private readonly socket: WebSocket,
  ) {}

  close(code: number, reason: string): void {
    this.socket.close(code, reason);
  }

  /** Closes the connection as expired at `at` (ms since the epoch), unless it ends sooner already. */
  expireAt(at: number): void {
    if (this.expiresAt !== undefined && this.expiresAt <= at) return;
    this.expiresAt = at;
    this.arm();
  }

  private arm(): void {
    clearTimeout(this.expiry);
    const left = this.expiresAt! - Date.now();
    this.capped = left > MAX_TIMEOUT_MS;
    // No closure per connection: the timer is handed the state.
    this.expiry = setTimeout(expire, Math.max(0, Math.min(left, MAX_TIMEOUT_MS)), this);
    this.expiry.unref();
  }

  /** Its timer fired. */
  expired(): void {
    if (this.capped) this.arm();
    else this.socket.close(CloseCodes.TOKEN_EXPIRED, 'Your credential has expired: sign in again');
  }
}

/** graphql-ws's `extra`: the socket, its TCP stream (to cork), and what connection_init established. */
interface Extra {
  socket: WebSocket;
  stream: Duplex;
  state?: ConnectionState;
}

interface ContextDeps {
  orm: MikroORM;
  clock: Clock;
  config: Config;
  logger: Logger;
}

/**
 * A WebSocket operation's context (or an execution's, for one event and group). Its entity manager and
 * loaders are made on first use: a subscription's own context rarely needs them (it lives as long as
 * the subscription), and an execution for an event only when its document selects something loaded
 * (the ticket, the actor). `target`: where a subscription's frames go (its socket and graphql-ws id).
 */
class SocketContext implements RequestContext {
  private madeEm?: RequestContext['em'];
  private madeLoaders?: RequestContext['loaders'];

  constructor(
    private readonly deps: ContextDeps,
    readonly actor: Actor,
    readonly realtime: RealtimeConnection,
    readonly target?: { socket: WebSocket; stream: Duplex; id: string },
  ) {}

  get em(): RequestContext['em'] {
    return (this.madeEm ??= this.deps.orm.em.fork());
  }

  get loaders(): RequestContext['loaders'] {
    return (this.madeLoaders ??= createLoaders(this.em));
  }

  get clock(): Clock {
    return this.deps.clock;
  }

  get config(): Config {
    return this.deps.config;
  }

  get logger(): Logger {
    return this.deps.logger;
  }
}

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

const DONE: IteratorReturnResult<undefined> = { done: true, value: undefined };

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
 *
 * Memory per connection (docs/REALTIME.md): a subscription is one object (Subscription: the stream's
 * sink, the outlet's options and the iterator graphql-ws waits on) with no closure or pending async
 * function of its own; contexts fork an entity manager only when used; see also serveGraphqlWs.
 */
export function startWebSocketServer(deps: WsDeps): Disposable {
  const { logger } = deps;
  const wss = new WebSocketServer({
    server: deps.httpServer,
    path: '/graphql',
    maxPayload: deps.config.limits.maxBodyBytes,
    // Off (as is `ws`'s default for servers): per connection, a compressor would hold its own zlib state.
    perMessageDeflate: false,
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
  /**
   * The start of a `next` message per operation id, byte for byte what graphql-ws would send:
   * {"id":…,"type":"next","payload":. Shared: a small Buffer kept per subscription would pin a pool slab.
   */
  const prefixes = new Map<string, Buffer>();
  const prefixOf = (id: string): Buffer => {
    let prefix = prefixes.get(id);
    if (!prefix) {
      if (prefixes.size >= MAX_GROUPS) prefixes.clear();
      prefixes.set(id, (prefix = Buffer.from(`{"id":${JSON.stringify(id)},"type":"next","payload":`)));
    }
    return prefix;
  };
  /** Labels of activeSubscriptions per root field (a few). */
  const labels = new Map<string, { field: string }>();
  const labelOf = (field: string) => {
    let label = labels.get(field);
    if (!label) labels.set(field, (label = { field }));
    return label;
  };

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

  const mask = (errors: readonly GraphQLError[]) =>
    errors.map((e) => publicError(e.toJSON(), e.originalError ?? e, logger, deps.health));

  /**
   * One running subscription: graphql-ws iterates it (and sees no result: it completes the
   * subscription when this ends), the event stream hands it live events (its EventSink), its Outlet
   * takes its options from it. A replay, or queue statistics, is pulled one value at a time instead,
   * each once the previous is sent.
   */
  class Subscription implements AsyncIterableIterator<ExecutionResult>, EventSink, OutletOptions {
    private readonly outlet: Outlet;
    private running = true;
    private finished = false;
    private resolveNext?: (r: IteratorResult<ExecutionResult>) => void;

    constructor(
      private readonly args: ExecutionArgs,
      private readonly ctx: SocketContext & { target: NonNullable<SocketContext['target']> },
      private readonly group: Group,
      private readonly label: { field: string },
      private readonly source: AsyncIterator<unknown>,
    ) {
      activeSubscriptions.inc(label);
      this.outlet = new Outlet(ctx.target.socket, this);
      // Live events are handed over synchronously by the feed, in its read loop: executed (once per
      // group) and written without a promise per subscriber; an outlet with more waiting than
      // REALTIME_BUFFER ends the stream, which closes the connection as too slow.
      if (!(source instanceof EventStream && source.attach(this))) void this.pull();
    }

    get max(): number {
      return deps.config.realtime.maxBuffered;
    }

    get stream(): Duplex {
      return this.ctx.target.stream;
    }

    /** Pulled values (a replay page, the latest queue statistics): the next is taken once this one is sent. */
    private async pull(): Promise<void> {
      try {
        for (;;) {
          const n = await this.source.next();
          if (n.done) break;
          this.outlet.push(this.payloadFor(n.value as object));
          await this.outlet.idle();
          if (this.source instanceof EventStream && this.source.attach(this)) return;
        }
      } catch (err) {
        this.fail(err);
      }
      this.end();
    }

    take(event: object): boolean {
      try {
        return this.outlet.push(this.payloadFor(event));
      } catch (err) {
        this.fail(err);
        return true;
      }
    }

    /** The source has ended: graphql-ws completes the subscription. */
    end(): void {
      if (this.running) activeSubscriptions.dec(this.label);
      this.running = false;
      this.finished = true;
      const resolve = this.resolveNext;
      this.resolveNext = undefined;
      resolve?.(DONE);
    }

    /**
     * The `payload` of the `next` message for this value and group, serialised once for all of the
     * group: at once when the document's resolvers answer synchronously (an event's own fields), else
     * when its loads are done.
     */
    private payloadFor(root: object): Payload {
      let byGroup = shared.get(root);
      if (!byGroup) shared.set(root, (byGroup = new Map()));
      let payload = byGroup.get(this.group);
      if (!payload) {
        // Its own entity manager and loaders per execution: nothing cached outlives one value.
        const result = execute({
          ...this.args,
          rootValue: root,
          contextValue: new SocketContext(deps, this.ctx.actor, this.ctx.realtime),
        });
        const group = this.group;
        const serialise = (r: ExecutionResult) => {
          const b = Buffer.from(JSON.stringify(r.errors?.length ? { ...r, errors: mask(r.errors) } : r));
          byGroup.set(group, b);
          return b;
        };
        payload = result instanceof Promise ? result.then(serialise) : serialise(result);
        byGroup.set(group, payload);
      }
      return payload;
    }

    /** Byte for byte what graphql-ws would send: {"id":…,"type":"next","payload":…}. */
    frameOf(payload: Buffer): Buffer {
      const { id } = this.ctx.target;
      let byId = frames.get(payload);
      if (!byId) frames.set(payload, (byId = new Map()));
      let frame = byId.get(id);
      if (!frame) byId.set(id, (frame = Buffer.concat([prefixOf(id), payload, CLOSE_BRACE])));
      return frame;
    }

    fail(err: unknown): void {
      logger.error({ err }, 'a subscription failed: closing its connection');
      this.ctx.target.socket.close(CloseCodes.INTERNAL_ERROR, 'Internal server error');
    }

    next(): Promise<IteratorResult<ExecutionResult>> {
      if (this.finished) return Promise.resolve(DONE);
      return new Promise((resolve) => (this.resolveNext = resolve));
    }

    async return(): Promise<IteratorResult<ExecutionResult>> {
      if (this.running) activeSubscriptions.dec(this.label);
      this.running = false;
      await this.source.return?.();
      this.end();
      return DONE;
    }

    [Symbol.asyncIterator]() {
      return this;
    }
  }

  const subscribe = async (args: ExecutionArgs) => {
    const op = operationOf(args.document, args.operationName);
    const refused = (result: ExecutionResult) => {
      countSubscription(op.name, String(result.errors?.[0]?.extensions?.code ?? 'INTERNAL_SERVER_ERROR'));
      return result;
    };
    const ctx = args.contextValue as SocketContext & { target: NonNullable<SocketContext['target']> };
    // The same limits as HTTP: operations per minute, then cost.
    const wait = await deps.rateLimits.consume(ctx.actor);
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
    const group = groupOf(
      [
        audienceKey(ctx.actor),
        args.operationName ?? '',
        documentKeys.get(args.document) ?? args.document.loc?.source.body ?? '',
        JSON.stringify(args.variableValues ?? {}),
      ].join('\u0000'),
    );
    return new Subscription(args, ctx, group, labelOf(op.field), source[Symbol.asyncIterator]());
  };

  const server = serveGraphqlWs<Record<string, unknown>, Extra>(
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
        // Read once, here: the token is not kept for the connection's life.
        (ctx as { connectionParams?: unknown }).connectionParams = undefined;
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
        const state = new ConnectionState(auth.actor, deps.realtime, socket);
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
        const { socket, stream, state } = ctx.extra;
        return new SocketContext(deps, state!.actor, state!, { socket, stream, id });
      },
      subscribe,
      onNext: (_ctx, _id, _payload, _args, result) =>
        result.errors?.length ? { ...result, errors: mask(result.errors) } : undefined,
      onError: (_ctx, _id, _payload, errors) => mask(errors),
    },
    {
      wss,
      keepAliveMs: deps.config.realtime.keepAliveMs,
      logger,
      extra: (socket, request) => {
        wsConnections.inc();
        return { socket, stream: request.socket };
      },
      closed: () => wsConnections.dec(),
    },
  );
  return {
    dispose: async () => {
      unwatchCredentials();
      await server.dispose();
    },
  };
}
