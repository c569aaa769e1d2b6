import type { ApolloServerPlugin } from '@apollo/server';
import Negotiator from 'negotiator';
import type { RequestContext } from './context.js';

/**
 * Codes of a GraphQL request error (GraphQL over HTTP, "request error"): the document does not parse,
 * does not validate (depth and alias limits are validation rules too), or its variables do not coerce.
 */
const REQUEST_ERRORS = new Set(['GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'BAD_USER_INPUT']);

/**
 * Whether Apollo answers this Accept header with `application/json`: the same negotiation, over the
 * same list in the same order, as its own choice of the response's media type.
 */
const JSON_TYPE = 'application/json; charset=utf-8';

export function answersJson(accept: string | undefined): boolean {
  if (!accept) return true;
  const preferred = new Negotiator({ headers: { accept } }).mediaType([
    JSON_TYPE,
    'application/graphql-response+json; charset=utf-8',
    'application/json; callbackSpec=1.0; charset=utf-8',
  ]);
  return preferred === JSON_TYPE;
}

/**
 * The status of a request error follows the response's media type, as the GraphQL-over-HTTP
 * specification says: with `application/json` (asked for, or the answer to `*` and to no Accept) it is
 * 200, the errors in the body; with `application/graphql-response+json` it stays 400. Other refusals
 * (401 UNAUTHENTICATED, 429 RATE_LIMITED, 400 QUERY_TOO_COMPLEX, 413) keep their status whatever the
 * media type. Checked by test/http-spec.test.ts with graphql-http's audit suite.
 */
export const specStatusPlugin: ApolloServerPlugin<RequestContext> = {
  async requestDidStart({ request }) {
    return {
      async willSendResponse({ response }) {
        if (response.body.kind !== 'single' || response.http.status !== 400) return;
        const result = response.body.singleResult;
        if (result.data !== undefined || !result.errors?.length) return;
        if (!result.errors.every((e) => REQUEST_ERRORS.has(String(e.extensions?.code)))) return;
        if (answersJson(request.http?.headers.get('accept'))) response.http.status = 200;
      },
    };
  },
};
