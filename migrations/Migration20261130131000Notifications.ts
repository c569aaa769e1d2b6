import { Migration } from '@mikro-orm/migrations';

/**
 * Notifications (docs/NOTIFICATIONS.md): each message as rendered, written before it leaves (its
 * delivery state is its outbox_delivery row, same id); admins' templates; satisfaction surveys.
 */
export class Migration20261130131000Notifications extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "notification_message" (
      "id" uuid not null primary key references "outbox_delivery" ("id") on delete cascade,
      "ticket_id" uuid not null references "ticket" ("id") on delete cascade,
      "event_seq" bigint not null,
      "rule_index" integer not null,
      "template_key" varchar(64) not null,
      "recipient_user_id" uuid null references "app_user" ("id") on delete set null,
      "recipient_email" varchar(320) not null,
      "recipient_role" varchar(16) not null,
      "message_id" varchar(255) not null,
      "subject" text not null,
      "text_body" text not null,
      "html_body" text not null,
      "automatic" boolean not null,
      "created_at" timestamptz not null,
      constraint "notification_message_message_id_unique" unique ("message_id"),
      constraint "notification_message_once" unique ("event_seq", "recipient_email", "template_key"))`);
    this.addSql(
      `create index "notification_message_ticket_idx" on "notification_message" ("ticket_id", "created_at")`,
    );
    this.addSql(`create table "notification_template" (
      "id" uuid not null primary key,
      "workflow_id" uuid null references "workflow" ("id") on delete cascade,
      "key" varchar(64) not null,
      "subject" text not null,
      "text_body" text not null,
      "html_body" text not null,
      "updated_at" timestamptz not null,
      "updated_by" uuid null references "app_user" ("id") on delete set null)`);
    this.addSql(
      `create unique index "notification_template_key_idx" on "notification_template" (coalesce("workflow_id", '00000000-0000-0000-0000-000000000000'::uuid), "key")`,
    );
    this.addSql(`create table "satisfaction_survey" (
      "id" uuid not null primary key,
      "ticket_id" uuid not null references "ticket" ("id") on delete cascade,
      "requester_id" uuid not null references "app_user" ("id") on delete cascade,
      "scale" varchar(16) not null,
      "opened_at" timestamptz not null,
      "closes_at" timestamptz not null,
      "rating" smallint null,
      "good" boolean null,
      "comment" text null,
      "rated_at" timestamptz null,
      "rated_by" uuid null references "app_user" ("id") on delete set null)`);
    this.addSql(
      `create index "satisfaction_survey_ticket_idx" on "satisfaction_survey" ("ticket_id", "opened_at")`,
    );
    this.addSql(
      `create index "satisfaction_survey_rated_idx" on "satisfaction_survey" ("rated_at") where "rating" is not null`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "satisfaction_survey"`);
    this.addSql(`drop table if exists "notification_template"`);
    this.addSql(`drop table if exists "notification_message"`);
  }
}
