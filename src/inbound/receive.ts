import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Actor } from '../access/actor.js';
import { SYSTEM_ACTOR } from '../access/actor.js';
import { addAttachments } from '../attachments/attachments.js';
import type { AttachmentStore } from '../attachments/store.js';
import type { Config } from '../config.js';
import { Organization } from '../directory/organization.entity.js';
import { User } from '../directory/user.entity.js';
import { appendEvents, type NewEvent } from '../events/event-log.js';
import { TicketEventType } from '../events/event-types.js';
import type { DeadlineScheduler } from '../scheduler/scheduler.js';
import { LIMITS } from '../shared/checks.js';
import type { Clock } from '../shared/clock.js';
import { Channel, Role } from '../shared/enums.js';
import { DomainError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { UseCaseContext } from '../shared/use-case.js';
import { addComment } from '../ticket/add-comment.js';
import { createTicket } from '../ticket/create-ticket.js';
import { addParticipant } from '../ticket/participants.js';
import { Ticket } from '../ticket/ticket.entity.js';
import { verifyMail, type AuthVerdict, type DnsResolver } from './mail-auth.js';
import { inboundEmails, inboundSeconds } from './metrics.js';
import { parseMessage, type InboundMessage } from './message.js';
import {
  clip,
  docketThread,
  isSupportAddress,
  loopReason,
  referenceInAddresses,
  referenceInSubject,
  stripReply,
  ticketSubject,
  type InboundReason,
  type InboundStatus,
} from './rules.js';

/** What Docket needs to take mail in. */
export interface InboundDeps {
  /** The root entity manager (forked per message). */
  em: EntityManager;
  config: Config;
  clock: Clock;
  logger: Logger;
  store: AttachmentStore;
  /** Told the deadlines of the tickets a message changed (absent: the sweep finds them). */
  scheduler?: DeadlineScheduler;
  /** DNS lookups of DKIM/SPF/DMARC (default: the system's resolver). */
  resolver?: DnsResolver;
}

/** How the message arrived. */
export interface Envelope {
  source: 'SMTP' | 'HTTP';
  /** SMTP MAIL FROM; `''` for the null sender `<>` (bounces); undefined when unknown (HTTP). */
  mailFrom?: string;
  /** SMTP RCPT TO (already checked to be support addresses); HTTP: empty, the headers' To and Cc count. */
  rcptTo: string[];
  remoteAddress?: string;
  clientHostname?: string;
}

/** What became of one message. */
export interface InboundResult {
  /** The inbound_email row (of the first delivery, for a duplicate). */
  id: string;
  status: InboundStatus;
  reason?: InboundReason;
  detail?: string;
  ticketId?: string;
  reference?: string;
  commentId?: string;
  attachments: number;
  /** The same Message-ID was received before: nothing was done again. */
  duplicate: boolean;
}

/** A refusal decided while routing: recorded, never thrown to the sender's server. */
class Refusal extends Error {
  constructor(
    readonly reason: InboundReason,
    readonly detail: string,
    readonly status: 'IGNORED' | 'REJECTED' = 'REJECTED',
    readonly ticketId?: string,
  ) {
    super(detail);
  }
}

const REASON_OF: Partial<Record<string, InboundReason>> = {
  TICKET_CLOSED: 'TICKET_CLOSED',
  CHANNEL_CLOSED: 'CHANNEL_CLOSED',
  INVALID_INPUT: 'INVALID',
  NOT_PERMITTED: 'NOT_PERMITTED',
  NOT_FOUND: 'NOT_PERMITTED',
};

/**
 * Takes one raw RFC 5322 message in, in one transaction, and answers what became of it; only an
 * unexpected failure (the database is away) throws, so the sender's server tries again later.
 *
 * 1. Parsed (mailparser). The same Message-ID a second time does nothing (`duplicate`): the row's unique
 *    key makes concurrent deliveries wait for the first and then find it.
 * 2. Ignored, recorded, never answered: Docket's own mail, bounces, auto-replies and bulk mail
 *    (rules.ts loopReason), and a sender over INBOUND_RATE_PER_HOUR.
 * 3. Optionally DKIM/SPF/DMARC (mailauth, INBOUND_AUTH).
 * 4. A reply: the ticket found by In-Reply-To/References (Docket's Message-IDs, or an earlier inbound
 *    message's), else `[TCK-000123]` in the subject, else the plus-address. If the sender is that
 *    ticket's requester or a participant, the new part of the text (quotes and signature stripped)
 *    becomes their public comment through the portal's use case (addComment), so the workflow's reply
 *    rule applies: a reopen, the end of a wait, or a follow-up ticket for a closed one (seed 002).
 * 5. Otherwise a new ticket on the EMAIL channel for the sender, when INBOUND_NEW_SENDERS lets them
 *    (the organization's workflow through createTicket), with the CCs of the sender's organization as
 *    participants. A stranger's reply to someone else's ticket is such a new ticket, never a comment.
 * 6. Attachments are added to the comment (or the new ticket); EMAIL_RECEIVED (internal) is appended.
 *    A refusal is recorded with its reason, and with EMAIL_REJECTED on the ticket when one was found.
 */
export async function receiveEmail(
  deps: InboundDeps,
  raw: Buffer,
  envelope: Envelope,
): Promise<InboundResult> {
  const started = performance.now();
  try {
    const r = await receive(deps, raw, envelope);
    inboundEmails.inc({
      source: envelope.source,
      status: r.duplicate ? 'DUPLICATE' : r.status,
      reason: r.duplicate ? '' : (r.reason ?? ''),
    });
    inboundSeconds.observe({ source: envelope.source }, (performance.now() - started) / 1000);
    return r;
  } catch (err) {
    inboundEmails.inc({ source: envelope.source, status: 'FAILED', reason: '' });
    throw err;
  }
}

async function receive(deps: InboundDeps, raw: Buffer, envelope: Envelope): Promise<InboundResult> {
  const { config, clock } = deps;
  const msg = await parseMessage(raw);
  const verdict: AuthVerdict | undefined =
    config.inbound.auth !== 'off' && envelope.source === 'SMTP' && envelope.remoteAddress
      ? await verifyMail(raw, envelope, deps.logger, deps.resolver)
      : undefined;
  const touched = new Set<string>();
  const result = await deps.em.fork().transactional(async (em) => {
    const now = clock.now();
    const id = randomUUID();
    const [inserted] = await em.execute<{ id: string }[]>(
      `insert into inbound_email (id, message_id, source, from_address, from_name, recipients, subject, status, size, raw, received_at)
       values (?, ?, ?, ?, ?, ?::text[], ?, 'RECEIVING', ?, ?, ?)
       on conflict (message_id) do nothing returning id`,
      [
        id,
        msg.messageId.slice(0, 998),
        envelope.source,
        msg.from?.address.slice(0, 320) ?? null,
        msg.from?.name?.slice(0, 200) ?? null,
        `{${[...new Set([...envelope.rcptTo, ...msg.to])].map((a) => JSON.stringify(a)).join(',')}}`,
        msg.subject.slice(0, 998),
        raw.length,
        raw,
        now,
      ],
    );
    if (!inserted) return duplicateOf(em, msg.messageId);
    let outcome: Omit<InboundResult, 'id' | 'duplicate'>;
    try {
      outcome = await em.transactional((tx) =>
        route({ ...deps, em: tx }, msg, envelope, verdict, now, touched),
      );
    } catch (err) {
      const refusal =
        err instanceof Refusal
          ? err
          : err instanceof DomainError
            ? new Refusal(
                REASON_OF[err.code] ?? 'INVALID',
                err.message,
                'REJECTED',
                (err as { ticketId?: string }).ticketId,
              )
            : undefined;
      if (!refusal) throw err;
      outcome = {
        status: refusal.status,
        reason: refusal.reason,
        detail: refusal.detail,
        ticketId: refusal.ticketId ?? threadTicketOf(err),
        attachments: 0,
      };
    }
    if (verdict)
      outcome.detail = [outcome.detail, `dmarc=${verdict.dmarc} spf=${verdict.spf} dkim=${verdict.dkim}`]
        .filter(Boolean)
        .join('; ');
    await em.execute(
      `update inbound_email set status = ?, reason = ?, detail = ?, ticket_id = ?, comment_id = ?, sender_id = ?,
         text_body = ? where id = ?`,
      [
        outcome.status,
        outcome.reason ?? null,
        outcome.detail?.slice(0, 2000) ?? null,
        outcome.ticketId ?? null,
        outcome.commentId ?? null,
        (await senderIdOf(em, msg)) ?? null,
        msg.text.slice(0, 1_000_000),
        id,
      ],
    );
    const ticket = outcome.ticketId ? await em.findOne(Ticket, outcome.ticketId) : undefined;
    if (ticket) {
      const event: NewEvent = {
        ticketId: ticket.id,
        type: outcome.reason ? TicketEventType.EMAIL_REJECTED : TicketEventType.EMAIL_RECEIVED,
        actor: SYSTEM_ACTOR,
        internal: true,
        occurredAt: now,
        payload: {
          inboundEmailId: id,
          from: msg.from?.address ?? null,
          messageId: msg.messageId,
          ...(outcome.reason
            ? { reason: outcome.reason, detail: outcome.detail ?? null }
            : {
                outcome: outcome.status,
                commentId: outcome.commentId ?? null,
                attachments: outcome.attachments,
              }),
        },
      };
      await appendEvents(em, [event]);
      outcome.reference = ticket.reference;
    }
    return { id, duplicate: false, ...outcome };
  });
  if (touched.size) await deps.scheduler?.sync(touched);
  deps.logger.info(
    {
      inboundEmailId: result.id,
      messageId: msg.messageId,
      from: msg.from?.address,
      status: result.status,
      reason: result.reason,
      ticket: result.reference,
    },
    'inbound email',
  );
  return result;
}

/** The ticket a refused reply was about, carried on the refusal. */
function threadTicketOf(err: unknown): string | undefined {
  return (err as { threadTicketId?: string }).threadTicketId;
}

async function duplicateOf(em: EntityManager, messageId: string): Promise<InboundResult> {
  const [row] = await em.execute<
    {
      id: string;
      status: InboundStatus;
      reason: InboundReason | null;
      ticket_id: string | null;
      comment_id: string | null;
      reference: string | null;
    }[]
  >(
    `select e.id, e.status, e.reason, e.ticket_id, e.comment_id, t.reference
       from inbound_email e left join ticket t on t.id = e.ticket_id where e.message_id = ?`,
    [messageId],
  );
  return {
    id: row!.id,
    status: row!.status,
    reason: row!.reason ?? undefined,
    detail: 'the same Message-ID was received before: nothing done again',
    ticketId: row!.ticket_id ?? undefined,
    reference: row!.reference ?? undefined,
    commentId: row!.comment_id ?? undefined,
    attachments: 0,
    duplicate: true,
  };
}

async function senderIdOf(em: EntityManager, msg: InboundMessage): Promise<string | undefined> {
  if (!msg.from) return undefined;
  const [row] = await em.execute<{ id: string }[]>(`select id from app_user where email = ?`, [
    msg.from.address,
  ]);
  return row?.id;
}

/** The ticket a reply belongs to: by Message-IDs, else the subject's reference, else the plus-address. */
async function threadTicket(
  em: EntityManager,
  config: Config,
  msg: InboundMessage,
  envelope: Envelope,
): Promise<Ticket | undefined> {
  const ids = [...msg.inReplyTo, ...[...msg.references].reverse()];
  if (ids.length) {
    const own = docketThread(ids, config.notify.messageIdDomain);
    const [row] = await em.execute<{ ticket_id: string }[]>(
      `select ticket_id from (
         select t.id as ticket_id, 0 as rank from ticket t
          where t.id = any(?::uuid[]) or t.reference = any(?::text[])
         union all
         select m.ticket_id, 1 from notification_message m where m.message_id = any(?::text[])
         union all
         select e.ticket_id, 2 from inbound_email e
          where e.message_id = any(?::text[]) and e.ticket_id is not null
       ) found order by rank limit 1`,
      [
        `{${own.ticketIds.join(',')}}`,
        `{${own.references.join(',')}}`,
        `{${ids.map((i) => JSON.stringify(i)).join(',')}}`,
        `{${ids.map((i) => JSON.stringify(i)).join(',')}}`,
      ],
    );
    if (row) return (await em.findOne(Ticket, row.ticket_id)) ?? undefined;
  }
  const reference =
    referenceInSubject(msg.subject) ??
    referenceInAddresses([...envelope.rcptTo, ...msg.to, ...msg.cc], config.inbound.addresses);
  return reference ? ((await em.findOne(Ticket, { reference })) ?? undefined) : undefined;
}

/** The sender as a user: found by address, or created on first sight when INBOUND_NEW_SENDERS lets them. */
async function senderOf(
  em: EntityManager,
  config: Config,
  msg: InboundMessage,
  now: Date,
): Promise<{ user?: User; organization?: Organization }> {
  const address = msg.from!.address;
  const known = await em.findOne(User, { email: address }, { populate: ['organization'] });
  if (known) return { user: known, organization: known.organization };
  const policy = config.inbound.newSenders;
  if (policy === 'known') return {};
  const domain = address.slice(address.lastIndexOf('@') + 1);
  const [org] = await em.execute<{ id: string }[]>(
    `select id from organization where ? = any(email_domains) order by name limit 1`,
    [domain],
  );
  if (!org && policy !== 'anyone') return {};
  const organization = org ? await em.findOneOrFail(Organization, org.id) : undefined;
  const user = em.create(User, {
    email: address,
    name: msg.from!.name?.slice(0, 200) || address.split('@')[0]!,
    role: Role.REQUESTER,
    organization,
    createdAt: now,
  } as User);
  await em.flush();
  return { user, organization };
}

async function route(
  deps: InboundDeps,
  msg: InboundMessage,
  envelope: Envelope,
  verdict: AuthVerdict | undefined,
  now: Date,
  touched: Set<string>,
): Promise<Omit<InboundResult, 'id' | 'duplicate'>> {
  const { em, config } = deps;
  const own = [config.notify.from.address.toLowerCase(), ...config.inbound.addresses];
  const loop = loopReason(
    {
      headers: msg.headers,
      from: msg.from?.address,
      subject: msg.subject,
      envelopeFrom: envelope.mailFrom,
      contentType: msg.contentType,
    },
    own,
  );
  if (loop === 'OWN_ADDRESS' || (msg.from && isSupportAddress(msg.from.address, config.inbound.addresses)))
    throw new Refusal(
      'OWN_ADDRESS',
      'mail from Docket itself (its own address or header): a loop',
      'IGNORED',
    );
  if (loop) throw new Refusal(loop, LOOP_DETAIL[loop] ?? loop, 'IGNORED');
  if (!msg.from) throw new Refusal('NO_SENDER', 'the message has no From address');
  if (config.inbound.perSenderPerHour > 0) {
    const [row] = await em.execute<{ n: string }[]>(
      `select count(*) as n from inbound_email where from_address = ? and received_at > ? and status <> 'RECEIVING'`,
      [msg.from.address, new Date(now.getTime() - 3_600_000)],
    );
    if (Number(row!.n) >= config.inbound.perSenderPerHour)
      throw new Refusal(
        'RATE_LIMITED',
        `more than ${config.inbound.perSenderPerHour} messages from ${msg.from.address} in the last hour`,
        'IGNORED',
      );
  }
  if (verdict && config.inbound.auth === 'enforce' && verdict.dmarc === 'fail')
    throw new Refusal('AUTH_FAILED', `DMARC failed for ${msg.from.address} (${verdict.summary})`);

  const thread = await threadTicket(em, config, msg, envelope);
  const { user, organization } = await senderOf(em, config, msg, now);
  if (user && user.role !== Role.REQUESTER)
    throw new Refusal(
      'STAFF_SENDER',
      `${msg.from.address} is staff: agents answer in Docket`,
      'REJECTED',
      thread?.id,
    );
  const actor: Actor | undefined = user
    ? { kind: 'REQUESTER', userId: user.id, organizationId: organization?.id }
    : undefined;
  const ctx = (a: Actor): UseCaseContext => ({
    actor: a,
    em,
    clock: deps.clock,
    visibility: { requestersSeeOrganizationTickets: config.requestersSeeOrganizationTickets },
    touched,
  });
  const files = msg.attachments.map((a) => ({
    filename: a.filename,
    content: a.content,
    declaredType: a.contentType,
    contentId: a.contentId,
  }));
  const attach = async (ticketId: string, commentId: string | undefined, uploadedById: string) => {
    const { saved, skipped } = await addAttachments(
      em,
      deps.store,
      config.attachments,
      { ticketId, commentId, internal: false, source: 'EMAIL', uploadedById },
      files,
      now,
      { partial: true },
    );
    return {
      saved,
      note: skipped.length
        ? `attachments not kept: ${skipped.map((s) => `${s.filename} ${s.why}`).join('; ')}`
        : undefined,
    };
  };

  const mayComment =
    thread && user && (thread.requester.id === user.id || thread.participantIds.includes(user.id));
  if (thread && mayComment && actor) {
    const body = stripReply(msg.text) || (files.length ? '(attachments)' : '');
    if (!body) throw new Refusal('INVALID', 'the reply has no text', 'REJECTED', thread.id);
    let result;
    try {
      result = await addComment(ctx(actor), { ticketId: thread.id, body: clip(body, LIMITS.comment) });
    } catch (err) {
      if (err instanceof DomainError) Object.assign(err, { threadTicketId: thread.id });
      throw err;
    }
    const target = result.ticket;
    const { saved, note } = await attach(target.id, result.comment?.id, user.id);
    await addColleagues(ctx(actor), target, msg, config, organization, user);
    return {
      status: result.createdFollowUp ? 'FOLLOW_UP_CREATED' : 'COMMENT_ADDED',
      ticketId: target.id,
      commentId: result.comment?.id,
      attachments: saved.length,
      detail:
        [result.createdFollowUp ? `a follow-up of ${thread.reference}` : undefined, note]
          .filter(Boolean)
          .join('; ') || undefined,
    };
  }
  if (!user || !actor)
    throw new Refusal(
      'UNKNOWN_SENDER',
      config.inbound.newSenders === 'known'
        ? `${msg.from.address} is not a known requester (INBOUND_NEW_SENDERS=known)`
        : `${msg.from.address} is not a known requester and its domain belongs to no organization`,
      'REJECTED',
      thread?.id,
    );
  const text = clip(msg.text.trim() || (files.length ? '(attachments)' : ''), LIMITS.description);
  const ticket = await createTicket(ctx(actor), {
    subject: ticketSubject(msg.subject, LIMITS.subject),
    description: text,
    channel: Channel.EMAIL,
  });
  const { saved, note } = await attach(ticket.id, undefined, user.id);
  await addColleagues(ctx(actor), ticket, msg, config, organization, user);
  return {
    status: 'TICKET_CREATED',
    ticketId: ticket.id,
    attachments: saved.length,
    detail:
      [
        thread
          ? `${msg.from.address} is neither requester nor participant of ${thread.reference}: opened as a new ticket`
          : undefined,
        note,
      ]
        .filter(Boolean)
        .join('; ') || undefined,
  };
}

const LOOP_DETAIL: Partial<Record<InboundReason, string>> = {
  AUTO_REPLY: 'an automatic reply (Auto-Submitted, X-Autoreply or an out-of-office subject): never answered',
  BOUNCE: 'a delivery status notification (bounce)',
  BULK: 'bulk or list mail (Precedence)',
};

/**
 * The To and Cc addresses of the sender's organization (by a known user of it, or by its email
 * domains) become participants of the ticket, through the portal's use case (addParticipant).
 */
async function addColleagues(
  ctx: UseCaseContext,
  ticket: Ticket,
  msg: InboundMessage,
  config: Config,
  organization: Organization | undefined,
  sender: User,
): Promise<void> {
  if (!organization) return;
  const own = config.notify.from.address.toLowerCase();
  const candidates = [...new Set([...msg.to, ...msg.cc])].filter(
    (a) => a !== sender.email && a !== own && !isSupportAddress(a, config.inbound.addresses),
  );
  for (const address of candidates) {
    const known = await ctx.em.findOne(User, { email: address });
    const domain = address.slice(address.lastIndexOf('@') + 1);
    const colleague = known
      ? known.role === Role.REQUESTER && known.organization?.id === organization.id
      : organization.emailDomains.includes(domain);
    if (
      !colleague ||
      (known && (known.id === ticket.requester.id || ticket.participantIds.includes(known.id)))
    )
      continue;
    try {
      await addParticipant(ctx, { ticketId: ticket.id, email: address });
    } catch (err) {
      // A full list of participants or a closed ticket: the message is still taken.
      if (!(err instanceof DomainError)) throw err;
    }
  }
}
