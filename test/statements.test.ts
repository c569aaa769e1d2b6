import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { QueueDocument } from './generated/graphql.js';
import { startTestServer, type TestServer } from './support/harness.js';

/** The N+1 guard: a queue page's statement count does not grow with the page size. */
describe('queue page statements', () => {
  let s: TestServer;
  let token: string;

  beforeAll(async () => {
    s = await startTestServer();
    token = await s.tokenFor('alice@docket.local');
    // 60 more tickets across requesters, organizations, teams and assignees, some with comments.
    await s.sql(`
      insert into ticket (id, subject, description, channel, category, priority, workflow_version_id, status, status_category,
                          tier, assignee_id, team_id, requester_id, organization_id, tags, created_at, updated_at)
      select gen_random_uuid(), 'Bulk ' || g, 'Bulk ticket', 'EMAIL', 'question', (array['LOW','MEDIUM','HIGH','CRITICAL'])[1 + g % 4],
             t.workflow_version_id, 'open_new', 'NEW', 1,
             (select id from app_user where role = 'AGENT' order by email offset g % 4 limit 1),
             (select id from team order by key offset g % 3 limit 1),
             u.id, u.organization_id, '{}', now() - (g || ' minutes')::interval, now()
      from generate_series(1, 60) g
      cross join lateral (select id, organization_id from app_user where role = 'REQUESTER' order by email offset g % 6 limit 1) u
      cross join (select workflow_version_id from ticket limit 1) t`);
    await s.sql(
      `update ticket set team_id = (select id from team order by key limit 1) where team_id is null`,
    );
    await s.sql(`insert into comment (id, ticket_id, author_kind, body, internal, created_at)
                 select gen_random_uuid(), id, 'AGENT', 'note', (random() < 0.5), now() from ticket`);
    // The counts Docket keeps on each ticket, as addComment would have left them.
    await s.sql(`update ticket t set comments_total = c.total, comments_public = c.public
                 from (select ticket_id, count(*) as total, count(*) filter (where not internal) as public from comment group by ticket_id) c
                 where c.ticket_id = t.id`);
  });
  afterAll(() => s.close());

  it('issues the same number of statements for 5 and 50 tickets, at most 6', async () => {
    // The caller's user row is remembered for a few seconds after the first request: warm it.
    await s.gql(QueueDocument, { first: 1 }, token);
    const five = await s.gql(QueueDocument, { first: 5 }, token);
    const fifty = await s.gql(QueueDocument, { first: 50 }, token);
    expect(five.errors).toBeUndefined();
    expect(fifty.data!.tickets.edges).toHaveLength(50);
    const nodes = fifty.data!.tickets.edges.map((e) => e.node);
    expect(nodes.every((n) => n.requester && n.organization && n.team && n.assignee)).toBe(true);
    expect(nodes.some((n) => n.commentCount > 0)).toBe(true);
    expect(five.extensions!.sqlStatements).toBe(fifty.extensions!.sqlStatements);
    expect(fifty.extensions!.sqlStatements).toBeLessThanOrEqual(6);
  });

  it('with SLA targets on every ticket, still the same count for 5 and 50 tickets', async () => {
    const query = `query Q($first: Int) { tickets(first: $first) { edges { node { id requester { name } sla {
      policy { key } targets { kind state dueAt remainingSeconds explain { summary } } } } } } }`;
    // Workflow, policy and calendar versions are immutable and cached per process: warm them first.
    await s.gql(query, { first: 50 }, token);
    const five = await s.gql(query, { first: 5 }, token);
    const fifty = await s.gql(query, { first: 50 }, token);
    expect(fifty.errors).toBeUndefined();
    const withSla = (fifty.data as { tickets: { edges: { node: { sla: unknown } }[] } }).tickets.edges.filter(
      (e) => e.node.sla,
    );
    expect(withSla.length).toBeGreaterThan(0);
    expect(five.extensions!.sqlStatements).toBe(fifty.extensions!.sqlStatements);
  });
});
