import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { DomainError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';

/**
 * What a client may see of an error, on HTTP and WebSocket alike: a user's mistake keeps its code,
 * GraphQL's own errors (validation, UNAUTHENTICATED) pass, anything else is logged with its cause and
 * answered as INTERNAL_SERVER_ERROR with no details.
 */
export function publicError(
  formatted: GraphQLFormattedError,
  original: unknown,
  logger: Logger,
): GraphQLFormattedError {
  if (original instanceof DomainError) return { ...formatted, extensions: { code: original.code } };
  const code = formatted.extensions?.code;
  if (original instanceof GraphQLError || (code !== undefined && code !== 'INTERNAL_SERVER_ERROR'))
    return formatted;
  logger.error({ err: original, path: formatted.path }, 'unexpected error in a GraphQL operation');
  return {
    message: 'Internal server error',
    path: formatted.path,
    extensions: { code: 'INTERNAL_SERVER_ERROR' },
  };
}
