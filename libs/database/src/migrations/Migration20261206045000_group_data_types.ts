import { Migration } from '@mikro-orm/migrations';

/** Issue 15: a group narrows the data types its consents ask for, and hears when OMRON refuses them. */
export class Migration20261206045000_group_data_types extends Migration {
  override up(): void {
    this.addSql(`alter table "program_group" add column "data_types" text[] null, add column "scope_refused_at" timestamptz null;`);
  }

  override down(): void {
    this.addSql(`alter table "program_group" drop column "data_types", drop column "scope_refused_at";`);
  }
}
