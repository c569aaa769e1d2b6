import { Migration } from '@mikro-orm/migrations';

/**
 * The scheduler's promoter mark (docs/SCHEDULER.md, "Horizon"): the instant up to which deadlines
 * have been given jobs in the job store. One row, shared by every worker.
 */
export class Migration20261130140000SchedulerHorizon extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "scheduler_state" ("id" int primary key check ("id" = 1), "promoted_until" timestamptz(3) not null)`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "scheduler_state"`);
  }
}
