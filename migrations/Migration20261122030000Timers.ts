import { Migration } from '@mikro-orm/migrations';

/** Workflow timers per ticket, and the SLA warning already recorded per target. */
export class Migration20261122030000Timers extends Migration {
  override async up(): Promise<void> {
    this
      .addSql(`create table "ticket_timer" ("id" uuid not null, "ticket_id" uuid not null references "ticket" ("id") on delete cascade,
      "timer_index" int not null, "status" varchar(64) not null, "entered_at" timestamptz(3) not null, "fire_at" timestamptz(3) null,
      "fired_count" int not null default 0, constraint "ticket_timer_pkey" primary key ("id"))`);
    this.addSql(
      `alter table "ticket_timer" add constraint "ticket_timer_ticket_id_timer_index_unique" unique ("ticket_id", "timer_index")`,
    );
    this.addSql(`create index "ticket_timer_fire_idx" on "ticket_timer" ("fire_at")`);
    this.addSql(`alter table "ticket_sla_target" add column "warned_percent" int not null default 0`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "ticket_sla_target" drop column "warned_percent"`);
    this.addSql(`drop table if exists "ticket_timer" cascade`);
  }
}
