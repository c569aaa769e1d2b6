import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  QueueDocument,
  TicketEventSeqsDocument,
  TransitionTicketDocument,
  ViewerDocument,
} from './generated/graphql.js';
import { fastCriticalSla } from './support/fast-sla.js';
import { flows } from './support/flows.js';
import { startTestServer, uuidOf, type TestServer } from './support/harness.js';
import { freePort } from './support/processes.js';
import { parsePrometheus, sample, type Sample } from './support/prometheus.js';
import { connect } from './support/ws.js';

const METRICS_TOKEN = 'scrape-me-scrape-me-1234';
const AGENT = 'alice@docket.local';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('/metrics (Prometheus)', () => {
  let s: TestServer;
  let f: ReturnType<typeof flows>;

  beforeAll(async () => {
    s = await startTestServer({ scheduler: 'process', env: { METRICS_TOKEN } });
    f = flows(s);
  });
  afterAll(() => s.close());

  const metricsUrl = () => s.url.replace(/\/graphql$/, '/metrics');
  const scrape = async (): Promise<Sample[]> => {
    const res = await fetch(metricsUrl(), { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(res.status).toBe(200);
    return parsePrometheus(await res.text());
  };
  const waitFor = async (check: () => Promise<boolean>, ms = 10_000) => {
    const until = Date.now() + ms;
    while (!(await check())) {
      if (Date.now() > until) throw new Error(`condition not met within ${ms} ms`);
      await sleep(50);
    }
  };

  it('answers only a scrape with METRICS_TOKEN, in the text format', async () => {
    expect(s.server.metricsUrl).toBe(metricsUrl());
    const none = await fetch(metricsUrl());
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(
      (await fetch(metricsUrl(), { headers: { authorization: 'Bearer wrong-token-wrong' } })).status,
    ).toBe(401);
    const res = await fetch(metricsUrl(), { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const samples = parsePrometheus(await res.text());
    // The process's own series come along (prom-client's defaults).
    expect(sample(samples, 'process_cpu_seconds_total')).toBeGreaterThan(0);
    expect(sample(samples, 'docket_db_pool_max')).toBe(10);
  });

  it('counts HTTP requests and GraphQL operations by name and outcome, and errors by code, after known traffic', async () => {
    const token = await f.token(AGENT);
    const ticket = await f.create(AGENT, { requesterEmail: 'rita@acme.example', subject: 'Counted' });
    const before = await scrape();
    const op = (labels: Record<string, string>) => ({ operation: 'Queue', type: 'query', ...labels });
    for (let i = 0; i < 3; i++)
      expect((await s.gql(QueueDocument, { first: 5 }, token)).errors).toBeUndefined();
    // Anonymous: UNAUTHENTICATED, HTTP 401.
    expect((await s.gql(ViewerDocument, {})).status).toBe(401);
    // A typed error in a mutation's payload: STALE_VERSION.
    const stale = await s.gql(
      TransitionTicketDocument,
      { input: { ticketId: ticket.id, to: 'pending', expectedVersion: 999 } },
      token,
    );
    expect(stale.data!.transitionTicket.errors[0]!.code).toBe('STALE_VERSION');
    const after = await scrape();
    const delta = (name: string, labels: Record<string, string>) =>
      (sample(after, name, labels) ?? 0) - (sample(before, name, labels) ?? 0);

    expect(delta('docket_graphql_operations_total', op({ outcome: 'OK' }))).toBe(3);
    expect(delta('docket_graphql_operation_duration_seconds_count', op({ outcome: 'OK' }))).toBe(3);
    expect(delta('docket_graphql_operation_duration_seconds_sum', op({ outcome: 'OK' }))).toBeGreaterThan(0);
    expect(
      delta('docket_graphql_operations_total', {
        operation: 'Viewer',
        type: 'query',
        outcome: 'UNAUTHENTICATED',
      }),
    ).toBe(1);
    expect(delta('docket_graphql_errors_total', { code: 'UNAUTHENTICATED', source: 'graphql' })).toBe(1);
    expect(
      delta('docket_graphql_operations_total', {
        operation: 'TransitionTicket',
        type: 'mutation',
        outcome: 'STALE_VERSION',
      }),
    ).toBe(1);
    expect(delta('docket_graphql_errors_total', { code: 'STALE_VERSION', source: 'payload' })).toBe(1);
    // HTTP: four answered 200 and one 401 on /graphql (plus the scrape itself on /metrics).
    const http = (status: string) => ({ method: 'POST', route: '/graphql', status });
    expect(delta('docket_http_requests_total', http('200'))).toBe(4);
    expect(delta('docket_http_requests_total', http('401'))).toBe(1);
    expect(delta('docket_http_request_duration_seconds_count', http('200'))).toBe(4);
    expect(delta('docket_http_requests_total', { method: 'GET', route: '/metrics', status: '200' })).toBe(1);
    // The pool lent connections for those requests, each timed.
    expect(delta('docket_db_pool_acquire_wait_seconds_count', {})).toBeGreaterThanOrEqual(5);
    expect(sample(after, 'docket_db_pool_connections', { state: 'used' })).toBeGreaterThanOrEqual(0);
    expect(sample(after, 'docket_db_pool_pending_acquires')).toBe(0);
  });

  it('reports WebSocket connections and subscriptions while they run, and the feed against the log head', async () => {
    const conn = connect(s.url, await f.token(AGENT));
    const sub = conn.subscribe(TicketEventSeqsDocument, {});
    await waitFor(
      async () => sample(await scrape(), 'docket_subscriptions', { field: 'ticketEvents' }) === 1,
    );
    let samples = await scrape();
    expect(sample(samples, 'docket_websocket_connections')).toBe(1);
    expect(
      sample(samples, 'docket_graphql_operations_total', {
        operation: 'TicketEventSeqs',
        type: 'subscription',
        outcome: 'OK',
      }),
    ).toBe(1);
    await f.create(AGENT, { requesterEmail: 'rita@acme.example', subject: 'Followed' });
    await sub.take(1);
    const [{ last }] = await s.sql<{ last: string }>('select max(seq) as last from ticket_event');
    samples = await scrape();
    expect(sample(samples, 'docket_event_log_head_seq')).toBe(Number(last));
    expect(sample(samples, 'docket_event_feed_position_seq')).toBe(Number(last));
    expect(sample(samples, 'docket_event_feed_lag_events')).toBe(0);
    await conn.dispose();
    await waitFor(async () => {
      const now = await scrape();
      return (
        sample(now, 'docket_websocket_connections') === 0 &&
        sample(now, 'docket_subscriptions', { field: 'ticketEvents' }) === 0
      );
    });
  });

  it('reports the scheduler: jobs by outcome, lateness from due time to commit, pending deadlines', async () => {
    await fastCriticalSla(s, f);
    const uma = (await s.gql(ViewerDocument, {}, await f.token('uma@umbrella.example'))).data!.viewer.id;
    const before = await scrape();
    const t = await f.create(AGENT, { requesterId: uma, workflowKey: 'saas-fast', priority: 'CRITICAL' });
    // Pending: what the database holds, counted with the scheduler's own conditions.
    const [{ n }] = await s.sql<{ n: string }>(
      "select count(*) as n from ticket_sla_target where state = 'ACTIVE' and due_at is not null",
    );
    expect(sample(await scrape(), 'docket_scheduler_pending_deadlines', { kind: 'sla-breach' })).toBe(
      Number(n),
    );
    await waitFor(async () => {
      const [row] = await s.sql("select 1 from ticket_event where ticket_id = $1 and type = 'SLA_BREACHED'", [
        uuidOf(t.id),
      ]);
      return row !== undefined;
    });
    let after: Sample[] = [];
    await waitFor(async () => {
      after = await scrape();
      return (
        (sample(after, 'docket_scheduler_jobs_total', { kind: 'sla-breach', outcome: 'handled' }) ?? 0) >
        (sample(before, 'docket_scheduler_jobs_total', { kind: 'sla-breach', outcome: 'handled' }) ?? 0)
      );
    });
    const count = (kind: string, name: string) =>
      (sample(after, name, { kind, via: 'job' }) ?? 0) - (sample(before, name, { kind, via: 'job' }) ?? 0);
    for (const kind of ['sla-warning', 'sla-breach'])
      expect(count(kind, 'docket_scheduler_lateness_seconds_count')).toBe(1);
    // The breach's lateness runs from its due time (breachedAt) to its commit, which comes after the
    // change's clock reading (occurred_at): at least that gap, and not much more.
    const [breach] = await s.sql<{ occurred_at: Date; payload: { breachedAt: string } }>(
      "select occurred_at, payload from ticket_event where ticket_id = $1 and type = 'SLA_BREACHED'",
      [uuidOf(t.id)],
    );
    const floor = (breach!.occurred_at.getTime() - Date.parse(breach!.payload.breachedAt)) / 1000;
    const late = count('sla-breach', 'docket_scheduler_lateness_seconds_sum');
    expect(late).toBeGreaterThanOrEqual(Math.max(0, floor - 0.001));
    expect(late).toBeLessThan(floor + 5);
    expect(
      sample(after, 'docket_scheduler_jobs_total', { kind: 'deadline-sweep', outcome: 'handled' }),
    ).toBeGreaterThanOrEqual(1);
    for (const kind of ['workflow-timer', 'sla-warning', 'sla-breach'])
      expect(sample(after, 'docket_scheduler_overdue_deadlines', { kind })).toBeGreaterThanOrEqual(0);
  });

  it('serves /metrics on METRICS_PORT instead of the API port when it is set', async () => {
    const port = await freePort();
    const other = await startTestServer({ env: { METRICS_PORT: String(port), HOST: '127.0.0.1' } });
    try {
      expect(other.server.metricsUrl).toBe(`http://127.0.0.1:${port}/metrics`);
      const res = await fetch(other.server.metricsUrl!);
      expect(res.status).toBe(200);
      expect(sample(parsePrometheus(await res.text()), 'docket_db_pool_max')).toBe(10);
      expect((await fetch(other.url.replace(/\/graphql$/, '/metrics'))).status).toBe(404);
    } finally {
      await other.close();
    }
  });
});
