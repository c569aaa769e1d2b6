import { Migration } from '@mikro-orm/migrations';

/** Comment counts on the ticket, so a queue page needs no count query per page. */
export class Migration20261122010000CommentCounts extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `alter table "ticket" add column "comments_total" int not null default 0, add column "comments_public" int not null default 0`,
    );
    this.addSql(`update "ticket" t set "comments_total" = c.total, "comments_public" = c.public
      from (select ticket_id, count(*) as total, count(*) filter (where not internal) as public from "comment" group by ticket_id) c
      where c.ticket_id = t.id`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "ticket" drop column "comments_total", drop column "comments_public"`);
  }
}
