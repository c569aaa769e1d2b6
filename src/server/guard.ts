import { GraphQLError } from 'graphql';
import { DomainError } from '../shared/errors.js';
import type { AuthedContext, RequestContext } from './context.js';
import { toUserErrors, type UserError } from './user-errors.js';

/** Every operation needs a caller; anonymous requests get UNAUTHENTICATED. */
export function authed(ctx: RequestContext): AuthedContext {
  if (!ctx.actor) {
    throw new GraphQLError('Sign in: send "Authorization: Bearer <token>"', {
      extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } },
    });
  }
  return ctx as AuthedContext;
}

/**
 * Runs a mutation's use case. A mistake the user made comes back as typed errors in the payload (the
 * transaction rolled back, so nothing was written); anything else propagates to the error formatter.
 */
export async function mutate<T extends object>(work: () => Promise<T>): Promise<T & { errors: UserError[] }> {
  try {
    return { ...(await work()), errors: [] };
  } catch (err) {
    if (err instanceof DomainError)
      return { errors: toUserErrors(err) } as unknown as T & { errors: UserError[] };
    throw err;
  }
}

/** For queries: a user mistake becomes a GraphQL error carrying the same code. */
export async function query<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof DomainError) throw new GraphQLError(err.message, { extensions: { code: err.code } });
    throw err;
  }
}
