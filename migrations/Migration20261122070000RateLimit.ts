import { Migration } from '@mikro-orm/migrations';

/**
 * Rate-limit counters shared by every server process (rate-limiter-flexible's PostgreSQL store). Unlogged:
 * counters need no crash safety, and skipping the WAL keeps the per-request upsert off the disk.
 */
export class Migration20261122070000RateLimit extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create unlogged table "rate_limit" ("key" varchar(255) not null, "points" integer not null default 0, "expire" bigint null, constraint "rate_limit_pkey" primary key ("key"))`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "rate_limit"`);
  }
}
