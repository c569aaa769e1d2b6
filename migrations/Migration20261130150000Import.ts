import { Migration } from '@mikro-orm/migrations';

/**
 * Importing history (issue 16): a ticket imported from another help desk keeps its external id (unique
 * per importer: staff share one namespace, each partner has its own) and a digest of what was imported,
 * so the same history imported twice is recognised; every event an import writes is marked `imported`
 * (in the log and replays, never pushed live or notified).
 */
export class Migration20261130150000Import extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "ticket" add column "external_id" varchar(200) null`);
    this.addSql(`alter table "ticket" add column "import_digest" varchar(64) null`);
    this.addSql(
      `create unique index "ticket_external_id_staff_idx" on "ticket" ("external_id") where "external_id" is not null and "partner_id" is null`,
    );
    this.addSql(
      `create unique index "ticket_external_id_partner_idx" on "ticket" ("partner_id", "external_id") where "external_id" is not null and "partner_id" is not null`,
    );
    this.addSql(`alter table "ticket_event" add column "imported" boolean not null default false`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "ticket_event" drop column "imported"`);
    this.addSql(`drop index if exists "ticket_external_id_partner_idx"`);
    this.addSql(`drop index if exists "ticket_external_id_staff_idx"`);
    this.addSql(`alter table "ticket" drop column "import_digest"`);
    this.addSql(`alter table "ticket" drop column "external_id"`);
  }
}
