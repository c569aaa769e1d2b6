import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import type { ApolloServerPlugin } from '@apollo/server';
import type { Knex } from '@mikro-orm/postgresql';
import {
  GraphQLError,
  type DocumentNode,
  type GraphQLSchema,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import { getComplexity, simpleEstimator, type ComplexityEstimator } from 'graphql-query-complexity';
import { RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import type { Actor } from '../access/actor.js';
import type { Config } from '../config.js';
import { isDatabaseUnavailable } from '../db/health.js';
import type { Logger } from '../shared/logger.js';
import type { RequestContext } from './context.js';
import { MAX_PAGE_SIZE } from './input-guard.js';

/**
 * What one request may ask for (docs/ACCESS.md): depth and aliases (validation rules from GraphQL
 * Armor), a cost computed by graphql-query-complexity and reported in every response's
 * `extensions.cost`, and operations per minute per user and per API key, counted in PostgreSQL by
 * rate-limiter-flexible so every server process shares the counts.
 */
export type Limits = Config['limits'];

/** Armor's rules would throw (a 500 in Apollo); reported instead, they are ordinary validation errors (400). */
const report = {
  propagateOnRejection: false,
  onReject: [
    (ctx: ValidationContext | null, err: GraphQLError) =>
      ctx?.reportError(new GraphQLError(err.message.replace(/^Syntax Error: /, ''))),
  ],
};

export const limitRules = (limits: Limits): ValidationRule[] => [
  maxDepthRule({ n: limits.maxDepth, exposeLimits: true, ...report }) as unknown as ValidationRule,
  // Every alias counts, `__typename` too (Armor's default allow-list would let any number of those by).
  maxAliasesRule({
    n: limits.maxAliases,
    allowList: [],
    exposeLimits: true,
    ...report,
  }) as unknown as ValidationRule,
  ...(limits.introspection ? [] : [noIntrospection]),
];

/**
 * With INTROSPECTION=off, `__schema` and `__type` are refused (HTTP and WebSocket alike) with a message
 * that says where the schema is published instead (Apollo's own says to reconfigure the server).
 */
const noIntrospection: ValidationRule = (ctx) => ({
  Field(node) {
    if (node.name.value === '__schema' || node.name.value === '__type')
      ctx.reportError(
        new GraphQLError(
          `Introspection (${node.name.value}) is turned off on this server (INTROSPECTION=off): the schema is published in schema/schema.graphql of Docket's repository`,
          { nodes: node },
        ),
      );
  },
});

/**
 * A field that takes `first` returns up to that many items: its children count that many times.
 * Other fields cost 1 plus their children.
 */
const pageEstimator: ComplexityEstimator = ({ args, childComplexity }) => {
  const first = args.first;
  // Counted within its bounds: a `first` out of them is the INVALID_INPUT of src/server/input-guard.ts.
  return typeof first === 'number'
    ? 1 + Math.min(Math.max(first, 1), MAX_PAGE_SIZE) * childComplexity
    : undefined;
};
const ESTIMATORS = [pageEstimator, simpleEstimator({ defaultComplexity: 1 })];

/** Costs by document (Apollo and graphql-ws reuse a parsed document) and variables: a page is costed once. */
const costs = new WeakMap<DocumentNode, Map<string, number | undefined>>();
const MAX_COSTS_PER_DOCUMENT = 100;

/**
 * The operation's cost, or undefined when its variables do not fit it (execution then reports that
 * as the BAD_USER_INPUT it is).
 */
export function operationCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  variables: Record<string, unknown> | undefined,
  operationName: string | undefined,
): number | undefined {
  let known = costs.get(document);
  if (!known) costs.set(document, (known = new Map()));
  const key = `${operationName ?? ''}\u0000${variables ? JSON.stringify(variables) : ''}`;
  if (known.has(key)) return known.get(key);
  let cost: number | undefined;
  try {
    cost = getComplexity({ schema, query: document, variables, operationName, estimators: ESTIMATORS });
  } catch {
    cost = undefined;
  }
  if (known.size >= MAX_COSTS_PER_DOCUMENT) known.delete(known.keys().next().value!);
  known.set(key, cost);
  return cost;
}

export const tooCostly = (cost: number, limit: number) =>
  new GraphQLError(
    `This operation costs ${cost}, more than the limit of ${limit}: ask for fewer items or fields`,
    {
      extensions: { code: 'QUERY_TOO_COMPLEX', cost: { requested: cost, limit }, http: { status: 400 } },
    },
  );

export const rateLimited = (retryAfterSeconds: number) =>
  new GraphQLError(`Too many requests: try again in ${retryAfterSeconds} s`, {
    extensions: {
      code: 'RATE_LIMITED',
      retryAfter: retryAfterSeconds,
      http: { status: 429, headers: new Map([['retry-after', String(retryAfterSeconds)]]) },
    },
  });

/** Operations per minute per user and per API key, shared by all server processes through PostgreSQL. */
export class RateLimits {
  private readonly users?: RateLimiterPostgres;
  private readonly keys?: RateLimiterPostgres;

  constructor(
    knex: Knex,
    limits: Limits,
    private readonly logger: Logger,
  ) {
    const store = {
      storeClient: knex,
      storeType: 'knex',
      tableName: 'rate_limit',
      tableCreated: true,
      duration: 60,
    };
    if (limits.userPerMinute > 0)
      this.users = new RateLimiterPostgres({ ...store, keyPrefix: 'user', points: limits.userPerMinute });
    if (limits.keyPerMinute > 0)
      this.keys = new RateLimiterPostgres({ ...store, keyPrefix: 'key', points: limits.keyPerMinute });
  }

  /** Counts one operation; the seconds to wait when over the limit, else undefined. */
  async consume(actor: Actor | undefined): Promise<number | undefined> {
    const [limiter, id] =
      actor?.kind === 'PARTNER'
        ? [this.keys, actor.apiKeyId]
        : actor?.userId && actor.kind !== 'SYSTEM'
          ? [this.users, actor.userId]
          : [undefined, undefined];
    if (!limiter || !id) return undefined;
    try {
      await limiter.consume(id);
      return undefined;
    } catch (err) {
      if (err instanceof RateLimiterRes) return Math.max(1, Math.ceil(err.msBeforeNext / 1000));
      // The counter store failing must not take the API down: let the request through (during a
      // database outage the request fails anyway, and the outage is logged once elsewhere).
      if (isDatabaseUnavailable(err))
        this.logger.debug({ err: (err as Error).message }, 'rate limit store unavailable');
      else this.logger.warn({ err }, 'rate limit store unavailable: request not counted');
      return undefined;
    }
  }
}

/** Apollo: rate limit, then cost, before execution; the cost goes into the response's extensions. */
export function limitsPlugin(limits: Limits, rateLimits: RateLimits): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart() {
      let cost: number | undefined;
      return {
        async didResolveOperation({ contextValue, document, request, schema }) {
          const wait = await rateLimits.consume(contextValue.actor);
          if (wait !== undefined) throw rateLimited(wait);
          cost = operationCost(schema, document, request.variables, request.operationName ?? undefined);
          if (cost !== undefined && cost > limits.maxCost) throw tooCostly(cost, limits.maxCost);
        },
        async willSendResponse({ response }) {
          if (cost !== undefined && response.body.kind === 'single')
            response.body.singleResult.extensions = {
              ...response.body.singleResult.extensions,
              cost: { requested: cost, limit: limits.maxCost },
            };
        },
      };
    },
  };
}
