import { GraphQLObjectType, lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
import { OrganizationResolver, TeamResolver, UserResolver } from '../directory/directory.resolver.js';
import { TicketResolver } from '../ticket/ticket.resolver.js';
import { WorkflowResolver } from '../workflow/workflow.resolver.js';
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
import { USER_ERROR_TYPES } from './user-errors.js';

/** Builds the executable schema from the resolvers. `schema/schema.graphql` is its printed form. */
export async function buildDocketSchema(): Promise<GraphQLSchema> {
  const schema = await buildSchema({
    resolvers: [
      TicketResolver,
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
  return schema;
}

export function printDocketSchema(schema: GraphQLSchema): string {
  return printSchema(lexicographicSortSchema(schema)) + '\n';
}
