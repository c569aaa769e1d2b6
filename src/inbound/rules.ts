import EmailReplyParser from 'email-reply-parser';

/**
 * The pure rules of inbound mail: which messages are machines talking (never answered, never a
 * ticket), where a reply belongs, and what of a reply is new. No database, no clock.
 */

/** Why a message was ignored or refused: one name per reason, recorded on its inbound_email row. */
export const INBOUND_REASONS = [
  /** RFC 3834 auto-reply (Auto-Submitted, X-Autoreply, X-Autorespond, out-of-office subjects). */
  'AUTO_REPLY',
  /** A delivery status notification (multipart/report; report-type=delivery-status, mailer-daemon). */
  'BOUNCE',
  /** Mass mail: Precedence bulk, junk or list. */
  'BULK',
  /** Mail from Docket's own addresses, or carrying Docket's own header: a loop. */
  'OWN_ADDRESS',
  /** The sender wrote more than INBOUND_RATE_PER_HOUR messages in the last hour. */
  'RATE_LIMITED',
  /** No usable From address. */
  'NO_SENDER',
  /** The sender is not someone who may open tickets by mail (INBOUND_NEW_SENDERS). */
  'UNKNOWN_SENDER',
  /** The sender is an agent or admin: staff answer in Docket, not by mail (a From line is easy to forge). */
  'STAFF_SENDER',
  /** The ticket does not take this reply (its workflow refuses replies in its status). */
  'TICKET_CLOSED',
  /** The email channel is closed now (the workflow's channel hours). */
  'CHANNEL_CLOSED',
  /** DKIM/SPF/DMARC verification failed (INBOUND_AUTH=enforce). */
  'AUTH_FAILED',
  /** The content was refused by the ticket rules (too long, no subject and no text…). */
  'INVALID',
  /** The ticket rules refused the sender this action. */
  'NOT_PERMITTED',
] as const;
export type InboundReason = (typeof INBOUND_REASONS)[number];

/** What became of a message. */
export type InboundStatus = 'TICKET_CREATED' | 'COMMENT_ADDED' | 'FOLLOW_UP_CREATED' | 'IGNORED' | 'REJECTED';

/** The headers the loop rules look at, lower-cased names, values as strings. */
export type HeaderMap = ReadonlyMap<string, string>;

export interface LoopFacts {
  headers: HeaderMap;
  from?: string;
  subject: string;
  /** The SMTP envelope sender (MAIL FROM); empty string for the null sender `<>` of bounces. */
  envelopeFrom?: string;
  contentType?: string;
}

const OUT_OF_OFFICE =
  /^(?:auto(?:matic)?(?:[ -]reply|[ -]response)|out of (?:the )?office|abwesenheitsnotiz|réponse automatique|respuesta automática|autosvar|automatisch antwoord)\b/i;
const DAEMON = /^(?:mailer-daemon|postmaster|mail-daemon|mailerdaemon)@/i;

/**
 * Is this message a machine's (an auto-reply, a bounce, mass mail) or Docket's own? Such a message
 * never opens a ticket or adds a comment, so it never gets an acknowledgement: Docket never answers an
 * auto-reply with an auto-reply (RFC 3834 section 2). Sources: RFC 3834 (Auto-Submitted), RFC 3464
 * (delivery status notifications), RFC 2076 (Precedence), the X-Autoreply / X-Autorespond headers of
 * common responders, Discourse's receiver (mailer-daemon senders, out-of-office subjects).
 */
export function loopReason(facts: LoopFacts, ownAddresses: readonly string[]): InboundReason | undefined {
  const h = facts.headers;
  const from = facts.from?.toLowerCase();
  if (h.has('x-docket-ticket') || (from && ownAddresses.includes(from))) return 'OWN_ADDRESS';
  const type = (facts.contentType ?? h.get('content-type') ?? '').toLowerCase();
  if (
    (type.includes('multipart/report') && type.includes('delivery-status')) ||
    type.startsWith('message/delivery-status') ||
    facts.envelopeFrom === '' ||
    (from && DAEMON.test(from))
  )
    return 'BOUNCE';
  const auto = h.get('auto-submitted')?.trim().toLowerCase();
  if (auto && auto !== 'no') return 'AUTO_REPLY';
  if (h.has('x-autoreply') || h.has('x-autorespond') || h.has('x-autoresponder')) return 'AUTO_REPLY';
  if (/^(?:bulk|junk|list)$/i.test(h.get('precedence')?.trim() ?? '')) return 'BULK';
  if (OUT_OF_OFFICE.test(facts.subject.trim())) return 'AUTO_REPLY';
  return undefined;
}

/** A ticket reference in a subject, `[TCK-000123]` (what Docket's notifications put there), upper-cased. */
export function referenceInSubject(subject: string): string | undefined {
  return /\[(TCK-\d{1,12})\]/i.exec(subject)?.[1]?.toUpperCase();
}

/**
 * The reference of a plus-address of one of the support addresses: `support+tck-000123@example.com`
 * (MAIL_REPLY_TO plus the reference, see src/notify/derive.ts replyToOf).
 */
export function referenceInAddresses(
  recipients: readonly string[],
  supportAddresses: readonly string[],
): string | undefined {
  for (const r of recipients) {
    const m = /^([^+@]+)\+(tck-\d{1,12})@(.+)$/i.exec(r.trim());
    if (m && supportAddresses.includes(`${m[1]}@${m[3]}`.toLowerCase())) return m[2]!.toUpperCase();
  }
  return undefined;
}

/** Is this address one of the support addresses, or a plus-address of one? */
export function isSupportAddress(address: string, supportAddresses: readonly string[]): boolean {
  const a = address.trim().toLowerCase();
  return supportAddresses.includes(a.replace(/^([^+@]+)\+[^@]*@/, '$1@'));
}

/**
 * What Docket's own Message-IDs say: the thread root `<ticket.<uuid>@domain>` names the ticket, a
 * notification's `<tck-000123.<seq>.<hash>@domain>` its reference (src/notify/derive.ts). Only ids of
 * Docket's Message-ID domain count.
 */
export function docketThread(
  ids: readonly string[],
  messageIdDomain: string,
): { ticketIds: string[]; references: string[] } {
  const ticketIds: string[] = [];
  const references: string[] = [];
  const domain = messageIdDomain.toLowerCase();
  for (const raw of ids) {
    const id = raw.trim().replace(/^<|>$/g, '').toLowerCase();
    const at = id.lastIndexOf('@');
    if (at < 0 || id.slice(at + 1) !== domain) continue;
    const local = id.slice(0, at);
    const root = /^ticket\.([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/.exec(local);
    if (root) ticketIds.push(root[1]!);
    const note = /^(tck-\d{1,12})\.\d+\.[0-9a-f]+$/.exec(local);
    if (note) references.push(note[1]!.toUpperCase());
  }
  return { ticketIds, references };
}

/** `<id>` as a Message-ID is stored and compared: trimmed, in angle brackets. */
export function normaliseMessageId(id: string): string {
  const bare = id.trim().replace(/^<|>$/g, '');
  return `<${bare}>`;
}

/**
 * The new part of a reply: quoted history (`> …`, "On … wrote:", Outlook's "-----Original Message-----"
 * and "From: … Sent: …" blocks) and the signature (`-- `) removed, by the `email-reply-parser` library
 * (a port of GitHub's EmailReplyParser). The full text stays on the inbound_email row.
 */
export function stripReply(text: string): string {
  const normalised = text.replace(/\r\n?/g, '\n');
  // Outlook's underscore separator and header block, which the library does not know.
  const outlook = /^_{10,}\s*\n(?:From|De|Von|Da):/m.exec(normalised);
  const cut = outlook ? normalised.slice(0, outlook.index) : normalised;
  const visible = new EmailReplyParser().parseReply(cut).trim();
  return visible || normalised.trim();
}

/** A subject as a ticket's: one line, the reference and reply prefixes removed, at most `max` characters. */
export function ticketSubject(subject: string, max: number): string {
  const line = subject
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f]+/g, ' ')
    .replace(/\[TCK-\d{1,12}\]\s*/gi, '')
    .replace(/^(?:\s*(?:re|fw|fwd|aw|wg|sv|antw)\s*:\s*)+/i, '')
    .replace(/\s+/g, ' ')
    .trim();
  return (line || '(no subject)').slice(0, max);
}

/** At most `max` characters, cut at the end with a note. */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const note = '\n\n[… cut: the full message is kept with the email]';
  return text.slice(0, max - note.length) + note;
}
