import { register } from 'node:module';
import type { OpsConfig } from '../config.js';
import { setTraceBackend, type SpanAttributes } from './trace.js';

/**
 * OpenTelemetry tracing, started by main.ts before anything it instruments is imported, and only
 * when OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set: otherwise this
 * module is never loaded and no hook, SDK or exporter exists in the process.
 *
 * What it records: HTTP server and client spans, Express middleware, GraphQL parse, validate and
 * execute (resolvers of root fields only, to keep traces readable), every `pg` query (MikroORM/knex,
 * the event feed, Agenda's PostgreSQL backend), and Docket's own spans through `ops/trace.ts`:
 * `usecase <mutation>`, `scheduler.job <kind>`, `scheduler.sweep`, `events.deliver`. Spans go in
 * batches to the collector over OTLP/HTTP (protobuf by default, JSON with
 * OTEL_EXPORTER_OTLP_PROTOCOL=http/json); OTEL_EXPORTER_OTLP_HEADERS is honoured by the exporter.
 *
 * The instrumented packages are CommonJS imported from ESM, so both loaders are hooked: Node's ESM
 * loader through import-in-the-middle (restricted to the instrumented modules), `require` through
 * require-in-the-middle (inside @opentelemetry/instrumentation).
 *
 * `stopTracing()` (ops/trace.ts) sends the spans still queued and stops the exporter.
 */
export async function startTracing(
  tracing: NonNullable<OpsConfig['tracing']>,
  serviceVersion: string,
): Promise<void> {
  const { createAddHookMessageChannel } = await import('import-in-the-middle');
  const { registerOptions, waitForAllMessagesAcknowledged } = createAddHookMessageChannel();
  register('import-in-the-middle/hook.mjs', import.meta.url, registerOptions);

  const [api, sdk, resources, instrumentation, http, express, graphql, pg] = await Promise.all([
    import('@opentelemetry/api'),
    import('@opentelemetry/sdk-trace-node'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/instrumentation'),
    import('@opentelemetry/instrumentation-http'),
    import('@opentelemetry/instrumentation-express'),
    import('@opentelemetry/instrumentation-graphql'),
    import('@opentelemetry/instrumentation-pg'),
  ]);
  const exporter =
    tracing.protocol === 'http/json'
      ? new (await import('@opentelemetry/exporter-trace-otlp-http')).OTLPTraceExporter({ url: tracing.url })
      : new (await import('@opentelemetry/exporter-trace-otlp-proto')).OTLPTraceExporter({
          url: tracing.url,
        });

  const provider = new sdk.NodeTracerProvider({
    resource: resources.resourceFromAttributes({
      'service.name': tracing.serviceName,
      'service.version': serviceVersion,
    }),
    spanProcessors: [new sdk.BatchSpanProcessor(exporter as never, { scheduledDelayMillis: 1000 })],
  });
  // The global tracer provider, AsyncLocalStorage context and W3C trace-context propagation.
  provider.register();
  instrumentation.registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new http.HttpInstrumentation({
        // A scrape or a probe every few seconds is noise in a trace store.
        ignoreIncomingRequestHook: (req) => /^\/(metrics|healthz|readyz)(\?|$)/.test(req.url ?? ''),
      }),
      new express.ExpressInstrumentation(),
      new graphql.GraphQLInstrumentation({ depth: 1, mergeItems: true, ignoreTrivialResolveSpans: true }),
      new pg.PgInstrumentation({ requireParentSpan: true }),
    ],
  });
  await waitForAllMessagesAcknowledged();

  const tracer = api.trace.getTracer('docket', serviceVersion);
  setTraceBackend({
    startActiveSpan: (name, attributes, work) =>
      tracer.startActiveSpan(name, { attributes: defined(attributes) }, (span) => work(span)),
    activeIds: () => {
      const ctx = api.trace.getActiveSpan()?.spanContext();
      return ctx && api.isSpanContextValid(ctx) ? { trace_id: ctx.traceId, span_id: ctx.spanId } : undefined;
    },
    shutdown: () => provider.shutdown(),
  });
}

function defined(attributes: SpanAttributes): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const [k, v] of Object.entries(attributes)) if (v !== undefined) out[k] = v;
  return out;
}
