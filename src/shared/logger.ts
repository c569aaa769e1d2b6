import { pino, type Logger } from 'pino';
import { activeTraceIds, tracingEnabled } from '../ops/trace.js';

export type { Logger };

/**
 * Structured JSON logs; secrets that may travel in headers are redacted. With tracing on, every line
 * written inside a span carries its `trace_id` and `span_id`, to find the trace of a log line.
 */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'docket' },
    redact: ['req.headers.authorization', 'headers.authorization', 'token', 'password', '*.token'],
    ...(tracingEnabled() ? { mixin: () => activeTraceIds() ?? {} } : {}),
  });
}
