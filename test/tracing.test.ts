import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  AddCommentDocument,
  CreateTicketDocument,
  QueueDocument,
  ViewerDocument,
} from './generated/graphql.js';
import { fastCriticalSla } from './support/fast-sla.js';
import { flows } from './support/flows.js';
import { startTestServer, type TestServer } from './support/harness.js';
import { startDocket, type DocketProcess } from './support/processes.js';

/** One span as OTLP/HTTP JSON carries it, with its resource and instrumentation scope. */
interface Span {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  scope: string;
  service?: string;
  attributes: Record<string, unknown>;
}

/** An in-process OTLP/HTTP receiver (JSON encoding): what a collector would get from Docket. */
async function otlpReceiver() {
  const spans: Span[] = [];
  const contentTypes = new Set<string>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      contentTypes.add(`${req.method} ${req.url} ${req.headers['content-type']}`);
      type Value = { stringValue?: string; intValue?: string; boolValue?: boolean };
      type Attr = { key: string; value: Value };
      const attrs = (list: Attr[] = []) =>
        Object.fromEntries(
          list.map((a) => [a.key, a.value.stringValue ?? a.value.intValue ?? a.value.boolValue]),
        );
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        resourceSpans: {
          resource: { attributes: Attr[] };
          scopeSpans: {
            scope: { name: string };
            spans: (Omit<Span, 'attributes' | 'scope'> & { attributes: Attr[] })[];
          }[];
        }[];
      };
      for (const rs of body.resourceSpans) {
        const service = attrs(rs.resource.attributes)['service.name'] as string | undefined;
        for (const ss of rs.scopeSpans)
          for (const sp of ss.spans)
            spans.push({ ...sp, scope: ss.scope.name, service, attributes: attrs(sp.attributes) });
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans,
    contentTypes,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const AGENT = 'alice@docket.local';

describe('OpenTelemetry traces (OTEL_EXPORTER_OTLP_ENDPOINT set)', () => {
  let s: TestServer;
  let f: ReturnType<typeof flows>;
  let receiver: Awaited<ReturnType<typeof otlpReceiver>>;
  let docket: DocketProcess;

  beforeAll(async () => {
    // The database, demo data and a fast SLA policy come from an in-process server without a scheduler;
    // the traced server is a `docket serve` process of its own (tracing hooks the modules it loads).
    s = await startTestServer();
    f = flows(s);
    await fastCriticalSla(s, f);
    receiver = await otlpReceiver();
    docket = await startDocket('serve', s.databaseUrl, {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_SERVICE_NAME: 'docket-test',
      SCHEDULER_POLL_MS: '200',
    });
  }, 90_000);
  afterAll(async () => {
    await docket?.stop();
    await receiver?.close();
    await s?.close();
  });

  const gql = async <R, V>(doc: TypedDocumentNode<R, V>, variables: V, email: string) => {
    const res = await fetch(docket.url!, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await f.token(email)}` },
      body: JSON.stringify({ query: print(doc), variables }),
    });
    return (await res.json()) as { data: R; errors?: unknown[] };
  };
  const waitForSpans = async (check: () => boolean, ms = 15_000) => {
    const until = Date.now() + ms;
    while (!check()) {
      if (Date.now() > until)
        throw new Error(
          `spans not received within ${ms} ms; got ${receiver.spans.map((x) => x.name).join(', ')}`,
        );
      await sleep(100);
    }
  };
  const ancestors = (span: Span): Span[] => {
    const out: Span[] = [];
    let at: Span | undefined = span;
    while (at?.parentSpanId) {
      at = receiver.spans.find((x) => x.spanId === at!.parentSpanId && x.traceId === span.traceId);
      if (at) out.push(at);
    }
    return out;
  };

  it('traces a request through HTTP, Express, GraphQL, the use case and its SQL, with the trace id in the logs', async () => {
    const uma = (await gql(ViewerDocument, {}, 'uma@umbrella.example')).data.viewer.id;
    const created = await gql(
      CreateTicketDocument,
      { input: { subject: 'Traced', description: 'Follow me', channel: 'PORTAL', requesterId: uma } },
      AGENT,
    );
    expect(created.errors).toBeUndefined();
    const ticketId = created.data.createTicket.ticket!.id;
    const comment = await gql(
      AddCommentDocument,
      { input: { ticketId, body: 'A note', internal: true } },
      AGENT,
    );
    expect(comment.data.addComment.errors).toEqual([]);

    await waitForSpans(() => receiver.spans.some((x) => x.name === 'usecase addComment'));
    const useCase = receiver.spans.find((x) => x.name === 'usecase addComment')!;
    expect(useCase).toMatchObject({ scope: 'docket', service: 'docket-test' });
    expect(useCase.attributes['docket.actor_kind']).toBe('AGENT');
    // Nested under GraphQL's execution and the HTTP request that carried it.
    const chain = ancestors(useCase);
    expect(chain.map((x) => x.scope)).toEqual(
      expect.arrayContaining([
        '@opentelemetry/instrumentation-graphql',
        '@opentelemetry/instrumentation-http',
      ]),
    );
    const request = chain.find((x) => x.scope === '@opentelemetry/instrumentation-http')!;
    expect(request.name).toBe('POST /graphql');
    const trace = receiver.spans.filter((x) => x.traceId === useCase.traceId);
    expect(trace.some((x) => x.scope === '@opentelemetry/instrumentation-express')).toBe(true);
    expect(trace.some((x) => x.name === 'mutation AddComment')).toBe(true);
    // The use case's SQL, each statement a child of the use case (through the transaction).
    const sql = trace.filter((x) => x.scope === '@opentelemetry/instrumentation-pg');
    expect(sql.length).toBeGreaterThanOrEqual(3);
    expect(sql.filter((x) => ancestors(x).includes(useCase)).length).toBeGreaterThanOrEqual(3);
    // The server's log line for that request names the same trace.
    const lines = docket.log
      .join('')
      .split('\n')
      .filter((l) => l.includes('"graphql request"'))
      .map((l) => JSON.parse(l) as { trace_id?: string; span_id?: string });
    expect(lines.some((l) => l.trace_id === useCase.traceId)).toBe(true);
    expect(
      lines.every((l) => /^[0-9a-f]{32}$/.test(l.trace_id ?? '') && /^[0-9a-f]{16}$/.test(l.span_id ?? '')),
    ).toBe(true);
    // Delivering the committed events to this process's subscribers is a span too.
    await waitForSpans(() => receiver.spans.some((x) => x.name === 'events.deliver'));
    expect(receiver.contentTypes).toEqual(new Set([`POST /v1/traces application/json`]));
  });

  it('traces scheduler jobs with their SQL', async () => {
    const uma = (await gql(ViewerDocument, {}, 'uma@umbrella.example')).data.viewer.id;
    const created = await gql(
      CreateTicketDocument,
      {
        input: {
          subject: 'Breach me',
          description: 'Soon',
          channel: 'PORTAL',
          requesterId: uma,
          workflowKey: 'saas-fast',
          priority: 'CRITICAL',
        },
      },
      AGENT,
    );
    expect(created.errors).toBeUndefined();
    await waitForSpans(() => receiver.spans.some((x) => x.name === 'scheduler.job sla-breach'));
    const job = receiver.spans.find((x) => x.name === 'scheduler.job sla-breach')!;
    expect(job.attributes['docket.ticket_id']).toEqual(expect.stringMatching(/^[0-9a-f-]{36}$/));
    const sql = receiver.spans.filter(
      (x) => x.traceId === job.traceId && x.scope === '@opentelemetry/instrumentation-pg',
    );
    expect(sql.length).toBeGreaterThanOrEqual(2);
    // Queries of the page while at it are traced the same way.
    expect((await gql(QueueDocument, { first: 5 }, AGENT)).errors).toBeUndefined();
    await waitForSpans(() => receiver.spans.some((x) => x.name === 'query Queue'));
  });
});
