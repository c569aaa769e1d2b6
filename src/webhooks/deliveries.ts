import type { EntityManager } from '@mikro-orm/postgresql';
import type { Actor } from '../access/actor.js';
import { SYSTEM_ACTOR } from '../access/actor.js';
import type { WebhookConfig } from '../config.js';
import { sqlArray } from '../db/sql.js';
import { deliverableSql, deliverable, type Audience, type EventFilter } from '../events/event-filter.js';
import type { NewEvent } from '../events/event-log.js';
import { TicketEventType } from '../events/event-types.js';
import {
  FEED_EVENT_COLUMNS,
  rowToFeedEvent,
  type FeedEvent,
  type FeedEventRow,
} from '../events/feed-event.js';
import { enqueue, type NewDelivery } from '../outbox/delivery-queue.js';
import { toGlobalId } from '../server/global-id.js';
import { ConflictError, InvalidInputError, NotFoundError } from '../shared/errors.js';
import { endpointFor, WEBHOOK_QUEUE, type WebhookEndpoint } from './endpoints.js';
import { webhookIdOf } from './message.js';

/**
 * From the event log to the delivery queue, per endpoint (docs/WEBHOOKS.md).
 *
 * Each endpoint has a durable cursor (`webhook_endpoint.position`: the last sequence derived for it).
 * The "webhooks" LogConsumer hands every committed batch to `deriveLive`, which queues the batch's
 * events for every enabled endpoint whose cursor is at the batch's start, and moves those cursors in
 * the same transaction. An endpoint behind that point (enabled again after a pause, or replayed from
 * an older sequence) is brought forward by `catchUp`, a page at a time, from the log itself; the live
 * path takes it over once it has caught up. Either way one endpoint's deliveries are queued in
 * sequence order, and the queue sends them one at a time per endpoint (ordering key = endpoint id).
 */

/** What a partner's endpoint may receive: the partner's rights (its tickets and those it is involved in; never internal). */
export const partnerAudience = (partnerId: string): Audience => ({
  actor: { kind: 'PARTNER', partnerId },
  visibility: { requestersSeeOrganizationTickets: false },
});

interface CursorRow {
  id: string;
  partner_id: string;
  filter: EventFilter;
  position: string;
}

const delivery = (endpointId: string, e: FeedEvent): NewDelivery => ({
  orderingKey: endpointId,
  ticketId: e.ticketId,
  eventSeq: e.seq,
});

/**
 * The live path, in the consumer's transaction: queues `events` (in sequence order, whole changes)
 * for the enabled endpoints that are caught up, and moves their cursors to the last event. Returns how
 * many deliveries were queued.
 */
export async function deriveLive(
  tx: EntityManager,
  events: FeedEvent[],
  opts: { now: Date; maxAttempts: number },
): Promise<number> {
  if (!events.length) return 0;
  const first = events[0]!.seq;
  const last = events.at(-1)!.seq;
  const endpoints = await tx.execute<CursorRow[]>(
    `select id, partner_id, filter, position from webhook_endpoint
      where enabled and position >= ? and position < ? order by id for update`,
    [first - 1, last],
  );
  if (!endpoints.length) return 0;
  const rows: NewDelivery[] = [];
  for (const ep of endpoints) {
    const audience = partnerAudience(ep.partner_id);
    const position = Number(ep.position);
    for (const e of events)
      // Imported history (src/import) is not news: never sent, as never pushed live or notified.
      if (e.seq > position && !e.imported && deliverable(audience, ep.filter, e))
        rows.push(delivery(ep.id, e));
  }
  await enqueue(tx, WEBHOOK_QUEUE, rows, opts);
  await tx.execute(`update webhook_endpoint set position = ? where id = any(?::uuid[])`, [
    last,
    sqlArray(endpoints.map((e) => e.id)),
  ]);
  return rows.length;
}

/**
 * One catch-up step (its own transaction): for up to 10 enabled endpoints behind the live consumer
 * (rows locked with SKIP LOCKED, so workers share them), queue the next `page` events each may see, from
 * the log, and move their cursors. Returns whether any endpoint is still behind.
 */
export async function catchUp(
  em: EntityManager,
  opts: { now: Date; maxAttempts: number; page?: number },
): Promise<{ queued: number; behind: boolean }> {
  const page = opts.page ?? 1000;
  return em.fork().transactional(async (tx) => {
    const [consumer] = await tx.execute<{ position: string }[]>(
      `select position from event_consumer where name = 'webhooks'`,
    );
    if (!consumer) return { queued: 0, behind: false };
    const head = Number(consumer.position);
    const endpoints = await tx.execute<CursorRow[]>(
      `select id, partner_id, filter, position from webhook_endpoint
        where enabled and position < ? order by position limit 10 for update skip locked`,
      [head],
    );
    let queued = 0;
    let behind = false;
    for (const ep of endpoints) {
      const { where, values } = deliverableSql(partnerAudience(ep.partner_id), ep.filter);
      const events = (
        await tx.execute<FeedEventRow[]>(
          `select ${FEED_EVENT_COLUMNS} from ticket_event where seq > ? and seq <= ? and ${where} order by seq limit ?`,
          [ep.position, head, ...values, page],
        )
      ).map(rowToFeedEvent);
      const full = events.length === page;
      const news = events.filter((e) => !e.imported); // imported history is never sent (deriveLive)
      await enqueue(
        tx,
        WEBHOOK_QUEUE,
        news.map((e) => delivery(ep.id, e)),
        opts,
      );
      queued += news.length;
      behind ||= full;
      await tx.execute(`update webhook_endpoint set position = ? where id = ?`, [
        full ? events.at(-1)!.seq : head,
        ep.id,
      ]);
    }
    return { queued, behind: behind || endpoints.length === 10 };
  });
}

/**
 * Sends everything again from `fromSeq` on (issue 14: "send everything again from a cursor"): the
 * endpoint's cursor moves back to `fromSeq − 1`, so the catch-up queues each event it may see after it
 * again, in order, before anything newer. Errors: NOT_FOUND, INVALID_INPUT (fromSeq).
 */
export async function replayEndpoint(
  em: EntityManager,
  actor: Actor,
  input: { id: string; fromSeq: number },
): Promise<WebhookEndpoint> {
  const endpoint = await endpointFor(em, actor, input.id, { lock: true });
  const [{ last }] = await em.execute<[{ last: string }]>(
    `select coalesce((select last_seq from event_sequence where id = 1), 0) as last`,
  );
  if (!Number.isSafeInteger(input.fromSeq) || input.fromSeq < 1 || input.fromSeq > Number(last) + 1)
    throw InvalidInputError.field('fromSeq', `must be a sequence number from 1 to ${Number(last) + 1}`);
  await em.execute(
    `update webhook_endpoint set position = least(position, ?), updated_at = now() where id = ?`,
    [input.fromSeq - 1, endpoint.id],
  );
  return endpointFor(em, actor, endpoint.id);
}

/**
 * Sends one delivery again (the same webhook-id), now, with a fresh allowance of attempts.
 * Errors: NOT_FOUND; CONFLICT when it is still queued or being sent; INVALID_INPUT when its endpoint is
 * disabled (enable it first: that resumes everything it missed).
 */
export async function redeliver(
  em: EntityManager,
  actor: Actor,
  deliveryId: string,
  opts: { now: Date; maxAttempts: number },
): Promise<string> {
  const [row] = await em.execute<{ ordering_key: string; status: string }[]>(
    `select ordering_key, status from outbox_delivery where id = ? and queue = ?`,
    [deliveryId, WEBHOOK_QUEUE],
  );
  if (!row) throw new NotFoundError('WebhookDelivery', deliveryId);
  const endpoint = await endpointFor(em, actor, row.ordering_key, { lock: true }).catch(() => {
    throw new NotFoundError('WebhookDelivery', deliveryId);
  });
  if (!endpoint.enabled)
    throw InvalidInputError.field(
      'deliveryId',
      'its endpoint is disabled: enable it (that resumes what it missed)',
    );
  const updated = await em.execute<{ id: string }[]>(
    `update outbox_delivery set status = 'QUEUED', next_attempt_at = ?, max_attempts = attempts + ?, last_error = null,
            updated_at = ?
      where id = ? and status in ('SENT', 'FAILED') returning id`,
    [opts.now.toISOString(), opts.maxAttempts, opts.now.toISOString(), deliveryId],
  );
  if (!updated.length) throw new ConflictError('the delivery is still queued or being sent');
  return deliveryId;
}

/** The staff-only event admins see when an endpoint is disabled. */
export function disabledEvent(
  ticketId: string,
  endpoint: { id: string; partnerId: string; url: string },
  reason: string,
  now: Date,
): NewEvent {
  return {
    ticketId,
    type: TicketEventType.WEBHOOK_ENDPOINT_DISABLED,
    actor: SYSTEM_ACTOR,
    payload: {
      endpointId: toGlobalId('WebhookEndpoint', endpoint.id),
      partnerId: toGlobalId('Partner', endpoint.partnerId),
      url: endpoint.url,
      reason,
    },
    internal: true,
    occurredAt: now,
  };
}

/** One attempt as the delivery log shows it. */
export interface AttemptRecord {
  attempt: number;
  worker: string;
  startedAt: Date;
  finishedAt?: Date;
  outcome?: string;
  statusCode?: number;
  latencyMs?: number;
  responseExcerpt?: string;
  error?: string;
}

/** One delivery (an event for an endpoint) with its attempts, newest delivery first. */
export interface DeliveryRecord {
  id: string;
  endpointId: string;
  webhookId: string;
  eventSeq: number;
  eventType?: string;
  ticketId?: string;
  status: string;
  nextAttemptAt: Date;
  createdAt: Date;
  sentAt?: Date;
  lastError?: string;
  attempts: AttemptRecord[];
}

/** What `deliver` records as an attempt's response: the status, the time and the start of the body. */
export interface AttemptResponse {
  status: number;
  latencyMs: number;
  body: string;
}

function parseResponse(text: string | null): Partial<AttemptResponse> {
  if (!text) return {};
  try {
    return JSON.parse(text) as AttemptResponse;
  } catch {
    return { body: text };
  }
}

export interface DeliveryFilter {
  statuses?: readonly string[];
  /** Only deliveries of events after this sequence. */
  afterSeq?: number;
  eventSeq?: number;
  first?: number;
}

/** The delivery log of an endpoint (kept WEBHOOK_RETENTION_DAYS), newest first. */
export async function listDeliveries(
  em: EntityManager,
  actor: Actor,
  endpointId: string,
  filter: DeliveryFilter,
): Promise<DeliveryRecord[]> {
  await endpointFor(em, actor, endpointId);
  const first = filter.first ?? 50;
  if (!Number.isInteger(first) || first < 1 || first > 500)
    throw InvalidInputError.field('filter.first', 'must be from 1 to 500');
  const where = ['d.queue = ?', 'd.ordering_key = ?'];
  const values: unknown[] = [WEBHOOK_QUEUE, endpointId];
  if (filter.statuses) {
    where.push('d.status = any(?::text[])');
    values.push(sqlArray(filter.statuses));
  }
  if (filter.afterSeq !== undefined) {
    where.push('d.event_seq > ?');
    values.push(filter.afterSeq);
  }
  if (filter.eventSeq !== undefined) {
    where.push('d.event_seq = ?');
    values.push(filter.eventSeq);
  }
  const rows = await em.execute<Record<string, unknown>[]>(
    `select d.id, d.ordering_key, d.event_seq, d.ticket_id, d.status, d.next_attempt_at, d.created_at, d.sent_at,
            d.last_error, e.type as event_type,
            coalesce((select json_agg(json_build_object('attempt', a.attempt, 'worker', a.worker,
                'startedAt', a.started_at, 'finishedAt', a.finished_at, 'outcome', a.outcome,
                'response', a.response, 'error', a.error) order by a.attempt)
              from outbox_attempt a where a.delivery_id = d.id), '[]') as attempts
       from outbox_delivery d left join ticket_event e on e.seq = d.event_seq
      where ${where.join(' and ')}
      order by d.seq desc limit ?`,
    [...values, first],
  );
  return rows.map((r) => ({
    id: r.id as string,
    endpointId: r.ordering_key as string,
    webhookId: webhookIdOf(r.ordering_key as string, Number(r.event_seq)),
    eventSeq: Number(r.event_seq),
    eventType: (r.event_type as string | null) ?? undefined,
    ticketId: (r.ticket_id as string | null) ?? undefined,
    status: r.status as string,
    nextAttemptAt: new Date(r.next_attempt_at as string),
    createdAt: new Date(r.created_at as string),
    sentAt: r.sent_at ? new Date(r.sent_at as string) : undefined,
    lastError: (r.last_error as string | null) ?? undefined,
    attempts: (
      (typeof r.attempts === 'string' ? JSON.parse(r.attempts) : r.attempts) as {
        attempt: number;
        worker: string;
        startedAt: string;
        finishedAt: string | null;
        outcome: string | null;
        response: string | null;
        error: string | null;
      }[]
    ).map((a) => {
      const res = parseResponse(a.response);
      return {
        attempt: a.attempt,
        worker: a.worker,
        startedAt: new Date(a.startedAt),
        finishedAt: a.finishedAt ? new Date(a.finishedAt) : undefined,
        outcome: a.outcome ?? undefined,
        statusCode: res.status,
        latencyMs: res.latencyMs,
        responseExcerpt: res.body,
        error: a.error ?? undefined,
      };
    }),
  }));
}

/** Limits of the retry schedule (config), for the queue. */
export const retryPolicyOf = (c: WebhookConfig) => ({
  // The retry window, not a count, ends an endpoint's retries: the count is only a backstop.
  maxAttempts: 10_000,
  baseMs: c.retryBaseMs,
  maxMs: c.retryMaxMs,
});
