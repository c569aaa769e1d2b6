import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { isDatabaseUnavailable, type DatabaseHealth } from '../db/health.js';
import { DomainError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';

/** Seconds a client is told to wait (Retry-After) while the database is unreachable. */
export const RETRY_AFTER_SECONDS = 5;

/** A change may or may not have committed when the outage hit: retry with the same Idempotency-Key. */
export const SERVICE_UNAVAILABLE_MESSAGE = 'The database is unavailable: try again in a few seconds';

/**
 * What a client may see of an error, on HTTP and WebSocket alike: a user's mistake keeps its code,
 * GraphQL's own errors (validation, UNAUTHENTICATED) pass, a database outage is SERVICE_UNAVAILABLE
 * (reported to the health monitor; HTTP answers it with 503 and Retry-After), anything else is logged
 * with its cause and answered as INTERNAL_SERVER_ERROR with no details.
 */
export function publicError(
  formatted: GraphQLFormattedError,
  original: unknown,
  logger: Logger,
  health?: DatabaseHealth,
): GraphQLFormattedError {
  if (original instanceof DomainError) return { ...formatted, extensions: { code: original.code } };
  const code = formatted.extensions?.code;
  if (original instanceof GraphQLError || (code !== undefined && code !== 'INTERNAL_SERVER_ERROR'))
    return formatted;
  if (isDatabaseUnavailable(original)) {
    health?.report(original);
    logger.debug({ err: (original as Error).message, path: formatted.path }, 'database unavailable');
    return {
      message: SERVICE_UNAVAILABLE_MESSAGE,
      path: formatted.path,
      extensions: { code: 'SERVICE_UNAVAILABLE' },
    };
  }
  logger.error({ err: original, path: formatted.path }, 'unexpected error in a GraphQL operation');
  return {
    message: 'Internal server error',
    path: formatted.path,
    extensions: { code: 'INTERNAL_SERVER_ERROR' },
  };
}
