import { Migration } from '@mikro-orm/migrations';

/**
 * Issue 16, seed 002: "Project communications will almost always be handled by the lead agent on your
 * project". An organization may name its lead agent; removing the user clears it.
 */
export class Migration20261130110000LeadAgent extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "organization" add column "lead_agent_id" uuid null`);
    this.addSql(
      `alter table "organization" add constraint "organization_lead_agent_id_foreign" foreign key ("lead_agent_id") references "app_user" ("id") on update cascade on delete set null`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "organization" drop constraint if exists "organization_lead_agent_id_foreign"`);
    this.addSql(`alter table "organization" drop column if exists "lead_agent_id"`);
  }
}
