import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import nodemailer, { type SendMailOptions, type Transporter } from 'nodemailer';
import type { NotifyConfig } from '../config.js';
import type { DeliveryOutcome } from '../outbox/delivery-queue.js';
import type { Logger } from '../shared/logger.js';
import { oneLine } from './templates.js';

/** One message as it leaves: everything is already rendered and stored (notification_message). */
export interface OutgoingMail {
  to: { name: string; address: string };
  subject: string;
  text: string;
  html: string;
  /** Stable across retries: `<…@domain>`. */
  messageId: string;
  /** The ticket's thread root, in In-Reply-To and References. */
  threadId: string;
  replyTo: string;
  /** Reminders, notices: `Auto-Submitted: auto-generated` (RFC 3834) so auto-responders stay quiet. */
  automatic: boolean;
  reference: string;
  /** Images the HTML shows inline (`cid:`): the comment's public image attachments. */
  inline?: { cid: string; filename: string; contentType: string; content: Buffer }[];
}

export interface Mailer {
  /** Where mail goes, for the start-up log. */
  readonly describe: string;
  send(mail: OutgoingMail): Promise<DeliveryOutcome>;
  close(): Promise<void>;
}

/**
 * The message as nodemailer composes it. Every header value that comes from data goes through a
 * field nodemailer encodes (addresses, subject), and control characters are removed first, so no
 * value can start a header of its own.
 */
export function composeMail(config: NotifyConfig, mail: OutgoingMail): SendMailOptions {
  const headers: Record<string, string> = { 'X-Docket-Ticket': mail.reference };
  if (mail.automatic) {
    headers['Auto-Submitted'] = 'auto-generated';
    headers['X-Auto-Response-Suppress'] = 'All';
  }
  return {
    from: { name: oneLine(config.from.name ?? ''), address: config.from.address },
    to: { name: oneLine(mail.to.name), address: mail.to.address },
    replyTo: mail.replyTo,
    subject: oneLine(mail.subject),
    text: mail.text,
    html: mail.html,
    messageId: mail.messageId,
    inReplyTo: mail.threadId,
    references: [mail.threadId],
    headers,
    ...(mail.inline?.length
      ? {
          attachments: mail.inline.map((a) => ({
            filename: a.filename,
            content: a.content,
            contentType: a.contentType,
            cid: a.cid,
            contentDisposition: 'inline' as const,
          })),
        }
      : {}),
  };
}

/** An SMTP answer or error as one outcome: 5xx answers are permanent, everything else is retried. */
function outcomeOf(err: unknown): DeliveryOutcome {
  const e = err as { message?: string; response?: string; responseCode?: number; permanent?: boolean };
  const permanent = e.permanent ?? (e.responseCode !== undefined && e.responseCode >= 500);
  return {
    ok: false,
    permanent,
    error: e.message ?? String(err),
    response: e.response ?? (e.responseCode ? String(e.responseCode) : undefined),
  };
}

/** SMTP through a pool of connections (nodemailer), when SMTP_URL is set. */
export class SmtpMailer implements Mailer {
  private readonly transport: Transporter;
  readonly describe: string;

  constructor(
    private readonly config: NotifyConfig,
    logger: Logger,
  ) {
    const smtp = config.smtp!;
    const url = new URL(smtp.url);
    this.describe = `SMTP ${url.protocol}//${url.hostname}:${url.port || (url.protocol === 'smtps:' ? 465 : 587)}`;
    this.transport = nodemailer.createTransport({
      pool: true,
      url: smtp.url,
      maxConnections: Math.min(config.concurrency, 10),
      maxMessages: 1000,
      connectionTimeout: smtp.timeoutMs,
      greetingTimeout: smtp.timeoutMs,
      socketTimeout: smtp.timeoutMs,
      requireTLS: smtp.requireTls,
      tls: { rejectUnauthorized: smtp.rejectUnauthorized },
    } as never);
    this.transport.on('error', (err: Error) => logger.warn({ err: err.message }, 'SMTP pool error'));
  }

  async send(mail: OutgoingMail): Promise<DeliveryOutcome> {
    try {
      const info = await this.transport.sendMail(composeMail(this.config, mail));
      if (info.rejected?.length)
        return { ok: false, permanent: true, error: `recipient refused`, response: info.response };
      return { ok: true, response: info.response };
    } catch (err) {
      return outcomeOf(err);
    }
  }

  async close(): Promise<void> {
    this.transport.close();
  }
}

/**
 * The embedded default (no SMTP_URL): each message is written to `<DOCKET_DATA_DIR>/outbox/` as an
 * `.eml` file (open it with any mail client) and its subject logged, so a new installation shows what
 * it would send.
 */
export class FileMailer implements Mailer {
  private readonly transport = nodemailer.createTransport({
    streamTransport: true,
    buffer: true,
    newline: 'unix',
  });
  readonly describe: string;

  constructor(
    private readonly config: NotifyConfig,
    private readonly logger: Logger,
  ) {
    this.describe = `.eml files in ${config.outboxDir}`;
  }

  async send(mail: OutgoingMail): Promise<DeliveryOutcome> {
    try {
      const info = await this.transport.sendMail(composeMail(this.config, mail));
      await mkdir(this.config.outboxDir, { recursive: true });
      const name = `${new Date().toISOString().replace(/[:.]/g, '-')}-${mail.messageId.replace(/[^A-Za-z0-9.-]/g, '')}.eml`;
      const file = path.join(this.config.outboxDir, name);
      await writeFile(file, info.message as Buffer);
      this.logger.info(
        { to: mail.to.address, subject: mail.subject, file },
        'mail written to the outbox folder',
      );
      return { ok: true, response: `written to ${file}` };
    } catch (err) {
      return { ok: false, permanent: false, error: (err as Error).message };
    }
  }

  async close(): Promise<void> {}
}

export function createMailer(config: NotifyConfig, logger: Logger): Mailer {
  return config.smtp ? new SmtpMailer(config, logger) : new FileMailer(config, logger);
}
