/**
 * Docket's own spans (use cases, scheduler jobs, deliveries), for any domain to use. This module loads
 * nothing from OpenTelemetry: `src/ops/tracing.ts` installs a tracer here only when tracing is on
 * (OTEL_EXPORTER_OTLP_ENDPOINT set). Off, `traced(name, attributes, work)` is `work()` after one
 * check, so spans in hot paths cost nothing.
 *
 * ```ts
 * import { traced } from '../ops/trace.js';
 * await traced('webhook.deliver', { 'docket.endpoint_id': endpoint.id }, () => send(delivery));
 * ```
 *
 * A span ends when `work` returns or its promise settles; a throw or rejection marks it as an error
 * (with the exception recorded) and is passed on unchanged.
 */
export type SpanAttributes = Record<string, string | number | boolean | undefined>;

/** The slice of a span this module uses (OpenTelemetry's `Span` satisfies it). */
export interface TraceSpan {
  setAttribute(key: string, value: string | number | boolean): unknown;
  recordException(exception: Error): void;
  setStatus(status: { code: number; message?: string }): unknown;
  end(): void;
  spanContext(): { traceId: string; spanId: string };
}

/** What tracing.ts installs: a way to run work inside a new active span, the active span's ids, a stop. */
export interface TraceBackend {
  startActiveSpan<T>(name: string, attributes: SpanAttributes, work: (span: TraceSpan) => T): T;
  activeIds(): { trace_id: string; span_id: string } | undefined;
  /** Sends the spans still queued and stops the exporter. */
  shutdown(): Promise<void>;
}

/** OpenTelemetry's SpanStatusCode.ERROR. */
const STATUS_ERROR = 2;

let backend: TraceBackend | undefined;

/** Installs (or, with undefined, removes) the tracer. Called by tracing.ts. */
export function setTraceBackend(b: TraceBackend | undefined): void {
  backend = b;
}

/**
 * Sends the spans still queued and stops tracing (at shutdown; nothing to do when tracing is off).
 * Never throws and waits at most 3 s: an unreachable collector must not turn a clean stop into a crash.
 * Resolves with the reason spans were lost, if they were.
 */
export async function stopTracing(): Promise<string | undefined> {
  const b = backend;
  backend = undefined;
  if (!b) return undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      b.shutdown(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('the collector did not answer within 3 s')), 3000);
      }),
    ]);
    return undefined;
  } catch (err) {
    return (err as Error).message ?? String(err);
  } finally {
    clearTimeout(timer);
  }
}

/** Whether spans are being recorded (OTEL_EXPORTER_OTLP_ENDPOINT was set at start). */
export function tracingEnabled(): boolean {
  return backend !== undefined;
}

/** The active span's trace and span ids (hex), for log lines; undefined when tracing is off or no span is active. */
export function activeTraceIds(): { trace_id: string; span_id: string } | undefined {
  return backend?.activeIds();
}

function failed(span: TraceSpan, err: unknown): void {
  const error = err instanceof Error ? err : new Error(String(err));
  span.recordException(error);
  span.setStatus({ code: STATUS_ERROR, message: error.message });
}

/** Runs `work` inside a span named `name` (nested under the active one) when tracing is on; else just runs it. */
export function traced<T>(name: string, attributes: SpanAttributes, work: () => T): T {
  if (!backend) return work();
  return backend.startActiveSpan(name, attributes, (span) => {
    let result: T;
    try {
      result = work();
    } catch (err) {
      failed(span, err);
      span.end();
      throw err;
    }
    if (result instanceof Promise) {
      return result.then(
        (value: unknown) => {
          span.end();
          return value;
        },
        (err: unknown) => {
          failed(span, err);
          span.end();
          throw err;
        },
      ) as T;
    }
    span.end();
    return result;
  });
}
