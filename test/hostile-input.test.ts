import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { flows } from './support/flows.js';
import { startTestServer, type TestServer } from './support/harness.js';
import WebSocket from 'ws';
import { wsUrl } from './support/ws.js';

/**
 * Client input never reaches PostgreSQL or the executor in a shape they fail on (issue 12 item 1): the
 * examples found by the independent clients, each a kind fixed in one place (src/server/input-guard.ts,
 * src/server/cursor.ts, src/server/nesting.ts, the alias rule in src/server/limits.ts). The whole
 * schema is fuzzed by test/fuzz.test.ts.
 */
const RITA = 'rita@acme.example';
const AGENT = 'alice@docket.local';
const ADMIN = 'admin@docket.local';
const NOPE = '00000000-0000-4000-8000-000000000000';
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

type Res = Awaited<ReturnType<TestServer['gql']>>;
const codes = (res: Res) => (res.errors ?? []).map((e) => e.extensions?.code);

describe('hostile input', () => {
  let s: TestServer;
  let f: ReturnType<typeof flows>;
  let rita = '';
  let agent = '';
  let ticketId = '';

  beforeAll(async () => {
    s = await startTestServer();
    f = flows(s);
    rita = await f.token(RITA);
    agent = await f.token(AGENT);
    ticketId = (await f.create(RITA, { subject: 'Printer', description: 'It jams' })).id;
    await f.comment(AGENT, { ticketId, body: 'Which tray?' });
  });
  afterAll(() => s.close());

  const eventCount = async () => (await s.sql<{ n: string }>('select count(*) as n from ticket_event'))[0]!.n;
  const create = (input: Record<string, unknown>, token = rita) =>
    s.gql<{ createTicket: { errors: { code: string; field: string }[] } }, unknown>(
      'mutation($input: CreateTicketInput!) { createTicket(input: $input) { ticket { id } errors { code field message } } }',
      { input: { subject: 's', description: 'd', channel: 'PORTAL', ...input } },
      token,
    );

  it('refuses a NUL or an unpaired surrogate in any string with INVALID_INPUT naming the field, and writes nothing', async () => {
    const before = await eventCount();
    for (const [input, field] of [
      [{ subject: 'a\u0000b' }, 'input.subject'],
      [{ description: 'broken \ud800 half' }, 'input.description'],
      [{ tags: ['ok', 'x\u0000'] }, 'input.tags[1]'],
      [{ requesterEmail: 'a\udc00@example.com', requesterName: 'x' }, 'input.requesterEmail'],
    ] as const) {
      const res = await create(input, field === 'input.requesterEmail' ? agent : rita);
      expect(res.status).toBe(200);
      expect(res.errors).toBeUndefined();
      expect(res.data!.createTicket.errors).toEqual([
        expect.objectContaining({ code: 'INVALID_INPUT', field }),
      ]);
    }
    expect(await eventCount()).toBe(before);
    // In search and lookup arguments too: a GraphQL error with the code, never an internal error.
    for (const [query, variables] of [
      ['query($s: String) { tickets(filter: { search: $s }) { totalCount } }', { s: 'a\u0000' }],
      ['query($r: String!) { ticketByReference(reference: $r) { id } }', { r: 'TCK-\u0000' }],
      ['query($k: String!) { workflow(key: $k) { key } }', { k: '\ud83d' }],
      ['query($id: ID!) { node(id: $id) { id } }', { id: '\u0000' }],
    ] as const) {
      const res = await s.gql(query, variables, agent);
      expect([res.status, codes(res)]).toEqual([200, ['INVALID_INPUT']]);
    }
  });

  it('checks every cursor against its ordering, the date orderings included', async () => {
    const bogus = [
      b64(['x', NOPE]),
      b64(['2026-01-01T00:00:00.000Z', 'not-a-uuid']),
      b64([1, '2026-01-01T00:00:00.000Z', 'x']),
      b64([99999, '2026-01-01T00:00:00.000Z', NOPE]),
      b64(['1', NOPE]),
      b64({ a: 1 }),
      'not base64 at all!',
    ];
    for (const orderBy of ['QUEUE', 'CREATED_AT_ASC', 'CREATED_AT_DESC', 'UPDATED_AT_DESC'])
      for (const after of bogus) {
        const res = await s.gql(
          'query($o: TicketOrder, $a: String) { tickets(orderBy: $o, after: $a) { totalCount } }',
          { o: orderBy, a: after },
          agent,
        );
        expect([orderBy, after, codes(res)]).toEqual([orderBy, after, ['INVALID_INPUT']]);
      }
    // A cursor of the ordering still pages.
    const page = await s.gql<{ tickets: { pageInfo: { endCursor: string } } }, unknown>(
      '{ tickets(orderBy: CREATED_AT_ASC, first: 1) { pageInfo { endCursor } } }',
      {},
      agent,
    );
    const next = await s.gql(
      'query($a: String) { tickets(orderBy: CREATED_AT_ASC, first: 1, after: $a) { totalCount } }',
      { a: page.data!.tickets.pageInfo.endCursor },
      agent,
    );
    expect(next.errors).toBeUndefined();
    for (const after of [b64(['2026-01-01T00:00:00.000Z', 'nope']), b64(['x', NOPE])]) {
      const res = await s.gql(
        'query($id: ID!, $a: String) { ticket(id: $id) { comments(after: $a) { edges { cursor } } } }',
        { id: ticketId, a: after },
        agent,
      );
      expect(codes(res)).toEqual(['INVALID_INPUT']);
    }
  });

  it('limits the length of a search, documented', async () => {
    const ok = await s.gql(
      'query($s: String) { tickets(filter: { search: $s }) { totalCount } }',
      { s: 'word '.repeat(40) },
      agent,
    );
    expect(ok.errors).toBeUndefined();
    const huge = await s.gql(
      'query($s: String) { tickets(filter: { search: $s }) { totalCount } }',
      { s: 'a b '.repeat(25_000) },
      agent,
    );
    expect([huge.status, codes(huge)]).toEqual([200, ['INVALID_INPUT']]);
    expect(huge.errors![0]!.message).toMatch(/filter\.search: is longer than 200 characters/);
  });

  it('bounds every page size the same way: 0 to 100, negative refused everywhere', async () => {
    const cases = [
      'query($n: Int!) { tickets(first: $n) { totalCount } }',
      'query($n: Int!) { ticketsAtRisk(first: $n) { secondsToBreach } }',
      'query($n: Int!) { notificationMessages(first: $n) { id } }',
      'query($n: Int!, $t: ID!) { ticket(id: $t) { comments(first: $n) { edges { cursor } } } }',
      'query($n: Int!, $t: ID!) { ticket(id: $t) { events(first: $n) { seq } } }',
    ];
    for (const n of [-1, 101, 100000])
      for (const query of cases) {
        const res = await s.gql(query, query.includes('$t') ? { n, t: ticketId } : { n }, agent);
        expect([query, n, codes(res)]).toEqual([query, n, ['INVALID_INPUT']]);
        expect(res.errors![0]!.message).toMatch(/first: must be between 0 and 100/);
      }
    const fine = await s.gql(
      'query($t: ID!) { ticket(id: $t) { events(first: 100) { seq } comments(first: 0) { edges { cursor } } } }',
      { t: ticketId },
      agent,
    );
    expect(fine.errors).toBeUndefined();
  });

  it('refuses variables or a document nested too deep with a 400 (HTTP), not a 500 with a stack', async () => {
    // Built as text: JSON.stringify itself would run out of stack on these.
    const deep = (n: number) => `${'['.repeat(n)}"x"${']'.repeat(n)}`;
    for (const n of [2_000, 5_000, 50_000]) {
      const res = await fetch(s.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${agent}` },
        body: `{"query":"query($t: [String!]) { tickets(filter: { status: $t }) { totalCount } }","variables":{"t":${deep(n)}}}`,
      });
      const text = await res.text();
      expect([n, res.status]).toEqual([n, 400]);
      expect(text).not.toMatch(/call stack|at .*\.js/);
      expect(JSON.parse(text).errors[0].message).toMatch(/nest deeper than 32 levels/);
    }
    const doc = `{ ${'tickets { '.repeat(3000)}${'} '.repeat(3000)} }`;
    const res = await fetch(s.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${agent}` },
      body: JSON.stringify({ query: doc }),
    });
    expect(res.status).toBe(400);
    expect(await res.text()).not.toMatch(/call stack/);
  });

  it('refuses them over the WebSocket too, and the connection stays open', async () => {
    const socket = new WebSocket(wsUrl(s.url), 'graphql-transport-ws');
    const messages: { id?: string; type: string; payload?: unknown }[] = [];
    let closed = false;
    socket.on('message', (d) => messages.push(JSON.parse(String(d))));
    socket.on('close', () => (closed = true));
    const until = async (pred: () => boolean) => {
      for (const end = Date.now() + 10_000; !pred();) {
        if (Date.now() > end) throw new Error(`timed out: ${JSON.stringify(messages).slice(0, 500)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    try {
      await new Promise((r) => socket.once('open', r));
      socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${agent}` } }));
      await until(() => messages.some((m) => m.type === 'connection_ack'));
      const n = 5_000;
      socket.send(
        `{"id":"deep","type":"subscribe","payload":{"query":"subscription($f: SlaAlertFilter) { slaAlerts(filter: $f) { seq } }","variables":{"f":{"ticketIds":[${'['.repeat(n)}"x"${']'.repeat(n)}]}}}}`,
      );
      await until(() => messages.some((m) => m.id === 'deep'));
      const refused = messages.find((m) => m.id === 'deep')!;
      expect(refused.type).toBe('error');
      expect(JSON.stringify(refused.payload)).toMatch(/nest deeper than 32 levels/);
      socket.send(
        JSON.stringify({
          id: 'nul',
          type: 'subscribe',
          payload: {
            query: 'subscription($f: TicketEventFilter) { ticketEvents(filter: $f) { seq } }',
            variables: { f: { ticketIds: ['x\u0000'] } },
          },
        }),
      );
      await until(() => messages.some((m) => m.id === 'nul'));
      expect(JSON.stringify(messages.find((m) => m.id === 'nul'))).toMatch(/INVALID_INPUT/);
      // Still open: a good subscription on the same connection gets its events.
      socket.send(
        JSON.stringify({
          id: 'good',
          type: 'subscribe',
          payload: { query: 'subscription { ticketEvents(after: 0) { seq } }' },
        }),
      );
      await until(() => messages.some((m) => m.id === 'good' && m.type === 'next'));
      expect(closed).toBe(false);
    } finally {
      socket.close();
    }
  });

  it('counts every alias whatever the field: 40 aliases of __typename are refused', async () => {
    const res = await fetch(s.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/graphql-response+json',
        authorization: `Bearer ${agent}`,
      },
      body: JSON.stringify({
        query: `{ ${Array.from({ length: 40 }, (_, i) => `a${i}: __typename`).join(' ')} }`,
      }),
    });
    const body = (await res.json()) as { data?: unknown; errors: { message: string }[] };
    expect(res.status).toBe(400);
    expect(body.data).toBeUndefined();
    expect(body.errors[0]!.message).toMatch(/Aliases limit of 30 exceeded, found 40/);
  });

  it('keeps admins’ inputs safe too: a NUL in a workflow definition is refused by name', async () => {
    const res = await s.gql<{ updateWorkflow: { errors: { code: string; field: string }[] } }, unknown>(
      'mutation($n: String) { updateWorkflow(input: { key: "agency", name: $n }) { errors { code field } } }',
      { n: 'Agency\u0000' },
      await f.token(ADMIN),
    );
    expect(res.data!.updateWorkflow.errors).toEqual([{ code: 'INVALID_INPUT', field: 'input.name' }]);
  });
});
