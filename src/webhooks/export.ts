import type { EntityManager } from '@mikro-orm/postgresql';
import express from 'express';
import type { MikroORM } from '../db/orm.js';
import { authenticate } from '../access/authenticate.js';
import { mayCall } from '../access/policy.js';
import type { Config } from '../config.js';
import { deliverableSql, type Audience, type EventFilter } from '../events/event-filter.js';
import { TicketEventType } from '../events/event-types.js';
import {
  FEED_EVENT_COLUMNS,
  rowToFeedEvent,
  type FeedEvent,
  type FeedEventRow,
} from '../events/feed-event.js';
import type { Clock } from '../shared/clock.js';
import { InvalidInputError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { webhookBody } from './message.js';

/**
 * The incremental export (issue 14, item 6): the event log after a cursor, with the caller's
 * visibility (the rule of subscriptions: `deliverableSql`), for BI loaders and sync jobs that catch up
 * from any point without webhooks. The same page is served as a GraphQL connection (`eventLog`) and as
 * NDJSON over HTTP (`GET /export/events`).
 */
export interface EventLogPage {
  events: FeedEvent[];
  /** Resume after this: the last event returned, or (nothing more matched) the log position read up to. */
  endSeq: number;
  hasNextPage: boolean;
}

/** Reads up to `first` events after `after` that `audience` may see and `filter` selects. */
export async function readEventLog(
  em: EntityManager,
  audience: Audience,
  filter: EventFilter,
  after: number,
  first: number,
): Promise<EventLogPage> {
  if (!Number.isSafeInteger(after) || after < 0)
    throw InvalidInputError.field('after', 'must be a sequence number ≥ 0');
  if (!Number.isInteger(first) || first < 1 || first > 10_000)
    throw InvalidInputError.field('first', 'must be from 1 to 10000');
  // Everything up to the committed head is committed (sequence order is commit order).
  const [{ head }] = await em.execute<[{ head: string }]>(
    `select coalesce((select last_seq from event_sequence where id = 1), 0) as head`,
  );
  const { where, values } = deliverableSql(audience, filter);
  const rows = await em.execute<FeedEventRow[]>(
    `select ${FEED_EVENT_COLUMNS} from ticket_event where seq > ? and seq <= ? and ${where} order by seq limit ?`,
    [after, head, ...values, first + 1],
  );
  const hasNextPage = rows.length > first;
  const events = rows.slice(0, first).map(rowToFeedEvent);
  return {
    events,
    hasNextPage,
    endSeq: hasNextPage ? events.at(-1)!.seq : Math.max(after, Number(head)),
  };
}

const TYPES = new Set<string>(Object.values(TicketEventType));

/**
 * `GET /export/events?after=<seq>&limit=<n>&types=A,B`: NDJSON, one event per line in the webhook
 * body's shape (`{type, timestamp, payloadVersion, data: {seq, …}}`), oldest first, read a page at a
 * time. Authenticated like the API (a partner key needs `events:subscribe`). The header
 * `Docket-Log-Position` is the log position the export had read up to when it began: resume with
 * `after` = the larger of it and the last line's `data.seq`.
 */
export function exportRouter(deps: {
  config: Config;
  orm: MikroORM;
  clock: Clock;
  logger: Logger;
}): express.Router {
  const router = express.Router();
  router.get('/events', (req, res) => {
    void (async () => {
      const em = deps.orm.em.fork() as unknown as EntityManager;
      const header = req.headers.authorization;
      if (!header) {
        res.status(401).json({
          error: { code: 'UNAUTHENTICATED', message: 'Sign in: send "Authorization: Bearer <token>"' },
        });
        return;
      }
      const auth = await authenticate(deps.config, header, em, deps.clock.now());
      if (!auth.ok) {
        res.status(401).json({ error: { code: 'UNAUTHENTICATED', message: auth.message } });
        return;
      }
      const allowed = mayCall(auth.actor, 'Query.eventLog');
      if (!allowed.ok) {
        res.status(403).json({
          error: {
            code: allowed.code,
            message:
              allowed.code === 'NOT_PERMITTED'
                ? `You are not permitted to ${allowed.action}`
                : allowed.message,
          },
        });
        return;
      }
      const q = req.query as Record<string, string | undefined>;
      const after = q.after === undefined ? 0 : Number(q.after);
      const limit = q.limit === undefined ? 10_000 : Number(q.limit);
      const types = q.types ? q.types.split(',').map((t) => t.trim()) : undefined;
      const bad =
        !Number.isSafeInteger(after) || after < 0
          ? 'after must be a sequence number ≥ 0'
          : !Number.isInteger(limit) || limit < 1 || limit > 1_000_000
            ? 'limit must be from 1 to 1000000'
            : types?.find((t) => !TYPES.has(t))
              ? `types: unknown event type ${types.find((t) => !TYPES.has(t))}`
              : undefined;
      if (bad) {
        res.status(400).json({ error: { code: 'INVALID_INPUT', message: bad } });
        return;
      }
      const audience: Audience = {
        actor: auth.actor,
        visibility: { requestersSeeOrganizationTickets: deps.config.requestersSeeOrganizationTickets },
      };
      const filter: EventFilter = types ? { types: types as TicketEventType[] } : {};
      let cursor = after;
      let left = limit;
      let started = false;
      while (left > 0) {
        const page = await readEventLog(em, audience, filter, cursor, Math.min(left, 1000));
        if (!started) {
          res.status(200);
          res.setHeader('content-type', 'application/x-ndjson; charset=utf-8');
          res.setHeader('docket-log-position', String(page.endSeq));
          started = true;
        }
        const text = page.events.map((e) => webhookBody(e)).join('\n');
        if (text && !res.write(`${text}\n`)) await new Promise((r) => res.once('drain', r));
        left -= page.events.length;
        cursor = page.endSeq;
        if (!page.hasNextPage || res.destroyed) break;
      }
      res.end();
    })().catch((err: Error) => {
      deps.logger.error({ err }, 'export: failed');
      if (!res.headersSent)
        res.status(500).json({ error: { code: 'INTERNAL_SERVER_ERROR', message: 'Export failed' } });
      else res.destroy();
    });
  });
  return router;
}
