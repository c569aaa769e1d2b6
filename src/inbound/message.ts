import { createHash } from 'node:crypto';
import { convert } from 'html-to-text';
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import { normaliseMessageId } from './rules.js';

/** One attachment of a received message, decoded. */
export interface InboundAttachment {
  filename: string;
  /** As the message declared it; the stored type is sniffed from the bytes (src/attachments). */
  contentType: string;
  content: Buffer;
  /** `Content-ID` without angle brackets: an inline image the HTML refers to as `cid:…`. */
  contentId?: string;
  inline: boolean;
}

/** A received message as Docket reads it: addresses lower-cased, text decoded to UTF-8. */
export interface InboundMessage {
  /** `<…>`; when the message has none, one derived from its bytes (`<sha256.…@inbound.docket>`). */
  messageId: string;
  from?: { address: string; name?: string };
  to: string[];
  cc: string[];
  subject: string;
  /** The text body; for an HTML-only message, its HTML converted to plain text (no markup survives). */
  text: string;
  html?: string;
  inReplyTo: string[];
  references: string[];
  /** Lower-cased header names, values as text (the loop rules read them). */
  headers: Map<string, string>;
  contentType?: string;
  attachments: InboundAttachment[];
  size: number;
}

const addressesOf = (a: AddressObject | AddressObject[] | undefined): { address: string; name?: string }[] =>
  (Array.isArray(a) ? a : a ? [a] : [])
    .flatMap((o) => o.value)
    .flatMap((v) => (v.group ? v.group : [v]))
    .filter((v) => v.address)
    .map((v) => ({ address: v.address!.trim().toLowerCase(), name: v.name?.trim() || undefined }));

const idsOf = (v: string | string[] | undefined): string[] =>
  (Array.isArray(v) ? v : v ? v.split(/\s+/) : []).filter((s) => s.includes('@')).map(normaliseMessageId);

/**
 * HTML to safe plain text: html-to-text renders the document as text (links as `text [url]`, images
 * dropped), so no markup or script of the sender reaches a comment.
 */
export function htmlToText(html: string): string {
  return convert(html, {
    wordwrap: false,
    selectors: [
      { selector: 'img', format: 'skip' },
      { selector: 'a', options: { hideLinkHrefIfSameAsText: true } },
      { selector: 'style', format: 'skip' },
      { selector: 'script', format: 'skip' },
    ],
  }).trim();
}

/**
 * Parses a raw RFC 5322 message with mailparser: MIME structure, transfer encodings (quoted-printable,
 * base64) and charsets (ISO-8859-x, Windows-125x, …) decoded. Throws on a message that is not mail.
 */
export async function parseMessage(raw: Buffer): Promise<InboundMessage> {
  const parsed: ParsedMail = await simpleParser(raw, {
    skipHtmlToText: true,
    skipTextToHtml: true,
    skipTextLinks: true,
    skipImageLinks: true,
  });
  const headers = new Map<string, string>();
  for (const line of parsed.headerLines) {
    const name = line.key.toLowerCase();
    const value = line.line.slice(line.line.indexOf(':') + 1).trim();
    headers.set(name, headers.has(name) ? `${headers.get(name)}, ${value}` : value);
  }
  const html = typeof parsed.html === 'string' ? parsed.html : undefined;
  const text = parsed.text?.trim() ? parsed.text : html ? htmlToText(html) : '';
  const from = addressesOf(parsed.from)[0];
  const contentType = parsed.headers.get('content-type') as {
    value?: string;
    params?: Record<string, string>;
  };
  return {
    messageId: parsed.messageId
      ? normaliseMessageId(parsed.messageId)
      : `<sha256.${createHash('sha256').update(raw).digest('hex')}@inbound.docket>`,
    from,
    to: addressesOf(parsed.to).map((a) => a.address),
    cc: addressesOf(parsed.cc).map((a) => a.address),
    subject: parsed.subject ?? '',
    text: text.replace(/\r\n?/g, '\n'),
    html,
    inReplyTo: idsOf(parsed.inReplyTo),
    references: idsOf(parsed.references),
    headers,
    contentType: contentType?.value
      ? `${contentType.value}${contentType.params?.['report-type'] ? `; report-type=${contentType.params['report-type']}` : ''}`
      : undefined,
    attachments: parsed.attachments.map((a, i) => ({
      filename: a.filename?.trim() || `attachment-${i + 1}`,
      contentType: a.contentType || 'application/octet-stream',
      content: a.content,
      contentId: a.contentId?.replace(/^<|>$/g, '') || a.cid || undefined,
      inline: a.contentDisposition === 'inline' || Boolean(a.related),
    })),
    size: raw.length,
  };
}
