import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * Where attachment contents live, by SHA-256: each distinct content is stored once however many
 * attachments refer to it. PostgreSQL (`attachment_blob.content`) is the default; an S3-compatible
 * store implements the same two calls (the blob row then keeps the size and no content).
 */
export interface AttachmentStore {
  readonly name: string;
  /** Stores the content under its hash, in the caller's transaction when the store is the database. */
  put(em: EntityManager, sha256: string, content: Buffer, now: Date): Promise<void>;
  /** The content, or undefined when it is gone. */
  get(em: EntityManager, sha256: string): Promise<Buffer | undefined>;
}

/** Contents as `bytea` rows of `attachment_blob`, written in the transaction that adds the attachment. */
export class PgAttachmentStore implements AttachmentStore {
  readonly name = 'postgresql';

  async put(em: EntityManager, sha256: string, content: Buffer, now: Date): Promise<void> {
    await em.execute(
      `insert into attachment_blob (sha256, size, content, created_at) values (?, ?, ?, ?)
       on conflict (sha256) do nothing`,
      [sha256, content.length, content, now],
    );
  }

  async get(em: EntityManager, sha256: string): Promise<Buffer | undefined> {
    const [row] = await em.execute<{ content: Buffer | null }[]>(
      `select content from attachment_blob where sha256 = ?`,
      [sha256],
    );
    return row?.content ?? undefined;
  }
}
