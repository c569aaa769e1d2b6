import { Migration } from '@mikro-orm/migrations';

/**
 * Idempotency keys (docs/IDEMPOTENCY.md): per caller and key, the hash of the request that claimed it,
 * whether it is still running ('pending', with the claim token of the request running it) or 'done'
 * (with the response it answered), and when the key expires. The response is `json`, not `jsonb`, so a
 * replay keeps the field order of the original answer. No entity maps this table: only
 * src/server/idempotency.ts reads and writes it, in SQL.
 */
export class Migration20261122060000Idempotency extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "idempotency_key" ("principal" varchar(100) not null,
      "key" varchar(255) not null, "request_hash" varchar(64) not null, "state" varchar(8) not null check ("state" in ('pending', 'done')),
      "claim" uuid not null, "response_status" smallint null, "response" json null,
      "created_at" timestamptz not null, "expires_at" timestamptz not null,
      constraint "idempotency_key_pkey" primary key ("principal", "key"))`);
    this.addSql(`create index "idempotency_key_expires_at_index" on "idempotency_key" ("expires_at")`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "idempotency_key"`);
  }
}
