import { Migration } from '@mikro-orm/migrations';

/**
 * Revocation reaches connections that are already open (issue 12 item 3). A change to a credential
 * (an API key revoked, rotated or given an expiry; a user deactivated, deleted or given another role)
 * is recorded by a trigger, whatever made it (GraphQL, the CLI, SQL), as a row of `credential_change`
 * numbered from the event log's own sequence in the same transaction, and announced on the event
 * log's channel: every server process's event feed reads it in sequence order with the events, so
 * it closes the credential's WebSocket connections before it offers any event that committed after
 * the change (docs/REALTIME.md). `app_user.deactivated_at` is new: a deactivated user is refused.
 */
export class Migration20261130160000CredentialChanges extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "app_user" add column "deactivated_at" timestamptz null`);
    this.addSql(
      `create table "credential_change" ("seq" bigint not null, "api_key_id" uuid null, "user_id" uuid null,
        "kind" text check ("kind" in ('REVOKED', 'EXPIRES', 'DEACTIVATED', 'ROLE_CHANGED')) not null,
        "effective_at" timestamptz not null, "occurred_at" timestamptz not null default now(),
        constraint "credential_change_pkey" primary key ("seq"))`,
    );
    this
      .addSql(`create or replace function docket_credential_change(key_id uuid, person uuid, what text, effective timestamptz)
      returns void language plpgsql as $$
      declare position bigint;
      begin
        update event_sequence set last_seq = last_seq + 1 where id = 1 returning last_seq into position;
        insert into credential_change (seq, api_key_id, user_id, kind, effective_at) values (position, key_id, person, what, effective);
        perform pg_notify('docket_events', position::text);
      end $$`);
    this.addSql(`create or replace function docket_api_key_changed() returns trigger language plpgsql as $$
      begin
        if new.revoked_at is not null and new.revoked_at is distinct from old.revoked_at then
          -- Revoked now (or rotated without grace): refused at once. Rotated with grace: it expires then.
          perform docket_credential_change(new.id, null,
            case when new.revoked_at <= clock_timestamp() then 'REVOKED' else 'EXPIRES' end, greatest(new.revoked_at, clock_timestamp()));
        elsif new.expires_at is not null and new.expires_at is distinct from old.expires_at then
          perform docket_credential_change(new.id, null, 'EXPIRES', greatest(new.expires_at, clock_timestamp()));
        end if;
        return null;
      end $$`);
    this.addSql(`create or replace function docket_user_changed() returns trigger language plpgsql as $$
      begin
        if tg_op = 'DELETE' then
          perform docket_credential_change(null, old.id, 'DEACTIVATED', now());
        elsif new.deactivated_at is not null and old.deactivated_at is null then
          perform docket_credential_change(null, new.id, 'DEACTIVATED', greatest(new.deactivated_at, now()));
        elsif new.role is distinct from old.role then
          perform docket_credential_change(null, new.id, 'ROLE_CHANGED', now());
        end if;
        return null;
      end $$`);
    this.addSql(
      `create trigger "api_key_credential_change" after update of "revoked_at", "expires_at" on "api_key"
        for each row execute function docket_api_key_changed()`,
    );
    this.addSql(
      `create trigger "app_user_credential_change" after update of "role", "deactivated_at" or delete on "app_user"
        for each row execute function docket_user_changed()`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop trigger if exists "app_user_credential_change" on "app_user"`);
    this.addSql(`drop trigger if exists "api_key_credential_change" on "api_key"`);
    this.addSql(`drop function if exists docket_user_changed()`);
    this.addSql(`drop function if exists docket_api_key_changed()`);
    this.addSql(`drop function if exists docket_credential_change(uuid, uuid, text, timestamptz)`);
    this.addSql(`drop table if exists "credential_change"`);
    this.addSql(`alter table "app_user" drop column "deactivated_at"`);
  }
}
