import {
  GraphQLError,
  GraphQLObjectType,
  getNullableType,
  isObjectType,
  lexicographicSortSchema,
  printSchema,
  type GraphQLSchema,
} from 'graphql';
import { buildSchema } from 'type-graphql';
import { OrganizationResolver, TeamResolver, UserResolver } from '../directory/directory.resolver.js';
import { TicketResolver } from '../ticket/ticket.resolver.js';
import { WorkflowResolver } from '../workflow/workflow.resolver.js';
import { PartnerResolver } from '../access/access.resolver.js';
import { mayCall, OPERATIONS } from '../access/policy.js';
import type { RequestContext } from './context.js';
import { toUserErrors } from './user-errors.js';
import { NotPermittedError } from '../shared/errors.js';
import { RealtimeResolver, SlaAlertResolver, TicketEventResolver } from '../events/realtime.resolver.js';
import {
  BusinessCalendarResolver,
  SlaPolicyResolver,
  SlaReportResolver,
  TicketSlaResolver,
} from '../sla/sla.resolver.js';
import './enums.js';
import { toGlobalId } from './global-id.js';
import { NodeResolver } from './node.resolver.js';
import {
  ImportResolver,
  ImportTicketPayloadResolver,
  ImportTicketsPayloadResolver,
} from '../import/import.resolver.js';
import { CommentAttachmentResolver, TicketAttachmentResolver } from '../attachments/attachment.resolver.js';
import { InboundResolver, OrganizationDomainsResolver } from '../inbound/inbound.resolver.js';
import { NotificationMessageResolver, NotifyResolver } from '../notify/notify.resolver.js';
import { USER_ERROR_TYPES } from './user-errors.js';
import { tracingEnabled } from '../ops/trace.js';
import { guardInputs } from './input-guard.js';

/** Builds the executable schema from the resolvers. `schema/schema.graphql` is its printed form. */
export async function buildDocketSchema(
  /** `guard: false` only for the benchmark that measures what the policy check costs. */
  opts: { guard?: boolean } = {},
): Promise<GraphQLSchema> {
  const schema = await buildSchema({
    resolvers: [
      TicketResolver,
      TicketAttachmentResolver,
      CommentAttachmentResolver,
      InboundResolver,
      OrganizationDomainsResolver,
      UserResolver,
      TeamResolver,
      OrganizationResolver,
      WorkflowResolver,
      NodeResolver,
      BusinessCalendarResolver,
      SlaPolicyResolver,
      SlaReportResolver,
      TicketSlaResolver,
      RealtimeResolver,
      TicketEventResolver,
      SlaAlertResolver,
      PartnerResolver,
      NotifyResolver,
      NotificationMessageResolver,
      ImportResolver,
      ImportTicketPayloadResolver,
      ImportTicketsPayloadResolver,
    ],
    orphanedTypes: USER_ERROR_TYPES,
    // Every @Subscription brings its own stream (`subscribe`, from the event feed); TypeGraphQL insists
    // on a PubSub anyway, so it gets one that refuses topic-based use.
    pubSub: {
      publish: () => {
        throw new Error('Docket subscriptions do not use topics: publish to the event log');
      },
      subscribe: () => {
        throw new Error('Docket subscriptions do not use topics: give @Subscription a `subscribe`');
      },
    },
    validate: false,
    emitSchemaFile: false,
  });
  // Every Node's `id` is served as a global id ("Type:uuid", base64url), in one place.
  for (const type of Object.values(schema.getTypeMap())) {
    if (type instanceof GraphQLObjectType && type.getInterfaces().some((i) => i.name === 'Node')) {
      const field = type.getFields().id!;
      field.resolve = (source: { id: string }) => toGlobalId(type.name, source.id);
    }
  }
  // A subscription's field passes each pushed value on as it is. TypeGraphQL's resolver would convert
  // and check its arguments again for every value, asynchronously (a promise per event and group, and
  // no synchronous delivery): `subscribe` checked them once.
  for (const field of Object.values(schema.getSubscriptionType()?.getFields() ?? {}))
    field.resolve = (value: unknown) => value;
  // Input first, then access around it: a caller is refused before their input is looked at.
  guardInputs(schema);
  if (opts.guard !== false) guardOperations(schema);
  if (tracingEnabled()) traceUseCases(schema);
  return schema;
}

/**
 * Every query, mutation and subscription passes `mayCall` (src/access/policy.ts) before its resolver.
 * An operation without a rule there stops the schema from building. A refused mutation answers like
 * any other refused change (its payload's `errors`, NOT_PERMITTED); a refused query or subscription
 * with a GraphQL error carrying the code. Anonymous callers get UNAUTHENTICATED.
 */
function guardOperations(schema: GraphQLSchema): void {
  const missing: string[] = [];
  for (const root of [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()]) {
    if (!root) continue;
    for (const field of Object.values(root.getFields())) {
      const operation = `${root.name}.${field.name}`;
      if (!OPERATIONS[operation]) missing.push(operation);
      const type = getNullableType(field.type);
      const payloadErrors = root.name === 'Mutation' && isObjectType(type) && 'errors' in type.getFields();
      const refuse = (ctx: RequestContext) => {
        const check = mayCall(ctx.actor, operation);
        if (check.ok) return undefined;
        if (check.code === 'UNAUTHENTICATED')
          throw new GraphQLError(check.message, { extensions: { code: check.code, http: { status: 401 } } });
        const refused = new NotPermittedError(check.action);
        if (payloadErrors) return { errors: toUserErrors(refused) };
        throw new GraphQLError(refused.message, { extensions: { code: refused.code } });
      };
      if (root.name === 'Subscription') {
        const subscribe = field.subscribe!;
        field.subscribe = (source, args, ctx: RequestContext, info) => {
          refuse(ctx);
          return subscribe(source, args, ctx, info);
        };
      } else {
        const resolve = field.resolve!;
        field.resolve = (source, args, ctx: RequestContext, info) =>
          refuse(ctx) ?? resolve(source, args, ctx, info);
      }
    }
  }
  if (missing.length)
    throw new Error(
      `No access rule for ${missing.join(', ')}: add one to OPERATIONS in src/access/policy.ts`,
    );
}

/**
 * With tracing on, each mutation names its use case (createTicket, transitionTicket, …) on the request
 * context; `inTransaction` then runs in a span `usecase <name>` holding its transaction, its SQL and
 * the scheduling after commit. Tracing off, the resolvers are left as they are.
 */
function traceUseCases(schema: GraphQLSchema): void {
  for (const field of Object.values(schema.getMutationType()?.getFields() ?? {})) {
    const resolve = field.resolve!;
    field.resolve = (source, args, ctx: RequestContext, info) => {
      ctx.useCase = field.name;
      return resolve(source, args, ctx, info);
    };
  }
}

export function printDocketSchema(schema: GraphQLSchema): string {
  return printSchema(lexicographicSortSchema(schema)) + '\n';
}
