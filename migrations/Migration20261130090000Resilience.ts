import { Migration } from '@mikro-orm/migrations';

/**
 * Idempotency keys learn whether their mutation committed: `inTransaction` sets `committed` in the
 * mutation's own transaction, so a claim left pending by a database outage or a dead process is never
 * taken over (and run again) once its change is in (docs/IDEMPOTENCY.md, "The gap").
 */
export class Migration20261130090000Resilience extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "idempotency_key" add column "committed" boolean not null default false`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "idempotency_key" drop column "committed"`);
  }
}
