import { Migration } from '@mikro-orm/migrations';

/**
 * The consumers of the event log (docs/OUTBOX.md): a durable cursor per consumer, and one delivery
 * queue shared by every kind of outbound delivery (notification mail now, webhooks next), with every
 * attempt kept.
 */
export class Migration20261130130000Outbox extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "event_consumer" (
      "name" varchar(100) not null primary key,
      "position" bigint not null,
      "updated_at" timestamptz not null default now())`);
    this.addSql(`create table "outbox_delivery" (
      "id" uuid not null primary key,
      "seq" bigint generated always as identity,
      "queue" varchar(32) not null,
      "ordering_key" varchar(200) null,
      "ticket_id" uuid null references "ticket" ("id") on delete cascade,
      "event_seq" bigint null,
      "status" varchar(16) not null default 'QUEUED',
      "attempts" integer not null default 0,
      "max_attempts" integer not null,
      "next_attempt_at" timestamptz not null,
      "lease_owner" varchar(200) null,
      "last_error" text null,
      "last_response" text null,
      "created_at" timestamptz not null,
      "updated_at" timestamptz not null,
      "sent_at" timestamptz null,
      constraint "outbox_delivery_status_check" check ("status" in ('QUEUED', 'SENDING', 'SENT', 'FAILED')))`);
    // What is due: QUEUED rows at their next attempt, SENDING rows whose lease (next_attempt_at) ran out.
    this.addSql(
      `create index "outbox_delivery_due_idx" on "outbox_delivery" ("queue", "next_attempt_at") where "status" in ('QUEUED', 'SENDING')`,
    );
    this.addSql(
      `create index "outbox_delivery_order_idx" on "outbox_delivery" ("queue", "ordering_key", "seq") where "ordering_key" is not null and "status" in ('QUEUED', 'SENDING')`,
    );
    this.addSql(`create index "outbox_delivery_ticket_idx" on "outbox_delivery" ("ticket_id", "seq")`);
    this.addSql(
      `create index "outbox_delivery_state_idx" on "outbox_delivery" ("queue", "status", "updated_at")`,
    );
    this.addSql(`create table "outbox_attempt" (
      "delivery_id" uuid not null references "outbox_delivery" ("id") on delete cascade,
      "attempt" integer not null,
      "worker" varchar(200) not null,
      "started_at" timestamptz not null,
      "finished_at" timestamptz null,
      "outcome" varchar(16) null,
      "response" text null,
      "error" text null,
      constraint "outbox_attempt_pkey" primary key ("delivery_id", "attempt"))`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "outbox_attempt"`);
    this.addSql(`drop table if exists "outbox_delivery"`);
    this.addSql(`drop table if exists "event_consumer"`);
  }
}
