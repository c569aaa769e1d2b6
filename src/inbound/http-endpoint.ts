import { timingSafeEqual } from 'node:crypto';
import express from 'express';
import { isDatabaseUnavailable } from '../db/health.js';
import { receiveEmail, type InboundDeps } from './receive.js';

/** Constant-time comparison of a presented secret with the configured one. */
function sameSecret(given: string, want: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(want);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The token of `Authorization: Bearer <token>`, or the password of `Basic base64(user:password)`. */
function presented(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const [scheme, value] = header.split(' ', 2);
  if (scheme?.toLowerCase() === 'bearer') return value?.trim();
  if (scheme?.toLowerCase() === 'basic' && value) {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    return decoded.slice(decoded.indexOf(':') + 1);
  }
  return undefined;
}

const problem = (res: express.Response, status: number, code: string, message: string) =>
  res.status(status).json({ errors: [{ message, extensions: { code } }] });

/**
 * `POST /inbound/email`: one raw RFC 5322 message as the body (`Content-Type: message/rfc822`), for mail
 * providers that forward inbound mail by HTTP. Authenticated with INBOUND_HTTP_TOKEN as a bearer token or
 * as the password of Basic authentication (what provider webhooks can carry in their URL). Answers 200
 * with what became of it (`status`, `reason`, `ticket`), also for an ignored or refused message, so the
 * provider does not retry those; 401, 413 or 415 for a request that is not one; 503 when the database is
 * away (the provider retries).
 */
export function inboundRouter(deps: InboundDeps): express.Router {
  const router = express.Router();
  const { config, logger } = deps;
  const token = config.inbound.httpToken!;
  router.post(
    '/email',
    (req, res, next) => {
      const given = presented(req.headers.authorization);
      if (!given || !sameSecret(given, token)) {
        res.set('www-authenticate', 'Bearer realm="docket-inbound", Basic realm="docket-inbound"');
        return void problem(
          res,
          401,
          'UNAUTHENTICATED',
          'Send the INBOUND_HTTP_TOKEN as a bearer token or a Basic password',
        );
      }
      const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      if (type !== 'message/rfc822')
        return void problem(
          res,
          415,
          'UNSUPPORTED_MEDIA_TYPE',
          'The body must be one raw message, Content-Type: message/rfc822',
        );
      next();
    },
    express.raw({ type: () => true, limit: config.inbound.maxBytes }),
    async (req, res) => {
      const raw = req.body as Buffer;
      if (!Buffer.isBuffer(raw) || raw.length === 0)
        return void problem(res, 400, 'BAD_REQUEST', 'The body is empty: send the raw message');
      try {
        const r = await receiveEmail(deps, raw, {
          source: 'HTTP',
          rcptTo: [],
          remoteAddress: req.socket.remoteAddress,
        });
        res.json({
          id: r.id,
          status: r.status,
          reason: r.reason ?? null,
          detail: r.detail ?? null,
          ticket: r.reference ?? null,
          duplicate: r.duplicate,
          attachments: r.attachments,
        });
      } catch (err) {
        if (isDatabaseUnavailable(err)) {
          res.set('retry-after', '30');
          return void problem(
            res,
            503,
            'SERVICE_UNAVAILABLE',
            'The database is unavailable: try again later',
          );
        }
        logger.error({ err }, 'inbound: a message could not be taken');
        problem(res, 500, 'INTERNAL_SERVER_ERROR', 'Internal server error');
      }
    },
  );
  // A body over INBOUND_MAX_BYTES: 413 with a message, never Express's HTML page.
  router.use(
    (
      err: { status?: number; type?: string },
      _req: express.Request,
      res: express.Response,
      next: express.NextFunction,
    ) => {
      if (err?.type === 'entity.too.large')
        return void problem(
          res,
          413,
          'PAYLOAD_TOO_LARGE',
          `The message is larger than ${config.inbound.maxBytes} bytes`,
        );
      next(err);
    },
  );
  return router;
}
