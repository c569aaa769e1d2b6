import { Migration } from '@mikro-orm/migrations';

/**
 * Partner platforms and their API keys (stored as a SHA-256 of the secret, found by a visible prefix);
 * the partner a ticket belongs to; and, per event, the partner and key that made it (audit) among the
 * ticket's facts.
 */
export class Migration20261122050000Access extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "partner" ("id" uuid not null, "name" varchar(100) not null,
      "created_at" timestamptz not null, constraint "partner_pkey" primary key ("id"))`);
    this.addSql(`alter table "partner" add constraint "partner_name_unique" unique ("name")`);
    this
      .addSql(`create table "api_key" ("id" uuid not null, "partner_id" uuid not null references "partner" ("id") on delete cascade,
      "name" varchar(100) not null, "prefix" varchar(32) not null, "secret_hash" varchar(64) not null, "scopes" text[] not null,
      "created_by_id" uuid null references "app_user" ("id") on delete set null, "created_at" timestamptz not null,
      "expires_at" timestamptz null, "last_used_at" timestamptz null, "revoked_at" timestamptz null,
      "replaced_by_id" uuid null, constraint "api_key_pkey" primary key ("id"))`);
    this.addSql(`alter table "api_key" add constraint "api_key_prefix_unique" unique ("prefix")`);
    this.addSql(`create index "api_key_partner_id_index" on "api_key" ("partner_id")`);
    this.addSql(
      `alter table "ticket" add column "partner_id" uuid null references "partner" ("id") on delete set null`,
    );
    this.addSql(`create index "ticket_partner_id_index" on "ticket" ("partner_id")`);
    this.addSql(
      `alter table "ticket_event" add column "partner_id" uuid null, add column "api_key_id" uuid null`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "ticket_event" drop column "partner_id", drop column "api_key_id"`);
    this.addSql(`alter table "ticket" drop column "partner_id"`);
    this.addSql(`drop table if exists "api_key" cascade`);
    this.addSql(`drop table if exists "partner" cascade`);
  }
}
