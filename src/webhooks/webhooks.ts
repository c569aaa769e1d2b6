import type { EntityManager } from '@mikro-orm/postgresql';
import type { LookupAddress } from 'node:dns';
import type { Config } from '../config.js';
import { sqlArray } from '../db/sql.js';
import { PgCommitSignal, type CommitSignal } from '../events/commit-signal.js';
import { appendEvents, type NewEvent } from '../events/event-log.js';
import { rowToFeedEvent, type FeedEventRow } from '../events/feed-event.js';
import type { DeliveryOutcome, DeliveryRow, RecordedOutcome } from '../outbox/delivery-queue.js';
import type { OutboxDispatcher } from '../outbox/dispatcher.js';
import { LogConsumer } from '../outbox/log-consumer.js';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import { catchUp, deriveLive, disabledEvent, retryPolicyOf, type AttemptResponse } from './deliveries.js';
import { disableEndpoint, WEBHOOK_QUEUE } from './endpoints.js';
import { signatureHeaders, webhookBody, webhookIdOf } from './message.js';
import { retryAfterMs, SafeHttpClient } from './safe-http.js';

export interface WebhooksOptions {
  config: Config;
  em: EntityManager;
  databaseUrl: string;
  /** The outbox dispatcher the notifications made (one outbox: docs/OUTBOX.md). */
  dispatcher: OutboxDispatcher;
  clock: Clock;
  logger: Logger;
  /** Whether this process runs the scheduler's jobs: only then does it derive and send. */
  process: boolean;
  signal?: CommitSignal;
  /** Name resolution for outbound calls (tests); default the system's. */
  lookup?: (hostname: string) => Promise<LookupAddress[]>;
}

const HOUR = 3_600_000;

/**
 * Webhooks, end to end (docs/WEBHOOKS.md): the "webhooks" consumer of the event log queues one
 * delivery per endpoint and event (deliveries.ts), a catch-up loop brings paused or replayed endpoints
 * forward, and the outbox's jobs send them with the guarded HTTP client, signed per Standard Webhooks,
 * one at a time per endpoint and many endpoints at once. Construct it before the scheduler starts (it
 * registers its queue), start it after.
 */
export class Webhooks {
  readonly consumer?: LogConsumer;
  readonly http: SafeHttpClient;
  private catchUpTimer?: NodeJS.Timeout;
  private catching?: Promise<void>;
  private catchAgain = false;
  private lastPrune = 0;
  private stopped = false;

  constructor(private readonly o: WebhooksOptions) {
    const w = o.config.webhooks;
    this.http = new SafeHttpClient({
      allowPrivate: w.allowPrivate,
      timeoutMs: w.timeoutMs,
      lookup: o.lookup,
      connections: 16,
    });
    o.dispatcher.register({
      queue: WEBHOOK_QUEUE,
      concurrency: w.concurrency,
      // Longer than one attempt can take, with room for recording it.
      leaseMs: Math.max(o.config.notify.leaseMs, w.timeoutMs * 2),
      retry: retryPolicyOf(w),
      pipeline: true,
      deliver: (d) => this.deliver(d),
      onRecorded: (tx, results) => this.onRecorded(tx, results),
    });
    if (o.process && w.enabled) {
      this.consumer = new LogConsumer({
        name: 'webhooks',
        em: o.em,
        signal: o.signal ?? new PgCommitSignal(o.databaseUrl, o.logger),
        logger: o.logger,
        pollMs: o.config.realtime.pollMs,
        handle: async (tx, events) => {
          await deriveLive(tx, events, { now: o.clock.now(), maxAttempts: retryPolicyOf(w).maxAttempts });
        },
        afterCommit: () => {
          o.dispatcher.kick(WEBHOOK_QUEUE);
          this.wakeCatchUp();
        },
      });
    }
  }

  async start(): Promise<void> {
    if (!this.o.process) return;
    if (!this.o.config.webhooks.enabled) {
      this.o.logger.info('webhooks are off (WEBHOOKS=off): no deliveries are derived or sent');
      return;
    }
    await this.o.dispatcher.start();
    await this.consumer?.start();
    this.catchUpTimer = setInterval(() => this.wakeCatchUp(), Math.max(200, this.o.config.realtime.pollMs));
    this.catchUpTimer.unref();
    this.wakeCatchUp();
  }

  /** Stops deriving and claiming; sends in flight finish and are recorded (the shared dispatcher stops too). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.catchUpTimer);
    await this.consumer?.stop();
    await this.catching?.catch(() => {});
    await this.o.dispatcher.stop();
    await this.http.close().catch(() => {});
  }

  /** Runs catch-up steps until no endpoint is behind (one run at a time); prunes old deliveries hourly. */
  wakeCatchUp(): void {
    if (this.stopped) return;
    if (this.catching) {
      this.catchAgain = true;
      return;
    }
    const run = async () => {
      do {
        this.catchAgain = false;
        let step;
        do {
          step = await catchUp(this.o.em, {
            now: this.o.clock.now(),
            maxAttempts: retryPolicyOf(this.o.config.webhooks).maxAttempts,
          });
          if (step.queued) this.o.dispatcher.kick(WEBHOOK_QUEUE);
        } while (step.behind && !this.stopped);
      } while (this.catchAgain && !this.stopped);
      if (Date.now() - this.lastPrune > HOUR) {
        this.lastPrune = Date.now();
        await this.prune();
      }
    };
    this.catching = run()
      .catch((err: Error) =>
        this.o.logger.warn({ err }, 'webhooks: a catch-up step failed (retrying at the next poll)'),
      )
      .finally(() => {
        this.catching = undefined;
      });
  }

  /** Deletes finished deliveries (and their attempts) older than WEBHOOK_RETENTION_DAYS. Returns how many. */
  async prune(): Promise<number> {
    const before = new Date(this.o.clock.now().getTime() - this.o.config.webhooks.retentionDays * 86_400_000);
    const rows = await this.o.em
      .fork()
      .execute<{ id: string }[]>(
        `delete from outbox_delivery where queue = ? and status in ('SENT', 'FAILED') and updated_at < ? returning id`,
        [WEBHOOK_QUEUE, before.toISOString()],
      );
    return rows.length;
  }

  /** One attempt: the event, signed with the endpoint's active secrets, POSTed through the guarded client. */
  private async deliver(d: DeliveryRow): Promise<DeliveryOutcome> {
    const now = this.o.clock.now();
    const [row] = await this.o.em
      .fork()
      .execute<(FeedEventRow & { w_url: string; w_enabled: boolean; w_secrets: string[] })[]>(
        `select e.*, w.url as w_url, w.enabled as w_enabled,
              array(select s.secret from webhook_secret s where s.endpoint_id = w.id
                      and (s.expires_at is null or s.expires_at > ?) order by s.created_at desc) as w_secrets
         from webhook_endpoint w join ticket_event e on e.seq = ? where w.id = ?`,
        [now.toISOString(), d.eventSeq, d.orderingKey],
      );
    if (!row) return { ok: false, permanent: true, error: 'the endpoint or the event is gone' };
    if (!row.w_enabled) return { ok: false, permanent: true, error: 'endpoint disabled' };
    const event = rowToFeedEvent(row);
    const body = webhookBody(event);
    const headers = signatureHeaders(webhookIdOf(d.orderingKey!, event.seq), now, body, row.w_secrets);
    const started = performance.now();
    try {
      const res = await this.http.post(row.w_url, headers, body);
      const response: AttemptResponse = {
        status: res.status,
        latencyMs: Math.round(performance.now() - started),
        body: res.body.slice(0, 1000),
      };
      const text = JSON.stringify(response);
      if (res.status >= 200 && res.status < 300) return { ok: true, response: text };
      const w = this.o.config.webhooks;
      return {
        ok: false,
        // 410 Gone: the receiver says the endpoint is no more; it is disabled at once.
        permanent: res.status === 410,
        error:
          res.status >= 300 && res.status < 400
            ? `HTTP ${res.status}: redirects are not followed (set the endpoint's URL to the final address)`
            : `HTTP ${res.status}`,
        response: text,
        retryAfterMs:
          res.status === 429 || res.status === 503
            ? retryAfterMs(res.headers['retry-after'], now, w.retryWindowMs)
            : undefined,
      };
    } catch (err) {
      const e = err as Error & { code?: string; cause?: Error };
      const cause = e.cause?.message && e.cause.message !== e.message ? `: ${e.cause.message}` : '';
      return {
        ok: false,
        permanent: false,
        error: `${e.name === 'TimeoutError' ? `no answer within ${this.o.config.webhooks.timeoutMs} ms` : e.message}${cause}`,
        response: JSON.stringify({ latencyMs: Math.round(performance.now() - started) }),
      };
    }
  }

  /**
   * In the recording transaction: a success clears the endpoint's failing streak; a failure starts it
   * (or goes on with it); an endpoint failing for longer than the retry window, or answered with
   * 410 Gone, is disabled (its cursor back before the failed event) and admins are told by a
   * WEBHOOK_ENDPOINT_DISABLED event.
   */
  private async onRecorded(tx: EntityManager, results: RecordedOutcome[]): Promise<void> {
    const w = this.o.config.webhooks;
    const now = this.o.clock.now();
    const ok = new Set<string>();
    const failed = new Map<string, RecordedOutcome>();
    for (const r of results) {
      if (r.status === 'LOST' || !r.delivery.orderingKey) continue;
      if (r.outcome.ok) ok.add(r.delivery.orderingKey);
      else failed.set(r.delivery.orderingKey, r);
    }
    if (ok.size)
      await tx.execute(
        `update webhook_endpoint set failing_since = null where id = any(?::uuid[]) and failing_since is not null`,
        [sqlArray([...ok])],
      );
    if (!failed.size) return;
    const rows = await tx.execute<{ id: string; partner_id: string; url: string; failing_since: string }[]>(
      `update webhook_endpoint set failing_since = coalesce(failing_since, ?)
        where id = any(?::uuid[]) and enabled
        returning id, partner_id, url, failing_since`,
      [now.toISOString(), sqlArray([...failed.keys()])],
    );
    const events: NewEvent[] = [];
    for (const ep of rows) {
      const r = failed.get(ep.id)!;
      const gone = r.status === 'FAILED' && !r.outcome.ok && r.outcome.permanent;
      const windowOver = now.getTime() - new Date(ep.failing_since).getTime() >= w.retryWindowMs;
      if (!gone && !windowOver && r.status !== 'FAILED') continue;
      const reason = gone
        ? `the receiver answered: ${r.outcome.ok ? '' : r.outcome.error}`
        : windowOver
          ? `deliveries kept failing for ${Math.round(w.retryWindowMs / 60_000)} minutes`
          : 'a delivery failed for good';
      await disableEndpoint(tx, ep.id, reason, now, r.delivery.eventSeq);
      this.o.logger.warn({ endpoint: ep.id, url: ep.url, reason }, 'webhooks: endpoint disabled');
      if (r.delivery.ticketId)
        events.push(
          disabledEvent(
            r.delivery.ticketId,
            { id: ep.id, partnerId: ep.partner_id, url: ep.url },
            reason,
            now,
          ),
        );
    }
    // Last in the transaction: appendEvents takes the log's lock until commit.
    if (events.length) await appendEvents(tx, events);
  }
}
