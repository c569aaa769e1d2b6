import { Migration } from '@mikro-orm/migrations';

/**
 * The outbox's claim reads due rows without an ordering key by this index: with the due index alone it
 * walked every due row (keyed ones too) and dropped the keyed ones, so each claim cost grew with the
 * webhook backlog (docs/OUTBOX.md).
 */
export class Migration20261130160000OutboxUnkeyed extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create index "outbox_delivery_unkeyed_due_idx" on "outbox_delivery" ("queue", "next_attempt_at", "seq") where "ordering_key" is null and "status" in ('QUEUED', 'SENDING')`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop index if exists "outbox_delivery_unkeyed_due_idx"`);
  }
}
