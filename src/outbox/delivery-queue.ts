import type { EntityManager } from '@mikro-orm/postgresql';
import { randomUUID } from 'node:crypto';
import { mayRetry, retryDelayMs, type RetryPolicy } from './backoff.js';

/**
 * The delivery queue (table outbox_delivery, attempts in outbox_attempt): one row per thing to send
 * (a notification mail; a webhook call), written in the transaction that derived it from the event
 * log, then sent by whichever worker claims it.
 *
 * States: QUEUED → (claimed) SENDING → SENT | QUEUED again at its next attempt | FAILED. A claim is a
 * lease: `next_attempt_at` of a SENDING row is when its lease ends, so a worker that died mid-send is
 * replaced by the next claim after the lease (the receiver may then get that one delivery twice, with
 * the same identity, where it cannot tell us it already had it). Claims use `FOR UPDATE SKIP LOCKED`:
 * any number of workers claim disjoint rows without waiting for each other.
 *
 * Deliveries with the same `orderingKey` (a webhook endpoint) go one at a time, in the order they were
 * queued: a row is claimed only when no earlier row of its key is still QUEUED or SENDING. A key whose
 * head keeps failing holds back only that key.
 */
export type DeliveryStatus = 'QUEUED' | 'SENDING' | 'SENT' | 'FAILED';

export interface NewDelivery {
  id?: string;
  orderingKey?: string;
  ticketId?: string;
  eventSeq?: number;
  /** Default: now. */
  notBefore?: Date;
  /** Queued as FAILED at once with this error (it could not even be prepared, e.g. a broken template). */
  failed?: string;
}

export interface DeliveryRow {
  id: string;
  queue: string;
  orderingKey?: string;
  ticketId?: string;
  eventSeq?: number;
  status: DeliveryStatus;
  /** Attempts made, this one included once claimed. */
  attempts: number;
  maxAttempts: number;
  nextAttemptAt: Date;
  leaseOwner?: string;
  lastError?: string;
  lastResponse?: string;
  createdAt: Date;
  updatedAt: Date;
  sentAt?: Date;
}

/** What one attempt came to. `permanent`: no retry will help (a 5xx SMTP answer, an HTTP 410). */
export type DeliveryOutcome =
  | { ok: true; response?: string }
  | { ok: false; permanent: boolean; error: string; response?: string; retryAfterMs?: number };

export const DELIVERY_COLUMNS = `id, queue, ordering_key, ticket_id, event_seq, status, attempts, max_attempts,
  next_attempt_at, lease_owner, last_error, last_response, created_at, updated_at, sent_at`;

const date = (v: unknown) => (v === null || v === undefined ? undefined : new Date(v as string));

export function rowToDelivery(r: Record<string, unknown>): DeliveryRow {
  return {
    id: r.id as string,
    queue: r.queue as string,
    orderingKey: (r.ordering_key as string | null) ?? undefined,
    ticketId: (r.ticket_id as string | null) ?? undefined,
    eventSeq: r.event_seq === null || r.event_seq === undefined ? undefined : Number(r.event_seq),
    status: r.status as DeliveryStatus,
    attempts: Number(r.attempts),
    maxAttempts: Number(r.max_attempts),
    nextAttemptAt: date(r.next_attempt_at)!,
    leaseOwner: (r.lease_owner as string | null) ?? undefined,
    lastError: (r.last_error as string | null) ?? undefined,
    lastResponse: (r.last_response as string | null) ?? undefined,
    createdAt: date(r.created_at)!,
    updatedAt: date(r.updated_at)!,
    sentAt: date(r.sent_at),
  };
}

/**
 * Queues deliveries in the caller's transaction (one statement). Returns their ids, in order.
 * Call it from a LogConsumer's `handle`, so the rows commit with the cursor that derived them.
 */
export async function enqueue(
  tx: EntityManager,
  queue: string,
  deliveries: NewDelivery[],
  opts: { now: Date; maxAttempts: number },
): Promise<string[]> {
  if (!deliveries.length) return [];
  const rows = deliveries.map((d) => ({
    id: d.id ?? randomUUID(),
    ordering_key: d.orderingKey ?? null,
    ticket_id: d.ticketId ?? null,
    event_seq: d.eventSeq ?? null,
    next_attempt_at: (d.notBefore ?? opts.now).toISOString(),
    status: d.failed === undefined ? 'QUEUED' : 'FAILED',
    last_error: d.failed ?? null,
  }));
  await tx.execute(
    `insert into outbox_delivery (id, queue, ordering_key, ticket_id, event_seq, status, attempts, max_attempts,
        next_attempt_at, last_error, created_at, updated_at)
     select r.id, ?, r.ordering_key, r.ticket_id, r.event_seq, r.status, 0, ?, r.next_attempt_at, r.last_error, ?, ?
       from rows from (jsonb_to_recordset(?::jsonb) as (id uuid, ordering_key text, ticket_id uuid,
         event_seq bigint, next_attempt_at timestamptz, status text, last_error text))
         with ordinality as r(id, ordering_key, ticket_id, event_seq, next_attempt_at, status, last_error, ord)
      order by r.ord`,
    [queue, opts.maxAttempts, opts.now.toISOString(), opts.now.toISOString(), JSON.stringify(rows)],
  );
  return rows.map((r) => r.id);
}

/**
 * Claims up to `limit` due deliveries of `queue` for `owner` (one statement): each becomes SENDING with
 * one more attempt, leased until now + leaseMs, and its attempt is opened in outbox_attempt.
 */
export async function claim(
  em: EntityManager,
  queue: string,
  opts: { owner: string; limit: number; leaseMs: number; now: Date },
): Promise<DeliveryRow[]> {
  const now = opts.now.toISOString();
  // The candidates: due rows without a key, and the head (lowest seq still QUEUED or SENDING) of each
  // key when it is due. The keys are walked with a loose index scan (one probe per key on
  // outbox_delivery_order_idx), so a claim costs O(keys), not O(rows waiting): a backlog of thousands
  // of rows behind a few dozen endpoints stays cheap to claim from.
  const rows = await em.execute<Record<string, unknown>[]>(
    `with recursive keys(k) as (
       (select ordering_key from outbox_delivery
         where queue = ? and ordering_key is not null and status in ('QUEUED', 'SENDING')
         order by ordering_key limit 1)
       union all
       select (select d.ordering_key from outbox_delivery d
                where d.queue = ? and d.ordering_key is not null and d.status in ('QUEUED', 'SENDING')
                  and d.ordering_key > keys.k
                order by d.ordering_key limit 1)
         from keys where keys.k is not null
     ), candidates as materialized (
       select h.id from keys cross join lateral (
         select d.id, d.next_attempt_at from outbox_delivery d
          where d.queue = ? and d.ordering_key = keys.k and d.status in ('QUEUED', 'SENDING')
          order by d.seq limit 1) h
        where keys.k is not null and h.next_attempt_at <= ?
       union all
       (select d.id from outbox_delivery d
         where d.queue = ? and d.ordering_key is null and d.status in ('QUEUED', 'SENDING') and d.next_attempt_at <= ?
         order by d.next_attempt_at, d.seq limit ?)
     ), due as (
       -- The candidates once (materialized), then each row by its key: never the candidates per row.
       select d.id from candidates c join outbox_delivery d on d.id = c.id
        where d.status in ('QUEUED', 'SENDING') and d.next_attempt_at <= ?
        order by d.next_attempt_at, d.seq
        limit ? for update of d skip locked
     ), claimed as (
       update outbox_delivery d
          set status = 'SENDING', attempts = d.attempts + 1, lease_owner = ?,
              next_attempt_at = ?::timestamptz + make_interval(secs => ?), updated_at = ?
         from due where d.id = due.id
       returning d.*
     ), opened as (
       insert into outbox_attempt (delivery_id, attempt, worker, started_at)
       select id, attempts, ?, ? from claimed
       on conflict (delivery_id, attempt) do update set worker = excluded.worker, started_at = excluded.started_at
     )
     select ${DELIVERY_COLUMNS} from claimed order by seq`,
    [
      queue,
      queue,
      queue,
      now,
      queue,
      now,
      opts.limit * 4,
      now,
      opts.limit,
      opts.owner,
      now,
      opts.leaseMs / 1000,
      now,
      opts.owner,
      now,
    ],
  );
  return rows.map(rowToDelivery);
}

export interface RecordedOutcome {
  delivery: DeliveryRow;
  outcome: DeliveryOutcome;
  /** The state it was left in; LOST when the lease had passed to another worker meanwhile. */
  status: DeliveryStatus | 'LOST';
}

/**
 * Records the outcomes of claimed deliveries (one statement for the deliveries, one for their
 * attempts): SENT; QUEUED again after the back-off; or FAILED when the error is permanent or the
 * attempts are used up. A delivery whose lease another worker has taken meanwhile is left alone
 * (its attempt is still recorded).
 */
export async function record(
  em: EntityManager,
  results: { delivery: DeliveryRow; outcome: DeliveryOutcome }[],
  opts: { owner: string; now: Date; retry: RetryPolicy; random?: () => number },
): Promise<RecordedOutcome[]> {
  if (!results.length) return [];
  const now = opts.now.toISOString();
  const planned = results.map(({ delivery, outcome }) => {
    let status: DeliveryStatus;
    let next = now;
    if (outcome.ok) status = 'SENT';
    else if (!outcome.permanent && mayRetry(delivery.attempts, { maxAttempts: delivery.maxAttempts })) {
      status = 'QUEUED';
      next = new Date(
        opts.now.getTime() + retryDelayMs(delivery.attempts, opts.retry, outcome.retryAfterMs, opts.random),
      ).toISOString();
    } else status = 'FAILED';
    return {
      id: delivery.id,
      attempts: delivery.attempts,
      status,
      next_attempt_at: next,
      error: outcome.ok ? null : clip(outcome.error),
      response: outcome.response === undefined ? null : clip(outcome.response),
      outcome: status === 'QUEUED' ? 'RETRY' : status,
    };
  });
  const updated = await em.execute<{ id: string }[]>(
    `with r as (
       select * from jsonb_to_recordset(?::jsonb) as r(id uuid, attempts int, status text, next_attempt_at timestamptz,
         error text, response text, outcome text)
     ), attempts as (
       update outbox_attempt a set finished_at = ?, outcome = r.outcome, response = r.response, error = r.error
         from r where a.delivery_id = r.id and a.attempt = r.attempts
     )
     update outbox_delivery d
        set status = r.status, next_attempt_at = r.next_attempt_at, lease_owner = null,
            last_error = r.error, last_response = coalesce(r.response, d.last_response), updated_at = ?,
            sent_at = case when r.status = 'SENT' then ?::timestamptz else d.sent_at end
       from r
      where d.id = r.id and d.status = 'SENDING' and d.lease_owner = ? and d.attempts = r.attempts
     returning d.id`,
    [JSON.stringify(planned), now, now, now, opts.owner],
  );
  const kept = new Set(updated.map((u) => u.id));
  return results.map((r, i) => ({ ...r, status: kept.has(r.delivery.id) ? planned[i]!.status : 'LOST' }));
}

/** The earliest instant a delivery of `queue` is due (now or later), if any is waiting. */
export async function nextDue(em: EntityManager, queue: string): Promise<Date | undefined> {
  const [row] = await em.execute<{ at: string | null }[]>(
    `select min(next_attempt_at) as at from outbox_delivery where queue = ? and status in ('QUEUED', 'SENDING')`,
    [queue],
  );
  return row?.at ? new Date(row.at) : undefined;
}

/** Responses and errors are kept short: they are for people reading a delivery log. */
const clip = (s: string) => (s.length > 2000 ? `${s.slice(0, 1997)}...` : s);
