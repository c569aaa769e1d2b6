import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { flows } from './support/flows.js';
import { startTestServer, type TestServer } from './support/harness.js';
import { startDocket, type DocketProcess } from './support/processes.js';
import { connect } from './support/ws.js';

/**
 * What one request may ask for: depth, aliases, cost (reported in every response), body size, one
 * operation per request, introspection and CSRF; and rate limits per user and per API key, shared by
 * every server process, answered with a retryable typed error.
 */
const AGENT = 'alice@docket.local';

interface Answer {
  status: number;
  headers: Headers;
  body: {
    data?: unknown;
    errors?: { message: string; extensions?: Record<string, unknown> }[];
    extensions?: Record<string, unknown>;
  };
}

async function post(url: string, body: string, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Answer['body'] };
}

describe('request limits', () => {
  let s: TestServer;
  let f: ReturnType<typeof flows>;
  let token = '';
  const ask = (query: string, extra: Record<string, string> = {}) =>
    post(s.url, JSON.stringify({ query }), { authorization: `Bearer ${token}`, ...extra });

  beforeAll(async () => {
    s = await startTestServer({
      env: {
        MAX_QUERY_DEPTH: '6',
        MAX_QUERY_ALIASES: '5',
        MAX_QUERY_COST: '2000',
        MAX_BODY_BYTES: '4096',
        INTROSPECTION: 'off',
      },
    });
    f = flows(s);
    token = await f.token(AGENT);
  });
  afterAll(() => s.close());

  it('reports each operation’s cost, and refuses one over the limit before running it', async () => {
    const small = await ask('{ tickets(first: 5) { edges { node { id subject } } } }');
    expect(small.body.extensions?.cost).toEqual({ requested: expect.any(Number), limit: 2000 });
    const cost = (small.body.extensions!.cost as { requested: number }).requested;
    const ten = await ask('{ tickets(first: 10) { edges { node { id subject } } } }');
    expect((ten.body.extensions!.cost as { requested: number }).requested).toBeGreaterThan(cost); // a page costs per item
    const page =
      'tickets(first: 100) { edges { node { id subject description reference category priority channel createdAt updatedAt tags } } }';
    const big = await ask(`{ a: ${page} b: ${page} }`);
    expect(big.status).toBe(400);
    expect(big.body.errors![0]!.extensions).toMatchObject({
      code: 'QUERY_TOO_COMPLEX',
      cost: { requested: expect.any(Number), limit: 2000 },
    });
    expect(big.body.data).toBeUndefined();
  });

  it('refuses queries nested too deep or with too many aliases', async () => {
    // With application/graphql-response+json a validation failure is a 400; with application/json,
    // a 200 (GraphQL over HTTP; test/http-spec.test.ts).
    const strict = { accept: 'application/graphql-response+json' };
    const deep = await ask(
      '{ tickets(first: 1) { edges { node { requester { organization { plan { name } } } } } } }',
      strict,
    );
    expect(deep.status).toBe(400);
    expect(deep.body.errors![0]!.extensions!.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(deep.body.errors![0]!.message).toMatch(/depth/i);
    const aliases = await ask(
      `{ ${Array.from({ length: 6 }, (_, i) => `a${i}: viewer { id }`).join(' ')} }`,
      strict,
    );
    expect(aliases.status).toBe(400);
    expect(aliases.body.errors![0]!.message).toMatch(/alias/i);
  });

  it('refuses a body over the size limit, a batch, and malformed JSON with a JSON error and no stack', async () => {
    const tooBig = await ask(`{ viewer { id } } # ${'x'.repeat(5000)}`);
    expect(tooBig.status).toBe(413);
    expect(tooBig.body).toEqual({
      errors: [
        { message: 'The request body is larger than 4096 bytes', extensions: { code: 'PAYLOAD_TOO_LARGE' } },
      ],
    });
    const batch = await post(
      s.url,
      JSON.stringify([{ query: '{ viewer { id } }' }, { query: '{ viewer { id } }' }]),
      {
        authorization: `Bearer ${token}`,
      },
    );
    expect(batch.status).toBe(400);
    const bad = await post(s.url, '{"query": ', { authorization: `Bearer ${token}` });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).not.toMatch(/at .*\.js/);
  });

  it('turns introspection off when configured (the production default) and keeps CSRF prevention on', async () => {
    const intro = await ask('{ __schema { queryType { name } } }');
    // It says what to do instead, not how to reconfigure Apollo.
    expect(intro.body.errors![0]!.message).toMatch(/INTROSPECTION=off.*schema\/schema\.graphql/);
    expect(JSON.stringify(intro.body)).not.toMatch(/ApolloServer/);
    expect((await ask('{ __type(name: "Ticket") { name } }')).body.errors![0]!.message).toMatch(
      /INTROSPECTION=off/,
    );
    expect((await ask('{ __typename }')).body.errors).toBeUndefined();
    const res = await fetch(`${s.url}?query=${encodeURIComponent('{ viewer { id } }')}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/CSRF/i);
  });
});

describe('rate limits across server processes', () => {
  let s: TestServer;
  let f: ReturnType<typeof flows>;
  const procs: DocketProcess[] = [];

  beforeAll(async () => {
    s = await startTestServer();
    f = flows(s);
    const env = { SCHEDULER: 'off', RATE_LIMIT_USER_PER_MINUTE: '10', RATE_LIMIT_KEY_PER_MINUTE: '4' };
    procs.push(
      ...(await Promise.all([
        startDocket('serve', s.databaseUrl, env),
        startDocket('serve', s.databaseUrl, env),
      ])),
    );
  }, 60_000);
  afterAll(async () => {
    await Promise.all(procs.map((p) => p.stop()));
    await s.close();
  });

  it('counts a user’s operations on every process together and answers RATE_LIMITED with retryAfter', async () => {
    const token = await f.token('bob@docket.local');
    const query = JSON.stringify({ query: '{ viewer { id } }' });
    const answers: Answer[] = [];
    for (let i = 0; i < 6; i++)
      for (const p of procs) answers.push(await post(p.url!, query, { authorization: `Bearer ${token}` }));
    expect(answers.slice(0, 10).every((a) => a.status === 200)).toBe(true);
    for (const refused of answers.slice(10)) {
      expect(refused.status).toBe(429);
      const retryAfter = Number(refused.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect(refused.body.errors![0]!.extensions).toMatchObject({ code: 'RATE_LIMITED', retryAfter });
    }
    // Another user is counted apart; a WebSocket subscribe counts too.
    const other = await post(procs[0]!.url!, query, {
      authorization: `Bearer ${await f.token('carol@docket.local')}`,
    });
    expect(other.status).toBe(200);
    const c = connect(procs[1]!.url!, token);
    const sub = c.subscribe('subscription { ticketEvents { seq } }');
    await sub.ended;
    expect(sub.results[0]!.errors![0]).toMatchObject({ extensions: { code: 'RATE_LIMITED' } });
    await c.dispose();
  });

  it('counts per API key', async () => {
    const admin = await f.token('admin@docket.local');
    const partner = await s.gql<{ createPartner: { partner: { id: string } } }, unknown>(
      'mutation { createPartner(input: { name: "Limited" }) { partner { id } } }',
      {},
      admin,
    );
    const key = async () =>
      (
        await s.gql<{ createApiKey: { key: string } }, unknown>(
          'mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { key } }',
          {
            input: { partnerId: partner.data!.createPartner.partner.id, name: 'k', scopes: ['TICKETS_READ'] },
          },
          admin,
        )
      ).data!.createApiKey.key;
    const [k1, k2] = [await key(), await key()];
    const query = JSON.stringify({ query: '{ tickets(first: 1) { totalCount } }' });
    const statuses = [];
    for (let i = 0; i < 3; i++)
      for (const p of procs)
        statuses.push((await post(p.url!, query, { authorization: `Bearer ${k1}` })).status);
    expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
    expect((await post(procs[0]!.url!, query, { authorization: `Bearer ${k2}` })).status).toBe(200);
  });
});
