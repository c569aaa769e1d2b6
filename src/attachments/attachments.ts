import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { fileTypeFromBuffer } from 'file-type';
import type { AttachmentsConfig } from '../config.js';
import { InvalidInputError } from '../shared/errors.js';
import type { AttachmentStore } from './store.js';

/** Where an attachment came from. */
export type AttachmentSource = 'EMAIL' | 'UPLOAD';

/** One file to attach. */
export interface NewFile {
  filename: string;
  content: Buffer;
  /** What the sender said it is; the stored type is sniffed from the bytes. */
  declaredType?: string;
  /** An inline image's Content-ID (without angle brackets). */
  contentId?: string;
}

/** An attachment as stored (`attachment` row). */
export interface AttachmentRow {
  id: string;
  ticketId: string;
  commentId?: string;
  sha256: string;
  filename: string;
  contentType: string;
  size: number;
  internal: boolean;
  contentId?: string;
  source: AttachmentSource;
  createdAt: Date;
}

/** Types a browser would run or render as a page: always served as a download of `application/octet-stream`. */
const ACTIVE =
  /^(?:text\/html|application\/xhtml|image\/svg|text\/xml|application\/xml|application\/javascript|text\/javascript)/i;
/** Declared types kept when the bytes carry no signature (plain text has none). */
const PLAIN = /^(?:text\/(?:plain|csv|calendar|markdown)|application\/json|message\/rfc822)$/i;

/**
 * The content type of `content`: from its bytes (the `file-type` library's signatures) when it has
 * one, else the declared type when that is a plain-text kind, else `application/octet-stream`. An
 * active type (HTML, SVG, script) is never kept: it would run in the download's origin.
 */
export async function sniffContentType(content: Buffer, declared?: string): Promise<string> {
  const found = await fileTypeFromBuffer(content);
  const type =
    found?.mime ?? (declared && PLAIN.test(declared.trim()) ? declared.trim().toLowerCase() : undefined);
  if (!type || ACTIVE.test(type)) return 'application/octet-stream';
  return type;
}

/** A file name safe for a header and a file system: no path, no control characters, at most 255 characters. */
export function safeFilename(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? '';
  // eslint-disable-next-line no-control-regex
  const clean = base.replace(/[\u0000-\u001f\u007f"]+/g, '').trim();
  return (clean || 'attachment').slice(0, 255);
}

export const sha256Of = (content: Buffer): string => createHash('sha256').update(content).digest('hex');

/** Bytes of attachments a ticket holds now. */
export async function ticketAttachmentBytes(em: EntityManager, ticketId: string): Promise<number> {
  const [row] = await em.execute<{ total: string }[]>(
    `select coalesce(sum(size), 0) as total from attachment where ticket_id = ?`,
    [ticketId],
  );
  return Number(row?.total ?? 0);
}

/**
 * Adds files to a ticket (and a comment), in the caller's transaction: each content stored once per
 * SHA-256 (a second copy, on any ticket, refers to the first), its type sniffed, its size checked
 * against the per-file and per-ticket limits. `partial`: files over a limit are skipped and named
 * (mail: the message is still taken); otherwise the first one over a limit refuses all
 * (INVALID_INPUT naming it).
 */
export async function addAttachments(
  em: EntityManager,
  store: AttachmentStore,
  config: AttachmentsConfig,
  target: {
    ticketId: string;
    commentId?: string;
    internal: boolean;
    source: AttachmentSource;
    uploadedById?: string;
    /** An upload waiting for its comment (src/attachments/uploads.ts). */
    pending?: boolean;
  },
  files: NewFile[],
  now: Date,
  opts: { partial?: boolean } = {},
): Promise<{ saved: AttachmentRow[]; skipped: { filename: string; why: string }[] }> {
  const saved: AttachmentRow[] = [];
  const skipped: { filename: string; why: string }[] = [];
  let total = files.length ? await ticketAttachmentBytes(em, target.ticketId) : 0;
  for (const [i, file] of files.entries()) {
    const filename = safeFilename(file.filename);
    const why =
      file.content.length > config.maxFileBytes
        ? `is larger than ${config.maxFileBytes} bytes`
        : total + file.content.length > config.maxTicketBytes
          ? `would take the ticket's attachments over ${config.maxTicketBytes} bytes`
          : undefined;
    if (why) {
      if (!opts.partial) throw InvalidInputError.field(`files[${i}]`, `${filename} ${why}`);
      skipped.push({ filename, why });
      continue;
    }
    const sha256 = sha256Of(file.content);
    await store.put(em, sha256, file.content, now);
    const row: AttachmentRow = {
      id: randomUUID(),
      ticketId: target.ticketId,
      commentId: target.commentId,
      sha256,
      filename,
      contentType: await sniffContentType(file.content, file.declaredType),
      size: file.content.length,
      internal: target.internal,
      contentId: file.contentId?.slice(0, 255),
      source: target.source,
      createdAt: now,
    };
    await em.execute(
      `insert into attachment (id, ticket_id, comment_id, sha256, filename, content_type, size, internal, content_id,
         source, uploaded_by_id, created_at, pending, uploaded_at)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        row.id,
        row.ticketId,
        row.commentId ?? null,
        row.sha256,
        row.filename,
        row.contentType,
        row.size,
        row.internal,
        row.contentId ?? null,
        row.source,
        target.uploadedById ?? null,
        now,
        target.pending ?? false,
        target.source === 'UPLOAD' ? now : null,
      ],
    );
    total += row.size;
    saved.push(row);
  }
  return { saved, skipped };
}

const ROW = `id, ticket_id, comment_id, sha256, filename, content_type, size, internal, content_id, source, created_at`;
const toRow = (r: Record<string, unknown>): AttachmentRow => ({
  id: r.id as string,
  ticketId: r.ticket_id as string,
  commentId: (r.comment_id as string | null) ?? undefined,
  sha256: r.sha256 as string,
  filename: r.filename as string,
  contentType: r.content_type as string,
  size: Number(r.size),
  internal: r.internal as boolean,
  contentId: (r.content_id as string | null) ?? undefined,
  source: r.source as AttachmentSource,
  createdAt: new Date(r.created_at as string),
});

/**
 * The attachments of these tickets or comments, oldest first (internal ones included: the caller
 * filters by the viewer). Uploads not yet added to a comment are left out.
 */
export async function attachmentsWhere(
  em: EntityManager,
  column: 'ticket_id' | 'comment_id',
  ids: readonly string[],
): Promise<AttachmentRow[]> {
  if (!ids.length) return [];
  const rows = await em.execute<Record<string, unknown>[]>(
    `select ${ROW} from attachment where ${column} = any(?::uuid[])
        and not pending
      order by created_at, id`,
    [`{${ids.join(',')}}`],
  );
  return rows.map(toRow);
}

/** One attachment by id. */
export async function attachmentById(em: EntityManager, id: string): Promise<AttachmentRow | undefined> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
  const [row] = await em.execute<Record<string, unknown>[]>(`select ${ROW} from attachment where id = ?`, [
    id,
  ]);
  return row ? toRow(row) : undefined;
}

// Signed links: `<publicUrl>/attachments/<id>?expires=<unix seconds>&sig=<HMAC-SHA256 hex>`.

const sign = (secret: string, what: string) => createHmac('sha256', secret).update(what).digest('hex');

/**
 * A short-lived download link of an attachment. Issued only to someone who may see it (the GraphQL
 * field checks the ticket's visibility and hides internal attachments from customers); the link itself
 * is the capability until it expires (ATTACHMENT_LINK_TTL_SECONDS).
 */
export function downloadLink(
  config: AttachmentsConfig,
  publicUrl: string,
  id: string,
  now: Date,
): { url: string; expiresAt: Date } {
  const expires = Math.floor(now.getTime() / 1000) + config.linkTtlSeconds;
  return {
    url: `${publicUrl}/attachments/${id}?expires=${expires}&sig=${sign(config.linkSecret, `download:${id}:${expires}`)}`,
    expiresAt: new Date(expires * 1000),
  };
}

/** Whether a download link's signature holds and it has not expired. */
export function verifyDownload(
  config: AttachmentsConfig,
  id: string,
  expires: string | undefined,
  sig: string | undefined,
  now: Date,
): boolean {
  if (!expires || !sig || !/^\d{1,12}$/.test(expires) || !/^[0-9a-f]{64}$/.test(sig)) return false;
  if (Number(expires) * 1000 < now.getTime()) return false;
  const want = Buffer.from(sign(config.linkSecret, `download:${id}:${expires}`), 'hex');
  return timingSafeEqual(want, Buffer.from(sig, 'hex'));
}
