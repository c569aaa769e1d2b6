import { pino, type Logger } from 'pino';

export type { Logger };

/** Structured JSON logs; secrets that may travel in headers are redacted. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'docket' },
    redact: ['req.headers.authorization', 'headers.authorization', 'token', 'password', '*.token'],
  });
}
