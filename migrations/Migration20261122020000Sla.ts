import { Migration } from '@mikro-orm/migrations';

/** SLA: business calendars and policies (versioned), and each ticket's SLA state with absolute instants. */
export class Migration20261122020000Sla extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "ticket" add column "resolved_at" timestamptz null`);
    this.addSql(`create index "ticket_resolved_at_index" on "ticket" ("resolved_at")`);
    this.addSql(
      `create table "business_calendar" ("id" uuid not null, "key" varchar(64) not null, "name" varchar(200) not null, "current_version" int not null default 1, "created_at" timestamptz not null, constraint "business_calendar_pkey" primary key ("id"))`,
    );
    this.addSql(
      `alter table "business_calendar" add constraint "business_calendar_key_unique" unique ("key")`,
    );
    this.addSql(
      `create table "business_calendar_version" ("id" uuid not null, "calendar_id" uuid not null, "version" int not null, "definition" jsonb not null, "created_at" timestamptz not null, constraint "business_calendar_version_pkey" primary key ("id"))`,
    );
    this.addSql(
      `alter table "business_calendar_version" add constraint "business_calendar_version_calendar_id_version_unique" unique ("calendar_id", "version")`,
    );
    this.addSql(
      `create table "sla_policy" ("id" uuid not null, "key" varchar(64) not null, "name" varchar(200) not null, "position" int not null default 0, "active" boolean not null default true, "current_version" int not null default 1, "created_at" timestamptz not null, constraint "sla_policy_pkey" primary key ("id"))`,
    );
    this.addSql(`alter table "sla_policy" add constraint "sla_policy_key_unique" unique ("key")`);
    this.addSql(
      `create table "sla_policy_version" ("id" uuid not null, "policy_id" uuid not null, "version" int not null, "definition" jsonb not null, "created_at" timestamptz not null, constraint "sla_policy_version_pkey" primary key ("id"))`,
    );
    this.addSql(
      `alter table "sla_policy_version" add constraint "sla_policy_version_policy_id_version_unique" unique ("policy_id", "version")`,
    );
    this.addSql(
      `create table "ticket_sla" ("ticket_id" uuid not null, "policy_version_id" uuid not null, "calendar_version_id" uuid not null, "assigned_at" timestamptz not null, constraint "ticket_sla_pkey" primary key ("ticket_id"))`,
    );
    this.addSql(
      `create table "ticket_sla_target" ("id" uuid not null, "ticket_id" uuid not null, "kind" varchar(32) not null, "state" varchar(16) not null, "clock" varchar(16) not null, "target_ms" bigint not null, "outside_hours" boolean not null default false, "cycle" int not null default 0, "started_at" timestamptz null, "due_at" timestamptz null, "elapsed_ms" bigint not null default 0, "remaining_ms" bigint not null default 0, "paused_ms" bigint not null default 0, "achieved_at" timestamptz null, "breached_at" timestamptz null, "next_warning_at" timestamptz null, "breaches" int not null default 0, "computed_at" timestamptz not null, constraint "ticket_sla_target_pkey" primary key ("id"))`,
    );
    this.addSql(`create index "ticket_sla_target_warning_idx" on "ticket_sla_target" ("next_warning_at")`);
    this.addSql(`create index "ticket_sla_target_due_idx" on "ticket_sla_target" ("due_at")`);
    this.addSql(
      `alter table "ticket_sla_target" add constraint "ticket_sla_target_ticket_id_kind_unique" unique ("ticket_id", "kind")`,
    );
    this.addSql(
      `alter table "business_calendar_version" add constraint "business_calendar_version_calendar_id_foreign" foreign key ("calendar_id") references "business_calendar" ("id") on update cascade on delete cascade`,
    );
    this.addSql(
      `alter table "sla_policy_version" add constraint "sla_policy_version_policy_id_foreign" foreign key ("policy_id") references "sla_policy" ("id") on update cascade on delete cascade`,
    );
    this.addSql(
      `alter table "ticket_sla" add constraint "ticket_sla_policy_version_id_foreign" foreign key ("policy_version_id") references "sla_policy_version" ("id") on update cascade`,
    );
    this.addSql(
      `alter table "ticket_sla" add constraint "ticket_sla_calendar_version_id_foreign" foreign key ("calendar_version_id") references "business_calendar_version" ("id") on update cascade`,
    );
    this.addSql(
      `alter table "ticket_sla" add constraint "ticket_sla_ticket_id_foreign" foreign key ("ticket_id") references "ticket" ("id") on delete cascade`,
    );
    this.addSql(
      `alter table "ticket_sla_target" add constraint "ticket_sla_target_ticket_id_foreign" foreign key ("ticket_id") references "ticket" ("id") on delete cascade`,
    );
    this.addSql(`-- metrics and "at risk" scan targets by state and kind
create index "ticket_sla_target_state_kind_idx" on "ticket_sla_target" ("state", "kind")`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index if exists "ticket_resolved_at_index"`);
    this.addSql(`alter table "ticket" drop column if exists "resolved_at"`);
    for (const table of [
      'ticket_sla_target',
      'ticket_sla',
      'sla_policy_version',
      'sla_policy',
      'business_calendar_version',
      'business_calendar',
    ]) {
      this.addSql(`drop table if exists "${table}" cascade`);
    }
  }
}
