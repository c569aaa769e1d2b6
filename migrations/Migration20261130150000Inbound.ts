import { Migration } from '@mikro-orm/migrations';

/**
 * Inbound email and attachments (issue 15): every message received is kept with its raw bytes and what
 * became of it (`inbound_email`, one row per Message-ID); organizations name the email domains whose
 * senders become their requesters on first sight; attachment contents are stored once per SHA-256
 * (`attachment_blob`) and referenced by the attachments of tickets and comments.
 */
export class Migration20261130150000Inbound extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "organization" add column "email_domains" text[] not null default '{}'`);
    this.addSql(
      `create index "organization_email_domains_idx" on "organization" using gin ("email_domains")`,
    );
    this.addSql(`create table "inbound_email" (
      "id" uuid not null primary key,
      "message_id" varchar(998) not null,
      "source" text not null,
      "from_address" varchar(320) null,
      "from_name" varchar(200) null,
      "recipients" text[] not null default '{}',
      "subject" varchar(998) not null default '',
      "status" text not null,
      "reason" text null,
      "detail" text null,
      "ticket_id" uuid null references "ticket" ("id") on delete set null,
      "comment_id" uuid null references "comment" ("id") on delete set null,
      "sender_id" uuid null references "app_user" ("id") on delete set null,
      "size" integer not null,
      "text_body" text null,
      "raw" bytea not null,
      "received_at" timestamptz(3) not null,
      constraint "inbound_email_message_id_unique" unique ("message_id"))`);
    this.addSql(`create index "inbound_email_received_idx" on "inbound_email" ("received_at" desc, "id")`);
    this.addSql(`create index "inbound_email_sender_idx" on "inbound_email" ("from_address", "received_at")`);
    this.addSql(`create index "inbound_email_ticket_idx" on "inbound_email" ("ticket_id")`);
    this.addSql(`create index "inbound_email_status_idx" on "inbound_email" ("status", "received_at" desc)`);
    this.addSql(`create table "attachment_blob" (
      "sha256" char(64) not null primary key,
      "size" integer not null,
      "content" bytea null,
      "created_at" timestamptz(3) not null)`);
    this.addSql(`create table "attachment" (
      "id" uuid not null primary key,
      "ticket_id" uuid not null references "ticket" ("id") on delete cascade,
      "comment_id" uuid null references "comment" ("id") on delete cascade,
      "sha256" char(64) not null references "attachment_blob" ("sha256"),
      "filename" varchar(255) not null,
      "content_type" varchar(255) not null,
      "size" integer not null,
      "internal" boolean not null default false,
      "content_id" varchar(255) null,
      "source" text not null,
      "uploaded_by_id" uuid null references "app_user" ("id") on delete set null,
      "uploaded_at" timestamptz(3) null,
      "created_at" timestamptz(3) not null)`);
    this.addSql(`create index "attachment_ticket_idx" on "attachment" ("ticket_id", "created_at")`);
    this.addSql(`create index "attachment_comment_idx" on "attachment" ("comment_id")`);
    this.addSql(`create index "attachment_sha256_idx" on "attachment" ("sha256")`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "attachment"`);
    this.addSql(`drop table if exists "attachment_blob"`);
    this.addSql(`drop table if exists "inbound_email"`);
    this.addSql(`drop index if exists "organization_email_domains_idx"`);
    this.addSql(`alter table "organization" drop column "email_domains"`);
  }
}
