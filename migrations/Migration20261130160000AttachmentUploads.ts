import { Migration } from '@mikro-orm/migrations';

/**
 * Attachments uploaded through a signed upload link wait, `pending`, until a comment takes them
 * (addComment's attachmentIds); pending ones are shown nowhere.
 */
export class Migration20261130160000AttachmentUploads extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "attachment" add column "pending" boolean not null default false`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "attachment" drop column "pending"`);
  }
}
