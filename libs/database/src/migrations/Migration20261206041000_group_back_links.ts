import { Migration } from '@mikro-orm/migrations';

/** Issue 15: origins a group's consent links may name as `back_url`, besides those of its redirect URLs. */
export class Migration20261206041000_group_back_links extends Migration {
  override up(): void {
    this.addSql(`alter table "program_group" add column "back_link_origins" text[] not null default '{}';`);
  }

  override down(): void {
    this.addSql(`alter table "program_group" drop column "back_link_origins";`);
  }
}
