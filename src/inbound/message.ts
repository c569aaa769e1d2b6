import { createHash } from 'node:crypto';
import { convert } from 'html-to-text';
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import { storableText } from '../server/input-guard.js';
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

/** An attachment's `Content-ID` without angle brackets, made storable, if it has one. */
const cidOf = (a: { contentId?: string; cid?: string }): string | undefined => {
  const cid = a.contentId?.replace(/^<|>$/g, '') || a.cid;
  return cid ? storableText(cid) : undefined;
};

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
  // Every text a mail brings is made storable here, once (a NUL decoded from base64 or an encoded
  // word would otherwise reach PostgreSQL, which refuses it in text and JSON).
  const t = storableText;
  const headers = new Map<string, string>();
  for (const line of parsed.headerLines) {
    const name = t(line.key.toLowerCase());
    const value = t(line.line.slice(line.line.indexOf(':') + 1).trim());
    headers.set(name, headers.has(name) ? `${headers.get(name)}, ${value}` : value);
  }
  const html = typeof parsed.html === 'string' ? t(parsed.html) : undefined;
  const text = parsed.text?.trim() ? t(parsed.text) : html ? htmlToText(html) : '';
  const found = addressesOf(parsed.from)[0];
  const from = found && { address: t(found.address), name: found.name && t(found.name) };
  const contentType = parsed.headers.get('content-type') as {
    value?: string;
    params?: Record<string, string>;
  };
  return {
    messageId: parsed.messageId
      ? normaliseMessageId(t(parsed.messageId))
      : `<sha256.${createHash('sha256').update(raw).digest('hex')}@inbound.docket>`,
    from,
    to: addressesOf(parsed.to).map((a) => t(a.address)),
    cc: addressesOf(parsed.cc).map((a) => t(a.address)),
    subject: t(parsed.subject ?? ''),
    text: text.replace(/\r\n?/g, '\n'),
    html,
    inReplyTo: idsOf(parsed.inReplyTo).map(t),
    references: idsOf(parsed.references).map(t),
    headers,
    contentType: contentType?.value
      ? `${contentType.value}${contentType.params?.['report-type'] ? `; report-type=${contentType.params['report-type']}` : ''}`
      : undefined,
    attachments: parsed.attachments.map((a, i) => ({
      filename: t(a.filename?.trim() || `attachment-${i + 1}`),
      contentType: t(a.contentType || 'application/octet-stream'),
      content: a.content,
      contentId: cidOf(a),
      inline: a.contentDisposition === 'inline' || Boolean(a.related),
    })),
    size: raw.length,
  };
}
