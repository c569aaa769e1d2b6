import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { serverAudits } from 'graphql-http';
import { flows } from './support/flows.js';
import { startTestServer, type TestServer } from './support/harness.js';

/**
 * The GraphQL-over-HTTP specification, checked by the stock audit suite of `graphql-http` (every MUST
 * and every SHOULD), run with a credential as any client sends one; and anonymous callers refused
 * whatever they ask (docs/ACCESS.md: "No credential: every operation answers UNAUTHENTICATED").
 */
describe('GraphQL over HTTP', () => {
  let s: TestServer;
  let token = '';

  beforeAll(async () => {
    s = await startTestServer({ demoData: true });
    token = await flows(s).token('alice@docket.local');
  });
  afterAll(() => s.close());

  const signedFetch = (input: string | URL | Request, init?: RequestInit) => {
    const headers = new Headers(init?.headers);
    headers.set('authorization', `Bearer ${token}`);
    return fetch(input, { ...init, headers });
  };

  it('passes every MUST and SHOULD audit of graphql-http', async () => {
    const audits = serverAudits({ url: () => s.url, fetchFn: signedFetch });
    const failed: string[] = [];
    for (const audit of audits) {
      if (audit.name.startsWith('MAY')) continue;
      const result = await audit.fn();
      if (result.status !== 'ok') failed.push(`${audit.id} ${audit.name}: ${result.reason}`);
    }
    expect(failed).toEqual([]);
  });

  it('answers request errors 200 with application/json and keeps 4xx with application/graphql-response+json', async () => {
    const ask = async (accept: string, body: unknown) => {
      const res = await signedFetch(s.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept },
        body: JSON.stringify(body),
      });
      return { status: res.status, type: res.headers.get('content-type') };
    };
    const parse = { query: '{' };
    const validation = { query: '{ notAField }' };
    const coercion = { query: 'query($n: Int) { tickets(first: $n) { totalCount } }', variables: { n: 'x' } };
    for (const body of [parse, validation, coercion]) {
      expect(await ask('application/json', body)).toEqual({
        status: 200,
        type: expect.stringMatching(/^application\/json/),
      });
      expect(await ask('application/graphql-response+json', body)).toEqual({
        status: 400,
        type: expect.stringMatching(/^application\/graphql-response\+json/),
      });
    }
  });

  it('refuses every anonymous operation, `{ __typename }` and introspection included', async () => {
    for (const query of ['{ __typename }', '{ __schema { queryType { name } } }', '{ viewer { id } }']) {
      const res = await s.gql(query, {});
      expect([res.status, res.data, res.errors?.[0]?.extensions?.code]).toEqual([
        401,
        undefined,
        'UNAUTHENTICATED',
      ]);
    }
  });
});
