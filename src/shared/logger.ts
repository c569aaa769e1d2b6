import { destination, pino, type Logger } from 'pino';

export type { Logger };

/**
 * Structured JSON logs; secrets that may travel in headers are redacted. `toStderr` is for commands
 * whose standard output is their result (`docket token`, `docket apikey`): the logs must not mix in.
 */
export function createLogger(level: string, opts: { toStderr?: boolean } = {}): Logger {
  return pino(
    {
      level,
      base: { service: 'docket' },
      redact: ['req.headers.authorization', 'headers.authorization', 'token', 'password', '*.token'],
    },
    opts.toStderr ? destination(2) : undefined,
  );
}
