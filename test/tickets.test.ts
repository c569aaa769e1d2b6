import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  AssignTicketDocument,
  CreateTicketDocument,
  NodeDocument,
  QueueDocument,
  TicketByReferenceDocument,
  TicketDocument,
  TransitionTicketDocument,
  UpdateTicketDocument,
  ViewerDocument,
} from './generated/graphql.js';
import { flows } from './support/flows.js';
import { gid, startTestServer, type TestServer } from './support/harness.js';

const AGENT = 'alice@docket.local';
const RITA = 'rita@acme.example';
const SAM = 'sam@acme.example';

describe('tickets over GraphQL', () => {
  let s: TestServer;
  let f: ReturnType<typeof flows>;
  const ticketCount = async () =>
    Number((await s.sql<{ n: string }>('select count(*) as n from ticket'))[0].n);
  const eventCount = async () =>
    Number((await s.sql<{ n: string }>('select count(*) as n from ticket_event'))[0].n);

  beforeAll(async () => {
    s = await startTestServer();
    f = flows(s);
  });
  afterAll(() => s.close());

  it('creates tickets through every channel with a reference, priority from the plan, and history', async () => {
    for (const channel of ['PORTAL', 'EMAIL', 'PHONE', 'CHAT', 'API', 'FORUM'] as const) {
      const t = await f.create(RITA, { channel, subject: `Via ${channel}` });
      expect(t.channel).toBe(channel);
      expect(t.reference).toMatch(/^TCK-\d{6}$/);
      expect(t.priority).toBe('MEDIUM'); // Acme is on Pro
      expect(t.version).toBeGreaterThanOrEqual(1);
    }
    const t = await f.create(RITA, { subject: 'Referenced' });
    const byRef = await s.gql(
      TicketByReferenceDocument,
      { reference: t.reference.toLowerCase() },
      await f.token(RITA),
    );
    expect(byRef.data!.ticketByReference!.id).toBe(t.id);
    const events = (await f.get(AGENT, t.id))!.events.map((e) => e.type);
    expect(events).toEqual(['TICKET_CREATED', 'TICKET_ASSIGNED']);
  });

  it('agents open tickets for a requester; requesters may not choose the requester', async () => {
    const sam = (await s.gql(ViewerDocument, {}, await f.token(SAM))).data!.viewer!;
    const t = await f.create(AGENT, {
      requesterId: sam.id,
      subject: 'Phoned in',
      channel: 'PHONE',
      category: 'work request',
    });
    expect(t.requester.id).toBe(sam.id);
    expect(t.category).toBe('work request');
    const before = await ticketCount();
    const res = await s.gql(
      CreateTicketDocument,
      {
        input: {
          subject: 'x',
          description: 'y',
          channel: 'PORTAL',
          requesterId: sam.id,
          category: 'question',
        },
      },
      await f.token(RITA),
    );
    expect(res.data!.createTicket.errors.map((e) => e.field).sort()).toEqual(['category', 'requesterId']);
    expect(await ticketCount()).toBe(before);
  });

  it('assigns a new ticket to the agent who handled most of the requester’s tickets, else the least-loaded tier-1 agent', async () => {
    const familiarOf = async (email: string) =>
      (
        await s.sql<{ id: string }>(
          `select t.assignee_id as id from ticket t join app_user r on r.id = t.requester_id
            where r.email = $1 and t.assignee_id is not null group by t.assignee_id order by count(*) desc, max(t.created_at) desc limit 1`,
          [email],
        )
      )[0]!.id;
    const bob = (await s.gql(ViewerDocument, {}, await f.token('bob@docket.local'))).data!.viewer!;
    // Give Hana a clear favourite: three tickets handled by Bob.
    const HANA = 'hana@hooli.example';
    for (let i = 0; i < 3; i++) {
      const t = await f.create(HANA, { subject: `History ${i}` });
      await s.gql(
        AssignTicketDocument,
        { input: { ticketId: t.id, assigneeId: bob.id } },
        await f.token(AGENT),
      );
    }
    expect(gid('User', await familiarOf(HANA))).toBe(bob.id);
    expect((await f.create(HANA, { subject: 'Back again' })).assignee!.id).toBe(bob.id);

    // A requester with no history (and no organization) goes to the least-loaded available tier-1 agent.
    await s.sql(
      `insert into app_user (id, email, name, role, available, created_at) values (gen_random_uuid(), 'new@nowhere.example', 'New Person', 'REQUESTER', true, now())`,
    );
    const [leastLoaded] = await s.sql<{ id: string }>(
      `select u.id from app_user u left join ticket t on t.assignee_id = u.id and t.status_category not in ('RESOLVED', 'CLOSED')
        where u.role = 'AGENT' and u.available and u.tier = 1 group by u.id, u.created_at order by count(t.id), u.created_at, u.id limit 1`,
    );
    expect((await f.create('new@nowhere.example', { subject: 'Hello' })).assignee!.id).toBe(
      gid('User', leastLoaded!.id),
    );

    // Bob unavailable: Hana's next ticket goes elsewhere; nobody available: unassigned.
    await s.sql("update app_user set available = false where email = 'bob@docket.local'");
    expect((await f.create(HANA, { subject: 'Bob is away' })).assignee!.id).not.toBe(bob.id);
    await s.sql("update app_user set available = false where role = 'AGENT'");
    expect((await f.create('new@nowhere.example', { subject: 'Nobody available' })).assignee).toBeNull();
    await s.sql("update app_user set available = true where role = 'AGENT'");
  });

  it('requesters see only their own tickets and never internal notes; agents see all', async () => {
    const t = await f.create(RITA, { subject: 'Private matter' });
    await f.comment(AGENT, { ticketId: t.id, body: 'SECRET internal reasoning', internal: true });
    await f.comment(AGENT, { ticketId: t.id, body: 'Public answer' });
    const asRita = await f.get(RITA, t.id);
    expect(asRita!.comments.edges.map((e) => e.node.body)).toEqual(['Public answer']);
    expect(asRita!.commentCount).toBe(1);
    expect(JSON.stringify(asRita)).not.toContain('SECRET');
    expect(asRita!.events.some((e) => e.payload.internal === true)).toBe(false);
    const asAgent = await f.get(AGENT, t.id);
    expect(asAgent!.comments.edges).toHaveLength(2);
    expect(await f.get(SAM, t.id)).toBeNull();
    expect((await s.gql(NodeDocument, { id: t.id }, await f.token(SAM))).data!.node).toBeNull();
    expect(
      (await s.gql(TicketByReferenceDocument, { reference: t.reference }, await f.token(SAM))).data!
        .ticketByReference,
    ).toBeNull();
    const samQueue = await s.gql(QueueDocument, { first: 100 }, await f.token(SAM));
    expect(samQueue.data!.tickets.edges.every((e) => e.node.requester!.name === 'Sam Requester')).toBe(true);
    const internal = await s.gql(
      `mutation { addComment(input: { ticketId: "${t.id}", body: "x", internal: true }) { errors { code field } } }`,
      undefined,
      await f.token(RITA),
    );
    expect((internal.data as { addComment: { errors: unknown[] } }).addComment.errors).toEqual([
      { code: 'INVALID_INPUT', field: 'internal' },
    ]);
    const node = await s.gql(NodeDocument, { id: t.id }, await f.token(AGENT));
    expect(node.data!.node).toMatchObject({ __typename: 'Ticket', reference: t.reference });
  });

  it('refuses a transition the workflow does not allow, listing the allowed targets, and writes nothing', async () => {
    const t = await f.create(RITA, { subject: 'Strict' });
    const events = await eventCount();
    const res = await s.gql(
      TransitionTicketDocument,
      { input: { ticketId: t.id, to: 'closed', expectedVersion: t.version, reason: 'x' } },
      await f.token(RITA),
    );
    expect(res.data!.transitionTicket).toMatchObject({
      ticket: null,
      errors: [
        {
          __typename: 'TransitionNotAllowedUserError',
          code: 'TRANSITION_NOT_ALLOWED',
          from: 'open_new',
          to: 'closed',
          allowedTargets: [],
        },
      ],
    });
    const agentTry = await s.gql(
      TransitionTicketDocument,
      { input: { ticketId: t.id, to: 'nowhere', expectedVersion: t.version } },
      await f.token(AGENT),
    );
    const err = agentTry.data!.transitionTicket.errors[0]!;
    expect(err.code).toBe('TRANSITION_NOT_ALLOWED');
    expect('allowedTargets' in err && err.allowedTargets).toEqual(
      expect.arrayContaining(['pending', 'solved']),
    );
    expect(err.message).toContain('allowed: ');
    const noReason = await s.gql(
      TransitionTicketDocument,
      { input: { ticketId: t.id, to: 'closed', expectedVersion: t.version } },
      await f.token(AGENT),
    );
    expect(noReason.data!.transitionTicket.errors).toMatchObject([
      { code: 'REASON_REQUIRED', field: 'reason' },
    ]);
    const stale = await s.gql(
      TransitionTicketDocument,
      { input: { ticketId: t.id, to: 'pending', expectedVersion: t.version + 5 } },
      await f.token(AGENT),
    );
    expect(stale.data!.transitionTicket.errors).toMatchObject([
      { code: 'STALE_VERSION', currentVersion: t.version },
    ]);
    expect(await eventCount()).toBe(events);
    expect((await f.get(AGENT, t.id))!.version).toBe(t.version);
  });

  it('oversized or malformed input gets a typed error and writes nothing', async () => {
    const tickets = await ticketCount();
    const events = await eventCount();
    const token = await f.token(RITA);
    const long = await s.gql(
      CreateTicketDocument,
      { input: { subject: 'x'.repeat(201), description: '', channel: 'EMAIL' } },
      token,
    );
    expect(long.data!.createTicket.errors).toMatchObject([{ code: 'INVALID_INPUT', field: 'subject' }]);
    expect(long.data!.createTicket.errors[0]!.message).toContain('at most 200');
    const empty = await s.gql(
      CreateTicketDocument,
      { input: { subject: '   ', description: '', channel: 'EMAIL' } },
      token,
    );
    expect(empty.data!.createTicket.errors).toMatchObject([{ code: 'INVALID_INPUT', field: 'subject' }]);
    const badEnum = await s.gql(
      CreateTicketDocument,
      { input: { subject: 'x', description: '', channel: 'PIGEON' as never } },
      token,
    );
    expect(badEnum.errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
    const badId = await s.gql(TicketDocument, { id: 'not-an-id' }, token);
    expect(badId.errors![0]!.extensions!.code).toBe('INVALID_INPUT');
    const badRelated = await s.gql(
      CreateTicketDocument,
      {
        input: {
          subject: 'x',
          description: '',
          channel: 'EMAIL',
          relatedTo: { ticketId: 'nope', kind: 'FOLLOW_UP' },
        },
      },
      token,
    );
    expect(badRelated.data!.createTicket.errors).toMatchObject([
      { code: 'INVALID_INPUT', field: 'relatedTo.ticketId' },
    ]);
    const badUpdate = await s.gql(
      UpdateTicketDocument,
      { input: { ticketId: 'VGlja2V0OjAwMDAwMDAwLTAwMDAtMDAwMC0wMDAwLTAwMDAwMDAwMDAwMA', subject: 'y' } },
      token,
    );
    expect(badUpdate.data!.updateTicket.errors).toMatchObject([{ code: 'NOT_FOUND' }]);
    expect(await ticketCount()).toBe(tickets);
    expect(await eventCount()).toBe(events);
  });

  it('answers UNAUTHENTICATED without a token or with a bad one, and never leaks a stack trace', async () => {
    const anon = await s.gql(QueueDocument, {});
    expect(anon.errors![0]!.extensions!.code).toBe('UNAUTHENTICATED');
    const bad = await s.gql(QueueDocument, {}, 'not.a.jwt');
    expect(bad.status).toBe(401);
    expect(bad.errors![0]!.extensions!.code).toBe('UNAUTHENTICATED');
    expect(JSON.stringify(bad)).not.toContain('stacktrace');
  });

  it('agents update details and tags; requesters may not touch staff fields', async () => {
    const t = await f.create(RITA, { subject: 'Typo in subjcet' });
    const agent = await s.gql(
      UpdateTicketDocument,
      {
        input: { ticketId: t.id, subject: 'Typo in subject', priority: 'HIGH', addTags: ['vip', 'billing'] },
      },
      await f.token(AGENT),
    );
    expect(agent.data!.updateTicket.ticket).toMatchObject({
      subject: 'Typo in subject',
      priority: 'HIGH',
      tags: ['vip', 'billing'],
    });
    const removed = await s.gql(
      UpdateTicketDocument,
      { input: { ticketId: t.id, removeTags: ['vip'] } },
      await f.token(AGENT),
    );
    expect(removed.data!.updateTicket.ticket!.tags).toEqual(['billing']);
    const rita = await s.gql(
      UpdateTicketDocument,
      { input: { ticketId: t.id, priority: 'CRITICAL' } },
      await f.token(RITA),
    );
    expect(rita.data!.updateTicket.errors).toMatchObject([{ code: 'INVALID_INPUT', field: 'priority' }]);
    const types = (await f.get(AGENT, t.id))!.events.map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['TICKET_UPDATED', 'TAGS_CHANGED']));
  });

  it('pages the queue by priority then age with cursors, filters, and search', async () => {
    const token = await f.token(AGENT);
    const all = await s.gql(QueueDocument, { first: 100 }, token);
    const nodes = all.data!.tickets.edges.map((e) => e.node);
    const rank = { CRITICAL: 0, HIGH: 1, MEDIUM: 2, LOW: 3 } as const;
    for (let i = 1; i < nodes.length; i++) {
      const [a, b] = [nodes[i - 1]!, nodes[i]!];
      expect(
        rank[a.priority] < rank[b.priority] ||
          (rank[a.priority] === rank[b.priority] && a.createdAt <= b.createdAt),
      ).toBe(true);
    }
    const page1 = await s.gql(QueueDocument, { first: 3 }, token);
    const page2 = await s.gql(
      QueueDocument,
      { first: 3, after: page1.data!.tickets.pageInfo.endCursor },
      token,
    );
    expect([...page1.data!.tickets.edges, ...page2.data!.tickets.edges].map((e) => e.node.id)).toEqual(
      nodes.slice(0, 6).map((n) => n.id),
    );
    expect(page1.data!.tickets.totalCount).toBe(nodes.length);
    const critical = await s.gql(QueueDocument, { filter: { priority: ['CRITICAL'] } }, token);
    expect(critical.data!.tickets.edges.every((e) => e.node.priority === 'CRITICAL')).toBe(true);
    const search = await s.gql(QueueDocument, { filter: { search: 'invoices' }, first: 100 }, token);
    const [{ n }] = await s.sql<{ n: string }>(
      "select count(*) as n from ticket where subject ~* '\\minvoices\\M' or description ~* '\\minvoices\\M'",
    );
    expect(search.data!.tickets.totalCount).toBe(Number(n));
    expect(Number(n)).toBeGreaterThan(0);
    const badCursor = await s.gql(QueueDocument, { after: 'garbage' }, token);
    expect(badCursor.errors![0]!.extensions!.code).toBe('INVALID_INPUT');
  });
});

describe('tickets totalCount', () => {
  it('is counted when asked for through a fragment too', async () => {
    const s = await startTestServer();
    try {
      const token = await s.tokenFor('alice@docket.local');
      const direct = await s.gql('{ tickets { totalCount } }', undefined, token);
      const viaFragment = await s.gql(
        '{ tickets { ...F } } fragment F on TicketConnection { totalCount }',
        undefined,
        token,
      );
      const inline = await s.gql('{ tickets { ... on TicketConnection { totalCount } } }', undefined, token);
      expect((direct.data as { tickets: { totalCount: number } }).tickets.totalCount).toBe(8);
      expect(viaFragment.data).toEqual(direct.data);
      expect(inline.data).toEqual(direct.data);
    } finally {
      await s.close();
    }
  });
});
