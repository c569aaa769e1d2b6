import { destination, pino, type Logger } from 'pino';
import { activeTraceIds, tracingEnabled } from '../ops/trace.js';

export type { Logger };

/**
 * Structured JSON logs; secrets that may travel in headers are redacted. With tracing on, every line
 * written inside a span carries its `trace_id` and `span_id`, to find the trace of a log line.
 * `toStderr` is for commands whose standard output is their result (`docket token`, `docket apikey`):
 * the logs must not mix in.
 */
export function createLogger(level: string, opts: { toStderr?: boolean } = {}): Logger {
  return pino(
    {
      level,
      base: { service: 'docket' },
      redact: ['req.headers.authorization', 'headers.authorization', 'token', 'password', '*.token'],
      ...(tracingEnabled() ? { mixin: () => activeTraceIds() ?? {} } : {}),
    },
    opts.toStderr ? destination(2) : undefined,
  );
}
