import { Migration } from '@mikro-orm/migrations';

/**
 * Partner webhooks (docs/WEBHOOKS.md): endpoints with a durable cursor on the event log each, their
 * signing secrets (several while a rotation overlaps), and the partners involved in a ticket they did
 * not open (seed 001), kept on the ticket and, as a fact, on each event.
 */
export class Migration20261130150000Webhooks extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "webhook_endpoint" (
      "id" uuid not null primary key,
      "partner_id" uuid not null references "partner" ("id") on delete cascade,
      "url" varchar(2000) not null,
      "description" varchar(500) not null default '',
      "filter" jsonb not null default '{}',
      "enabled" boolean not null default true,
      "disabled_at" timestamptz null,
      "disabled_reason" text null,
      "position" bigint not null,
      "failing_since" timestamptz null,
      "created_at" timestamptz not null,
      "updated_at" timestamptz not null)`);
    this.addSql(`create index "webhook_endpoint_partner_idx" on "webhook_endpoint" ("partner_id")`);
    this.addSql(`create table "webhook_secret" (
      "id" uuid not null primary key,
      "endpoint_id" uuid not null references "webhook_endpoint" ("id") on delete cascade,
      "secret" varchar(200) not null,
      "created_at" timestamptz not null,
      "expires_at" timestamptz null)`);
    this.addSql(`create index "webhook_secret_endpoint_idx" on "webhook_secret" ("endpoint_id")`);
    // Deliveries of one endpoint, newest first (the delivery log).
    this.addSql(
      `create index "outbox_delivery_key_idx" on "outbox_delivery" ("queue", "ordering_key", "seq" desc)`,
    );
    this.addSql(`alter table "ticket" add column "involved_partner_ids" uuid[] not null default '{}'`);
    this.addSql(`alter table "ticket_event" add column "involved_partner_ids" uuid[] null`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "ticket_event" drop column "involved_partner_ids"`);
    this.addSql(`alter table "ticket" drop column "involved_partner_ids"`);
    this.addSql(`drop index if exists "outbox_delivery_key_idx"`);
    this.addSql(`drop table if exists "webhook_secret"`);
    this.addSql(`drop table if exists "webhook_endpoint"`);
  }
}
