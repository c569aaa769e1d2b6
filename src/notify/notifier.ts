import type { EntityManager } from '@mikro-orm/postgresql';
import type { Config } from '../config.js';
import { appendEvents } from '../events/event-log.js';
import { PgCommitSignal, type CommitSignal } from '../events/commit-signal.js';
import type { DeliveryOutcome, DeliveryRow, RecordedOutcome } from '../outbox/delivery-queue.js';
import { OutboxDispatcher } from '../outbox/dispatcher.js';
import { LogConsumer } from '../outbox/log-consumer.js';
import type { DeadlineScheduler } from '../scheduler/scheduler.js';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import { deriveNotifications, failedEvent, NOTIFY_QUEUE, replyToOf, threadIdOf } from './derive.js';
import { createMailer, type Mailer, type OutgoingMail } from './mailer.js';
import { PgAttachmentStore, type AttachmentStore } from '../attachments/store.js';

export interface NotificationsOptions {
  config: Config;
  em: EntityManager;
  databaseUrl: string;
  scheduler: DeadlineScheduler;
  clock: Clock;
  logger: Logger;
  /** This process as recorded on delivery attempts (host:pid). */
  owner: string;
  /** Whether this process runs the scheduler's jobs: only then does it derive and send. */
  process: boolean;
  /** Another commit signal (default: LISTEN on the event log's channel). */
  signal?: CommitSignal;
  /** Another mailer (default: SMTP_URL, else .eml files). */
  mailer?: Mailer;
  /** Where attachment contents are (inline images of comments; default: PostgreSQL). */
  attachmentStore?: AttachmentStore;
}

/**
 * Notifications, end to end: a consumer of the event log ("notify") turns committed events into
 * rendered messages in the outbox, and the outbox's jobs send them by mail. Construct it before the
 * scheduler starts (it defines its jobs), start it after.
 */
export class Notifications {
  readonly dispatcher: OutboxDispatcher;
  readonly consumer?: LogConsumer;
  readonly mailer: Mailer;
  private started = false;

  constructor(private readonly o: NotificationsOptions) {
    const n = o.config.notify;
    this.mailer = o.mailer ?? createMailer(n, o.logger);
    this.dispatcher = new OutboxDispatcher({
      agenda: o.scheduler.agenda,
      em: o.em,
      clock: o.clock,
      logger: o.logger,
      owner: o.owner,
      process: o.process,
      lanes: n.lanes,
      sweepEvery: `${Math.round(n.sweepMs)} milliseconds`,
    });
    this.dispatcher.register({
      queue: NOTIFY_QUEUE,
      concurrency: n.concurrency,
      leaseMs: n.leaseMs,
      retry: { maxAttempts: n.maxAttempts, baseMs: n.retryBaseMs, maxMs: n.retryMaxMs },
      deliver: (d) => this.deliver(d),
      onRecorded: (tx, results) => this.onRecorded(tx, results),
    });
    if (o.process && n.enabled) {
      this.consumer = new LogConsumer({
        name: 'notify',
        em: o.em,
        signal: o.signal ?? new PgCommitSignal(o.databaseUrl, o.logger),
        logger: o.logger,
        pollMs: o.config.realtime.pollMs,
        handle: async (tx, events) => {
          // Imported history (src/import) happened elsewhere, long ago: nobody is told of it again.
          const live = events.filter((e) => !e.imported);
          if (live.length) await deriveNotifications(tx, live, n, o.clock.now());
        },
        afterCommit: () => this.dispatcher.kick(NOTIFY_QUEUE),
      });
    }
  }

  async start(): Promise<void> {
    const n = this.o.config.notify;
    if (!this.o.process) return;
    if (!n.enabled) {
      this.o.logger.info('notifications are off (NOTIFICATIONS=off): no messages are derived or sent');
      return;
    }
    this.o.logger.info(
      { transport: this.mailer.describe },
      n.smtp
        ? `notifications: sending mail by ${this.mailer.describe}`
        : `notifications: no SMTP_URL set, so messages are written as .eml files to ${n.outboxDir} (and their subjects logged)`,
    );
    await this.dispatcher.start();
    await this.consumer?.start();
    this.started = true;
  }

  /** Stops deriving and claiming; sends in flight are finished and recorded. */
  async stop(): Promise<void> {
    await this.consumer?.stop();
    await this.dispatcher.stop();
    await this.mailer.close();
    this.started = false;
  }

  get running(): boolean {
    return this.started;
  }

  private async deliver(d: DeliveryRow): Promise<DeliveryOutcome> {
    const [m] = await this.o.em.fork().execute<
      {
        recipient_email: string;
        recipient_name: string | null;
        subject: string;
        text_body: string;
        html_body: string;
        message_id: string;
        automatic: boolean;
        reference: string;
        ticket_id: string;
      }[]
    >(
      `select m.recipient_email, u.name as recipient_name, m.subject, m.text_body, m.html_body, m.message_id,
              m.automatic, t.reference, m.ticket_id
         from notification_message m join ticket t on t.id = m.ticket_id
         left join app_user u on u.id = m.recipient_user_id
        where m.id = ?`,
      [d.id],
    );
    if (!m) return { ok: false, permanent: true, error: 'the message is gone (its ticket was deleted)' };
    const n = this.o.config.notify;
    let inline: OutgoingMail['inline'];
    try {
      inline = await this.inlineImages(m.ticket_id, m.html_body);
    } catch (err) {
      return { ok: false, permanent: false, error: `inline images: ${(err as Error).message}` };
    }
    return this.mailer.send({
      to: { name: m.recipient_name ?? '', address: m.recipient_email },
      subject: m.subject,
      text: m.text_body,
      html: m.html_body,
      messageId: m.message_id,
      threadId: threadIdOf(n, m.ticket_id),
      replyTo: replyToOf(n, m.reference),
      automatic: m.automatic,
      reference: m.reference,
      inline,
    });
  }

  /**
   * The images the HTML refers to as `cid:<attachment id>@docket` (src/notify/derive.ts inlineCid):
   * public, non-pending attachments of this ticket only, with their contents.
   */
  private async inlineImages(ticketId: string, html: string): Promise<OutgoingMail['inline']> {
    const ids = [...new Set([...html.matchAll(/cid:([0-9a-f-]{36})@docket/g)].map((x) => x[1]!))];
    if (!ids.length) return undefined;
    const em = this.o.em.fork();
    const rows = await em.execute<{ id: string; sha256: string; filename: string; content_type: string }[]>(
      `select id, sha256, filename, content_type from attachment
        where ticket_id = ? and id = any(?::uuid[]) and not internal and not pending`,
      [ticketId, `{${ids.join(',')}}`],
    );
    const store = (this.store ??= this.o.attachmentStore ?? new PgAttachmentStore());
    const out: NonNullable<OutgoingMail['inline']> = [];
    for (const r of rows) {
      const content = await store.get(em, r.sha256);
      if (content)
        out.push({ cid: `${r.id}@docket`, filename: r.filename, contentType: r.content_type, content });
    }
    return out;
  }

  private store?: AttachmentStore;

  /** A message given up for good: a NOTIFICATION_FAILED event (staff only) on its ticket, with the recording. */
  private async onRecorded(tx: EntityManager, results: RecordedOutcome[]): Promise<void> {
    const failed = results.filter((r) => r.status === 'FAILED');
    if (!failed.length) return;
    const rows = await tx.execute<
      {
        id: string;
        ticket_id: string;
        message_id: string;
        template_key: string;
        recipient_email: string;
        recipient_role: string;
      }[]
    >(
      `select id, ticket_id, message_id, template_key, recipient_email, recipient_role from notification_message
        where id = any(?::uuid[])`,
      [`{${failed.map((f) => f.delivery.id).join(',')}}`],
    );
    const now = this.o.clock.now();
    await appendEvents(
      tx,
      rows.map((r) => {
        const outcome = failed.find((f) => f.delivery.id === r.id)!.outcome;
        return failedEvent(
          r.ticket_id,
          {
            id: r.id,
            messageId: r.message_id,
            templateKey: r.template_key,
            recipient: { email: r.recipient_email, role: r.recipient_role },
          },
          outcome.ok ? 'unknown' : outcome.error,
          now,
        );
      }),
    );
  }
}
