import { Migration } from '@mikro-orm/migrations';

/**
 * Participants (CCs: requesters who read, reply to and receive a ticket's public side) and followers
 * (agents who receive its notifications), kept on the ticket as id arrays; the event log keeps the
 * participants as one of each event's facts, so subscriptions and replays select the same events.
 */
export class Migration20261130132000Participants extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "ticket" add column "participant_ids" uuid[] not null default '{}'`);
    this.addSql(`alter table "ticket" add column "follower_ids" uuid[] not null default '{}'`);
    this.addSql(`create index "ticket_participants_idx" on "ticket" using gin ("participant_ids")`);
    this.addSql(`alter table "ticket_event" add column "participant_ids" uuid[] null`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "ticket_event" drop column "participant_ids"`);
    this.addSql(`drop index if exists "ticket_participants_idx"`);
    this.addSql(`alter table "ticket" drop column "follower_ids"`);
    this.addSql(`alter table "ticket" drop column "participant_ids"`);
  }
}
