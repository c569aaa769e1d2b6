import { Migration } from '@mikro-orm/migrations';

/** The first schema: directory, workflows, tickets, comments, relations and the ordered event log. */
export class Migration20261122000000Initial extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create sequence "ticket_reference_seq";
-- TCK-000042; past a million the number simply grows (lpad would truncate it).
create function docket_next_reference() returns text language sql volatile as $$
  select 'TCK-' || case when n < 1000000 then lpad(n::text, 6, '0') else n::text end
  from (select nextval('ticket_reference_seq') as n) s
$$`);
    this.addSql(
      `create table "plan" ("id" uuid not null, "name" varchar(100) not null, "default_priority" text check ("default_priority" in ('LOW', 'MEDIUM', 'HIGH', 'CRITICAL')) not null default 'MEDIUM', constraint "plan_pkey" primary key ("id"))`,
    );
    this.addSql(`alter table "plan" add constraint "plan_name_unique" unique ("name")`);
    this.addSql(
      `create table "organization" ("id" uuid not null, "name" varchar(200) not null, "plan_id" uuid null, "workflow_key" varchar(64) null, constraint "organization_pkey" primary key ("id"))`,
    );
    this.addSql(`alter table "organization" add constraint "organization_name_unique" unique ("name")`);
    this.addSql(
      `create table "team" ("id" uuid not null, "key" varchar(64) not null, "name" varchar(200) not null, constraint "team_pkey" primary key ("id"))`,
    );
    this.addSql(`alter table "team" add constraint "team_key_unique" unique ("key")`);
    this.addSql(
      `create table "ticket_event" ("seq" bigint not null, "ticket_id" uuid not null, "type" varchar(64) not null, "actor_kind" varchar(16) not null, "actor_id" uuid null, "payload" jsonb not null, "internal" boolean not null default false, "occurred_at" timestamptz not null, constraint "ticket_event_pkey" primary key ("seq"))`,
    );
    this.addSql(`create index "ticket_event_ticket_id_seq_index" on "ticket_event" ("ticket_id", "seq")`);
    this.addSql(
      `create table "app_user" ("id" uuid not null, "email" varchar(320) not null, "name" varchar(200) not null, "role" text check ("role" in ('REQUESTER', 'AGENT', 'ADMIN')) not null default 'REQUESTER', "tier" smallint null, "available" boolean not null default true, "organization_id" uuid null, "created_at" timestamptz not null, constraint "app_user_pkey" primary key ("id"))`,
    );
    this.addSql(`alter table "app_user" add constraint "app_user_email_unique" unique ("email")`);
    this.addSql(
      `create table "team_member" ("user_id" uuid not null, "team_id" uuid not null, constraint "team_member_pkey" primary key ("user_id", "team_id"))`,
    );
    this.addSql(
      `create table "workflow" ("id" uuid not null, "key" varchar(64) not null, "name" varchar(200) not null, "description" text not null default '', "is_default" boolean not null default false, "current_version" int not null default 1, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "workflow_pkey" primary key ("id"))`,
    );
    this.addSql(`alter table "workflow" add constraint "workflow_key_unique" unique ("key")`);
    this.addSql(
      `create table "workflow_version" ("id" uuid not null, "workflow_id" uuid not null, "version" int not null, "definition" jsonb not null, "created_at" timestamptz not null, constraint "workflow_version_pkey" primary key ("id"))`,
    );
    this.addSql(
      `alter table "workflow_version" add constraint "workflow_version_workflow_id_version_unique" unique ("workflow_id", "version")`,
    );
    this.addSql(
      `create table "ticket" ("id" uuid not null, "reference" varchar(32) not null default docket_next_reference(), "subject" varchar(200) not null, "description" text not null, "channel" text check ("channel" in ('PORTAL', 'EMAIL', 'PHONE', 'CHAT', 'API', 'FORUM')) not null, "category" varchar(100) not null, "priority" text check ("priority" in ('LOW', 'MEDIUM', 'HIGH', 'CRITICAL')) not null, "priority_rank" smallint generated always as (case priority when 'CRITICAL' then 0 when 'HIGH' then 1 when 'MEDIUM' then 2 else 3 end) stored not null, "workflow_version_id" uuid not null, "status" varchar(64) not null, "status_category" varchar(32) not null, "tier" smallint not null default 1, "assignee_id" uuid null, "team_id" uuid null, "requester_id" uuid not null, "organization_id" uuid null, "tags" text[] not null, "first_responded_at" timestamptz null, "version" int not null default 1, "created_at" timestamptz(3) not null, "updated_at" timestamptz(3) not null, constraint "ticket_pkey" primary key ("id"))`,
    );
    this.addSql(`alter table "ticket" add constraint "ticket_reference_unique" unique ("reference")`);
    this.addSql(`create index "ticket_status_index" on "ticket" ("status")`);
    this.addSql(`create index "ticket_status_category_index" on "ticket" ("status_category")`);
    this.addSql(`create index "ticket_assignee_id_index" on "ticket" ("assignee_id")`);
    this.addSql(`create index "ticket_team_id_index" on "ticket" ("team_id")`);
    this.addSql(`create index "ticket_requester_id_index" on "ticket" ("requester_id")`);
    this.addSql(`create index "ticket_organization_id_index" on "ticket" ("organization_id")`);
    this.addSql(`create index "ticket_updated_idx" on "ticket" ("updated_at", "id")`);
    this.addSql(`create index "ticket_created_idx" on "ticket" ("created_at", "id")`);
    this.addSql(`create index "ticket_queue_idx" on "ticket" ("priority_rank", "created_at", "id")`);
    this.addSql(
      `create table "ticket_relation" ("id" uuid not null, "source_id" uuid not null, "ticket_id" uuid not null, "kind" text check ("kind" in ('FOLLOW_UP', 'REVISION')) not null, "created_at" timestamptz not null, constraint "ticket_relation_pkey" primary key ("id"))`,
    );
    this.addSql(`create index "ticket_relation_source_id_index" on "ticket_relation" ("source_id")`);
    this.addSql(`create index "ticket_relation_ticket_id_index" on "ticket_relation" ("ticket_id")`);
    this.addSql(
      `alter table "ticket_relation" add constraint "ticket_relation_source_id_ticket_id_unique" unique ("source_id", "ticket_id")`,
    );
    this.addSql(
      `create table "comment" ("id" uuid not null, "ticket_id" uuid not null, "author_id" uuid null, "author_kind" text check ("author_kind" in ('REQUESTER', 'AGENT', 'ADMIN', 'PARTNER', 'SYSTEM')) not null, "body" text not null, "internal" boolean not null default false, "created_at" timestamptz(3) not null, constraint "comment_pkey" primary key ("id"))`,
    );
    this.addSql(`create index "comment_ticket_id_created_at_index" on "comment" ("ticket_id", "created_at")`);
    this.addSql(
      `alter table "organization" add constraint "organization_plan_id_foreign" foreign key ("plan_id") references "plan" ("id") on update cascade on delete set null`,
    );
    this.addSql(
      `alter table "app_user" add constraint "app_user_organization_id_foreign" foreign key ("organization_id") references "organization" ("id") on update cascade on delete set null`,
    );
    this.addSql(
      `alter table "team_member" add constraint "team_member_user_id_foreign" foreign key ("user_id") references "app_user" ("id") on update cascade on delete cascade`,
    );
    this.addSql(
      `alter table "team_member" add constraint "team_member_team_id_foreign" foreign key ("team_id") references "team" ("id") on update cascade on delete cascade`,
    );
    this.addSql(
      `alter table "workflow_version" add constraint "workflow_version_workflow_id_foreign" foreign key ("workflow_id") references "workflow" ("id") on update cascade on delete cascade`,
    );
    this.addSql(
      `alter table "ticket" add constraint "ticket_workflow_version_id_foreign" foreign key ("workflow_version_id") references "workflow_version" ("id") on update cascade`,
    );
    this.addSql(
      `alter table "ticket" add constraint "ticket_assignee_id_foreign" foreign key ("assignee_id") references "app_user" ("id") on update cascade on delete set null`,
    );
    this.addSql(
      `alter table "ticket" add constraint "ticket_team_id_foreign" foreign key ("team_id") references "team" ("id") on update cascade on delete set null`,
    );
    this.addSql(
      `alter table "ticket" add constraint "ticket_requester_id_foreign" foreign key ("requester_id") references "app_user" ("id") on update cascade`,
    );
    this.addSql(
      `alter table "ticket" add constraint "ticket_organization_id_foreign" foreign key ("organization_id") references "organization" ("id") on update cascade on delete set null`,
    );
    this.addSql(
      `alter table "ticket_relation" add constraint "ticket_relation_source_id_foreign" foreign key ("source_id") references "ticket" ("id") on update cascade on delete cascade`,
    );
    this.addSql(
      `alter table "ticket_relation" add constraint "ticket_relation_ticket_id_foreign" foreign key ("ticket_id") references "ticket" ("id") on update cascade on delete cascade`,
    );
    this.addSql(
      `alter table "comment" add constraint "comment_ticket_id_foreign" foreign key ("ticket_id") references "ticket" ("id") on update cascade on delete cascade`,
    );
    this.addSql(
      `alter table "comment" add constraint "comment_author_id_foreign" foreign key ("author_id") references "app_user" ("id") on update cascade on delete set null`,
    );
    this.addSql(`-- The single row whose lock orders the event log (see src/events/event-log.ts).
create table "event_sequence" ("id" smallint primary key check ("id" = 1), "last_seq" bigint not null)`);
    this.addSql(`insert into "event_sequence" ("id", "last_seq") values (1, 0)`);
    this.addSql(
      `alter table "ticket_event" add constraint "ticket_event_ticket_id_foreign" foreign key ("ticket_id") references "ticket" ("id") on delete cascade`,
    );
    this.addSql(`create index "ticket_event_type_seq_index" on "ticket_event" ("type", "seq")`);
    this.addSql(`-- Full-text search over subject and description (language-neutral 'simple' configuration).
create index "ticket_search_index" on "ticket" using gin (to_tsvector('simple', "subject" || ' ' || "description"))`);
    this.addSql(`create index "ticket_tags_index" on "ticket" using gin ("tags")`);
  }

  override async down(): Promise<void> {
    for (const table of [
      'comment',
      'ticket_relation',
      'ticket_event',
      'event_sequence',
      'ticket',
      'workflow_version',
      'workflow',
      'team_member',
      'app_user',
      'team',
      'organization',
      'plan',
    ]) {
      this.addSql(`drop table if exists "${table}" cascade`);
    }
    this.addSql('drop function if exists docket_next_reference()');
    this.addSql('drop sequence if exists "ticket_reference_seq"');
  }
}
