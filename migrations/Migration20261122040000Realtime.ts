import { Migration } from '@mikro-orm/migrations';

/**
 * Each event keeps the ticket facts subscriptions filter on, as they were when it was committed, so a
 * replay (`ticketEvents(after:)`) selects exactly what the live stream selected. Events older than this
 * migration take the ticket's facts of the time it ran.
 */
export class Migration20261122040000Realtime extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "ticket_event"
      add column "requester_id" uuid null, add column "organization_id" uuid null, add column "team_id" uuid null,
      add column "assignee_id" uuid null, add column "status_category" varchar(32) null, add column "priority" varchar(16) null`);
    this
      .addSql(`update "ticket_event" e set "requester_id" = t."requester_id", "organization_id" = t."organization_id",
      "team_id" = t."team_id", "assignee_id" = t."assignee_id", "status_category" = t."status_category", "priority" = t."priority"
      from "ticket" t where t."id" = e."ticket_id"`);
  }

  override async down(): Promise<void> {
    this
      .addSql(`alter table "ticket_event" drop column "requester_id", drop column "organization_id", drop column "team_id",
      drop column "assignee_id", drop column "status_category", drop column "priority"`);
  }
}
