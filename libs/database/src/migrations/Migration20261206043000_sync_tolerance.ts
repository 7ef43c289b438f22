import { Migration } from '@mikro-orm/migrations';

/**
 * Issue 15: a pull that OMRON's pagination ended early (a key that came back, a key on an empty page) says so, and
 * raw measurement pages are kept (compressed) so they can be normalised again without calling OMRON.
 */
export class Migration20261206043000_sync_tolerance extends Migration {
  override up(): void {
    this.addSql(`alter table "sync_ledger" add column "last_note" text null;`);
    this.addSql(
      `create table "sync_raw_page" ("id" bigserial primary key, "participant_id" uuid not null, "kind" text not null, "body" bytea not null, "fetched_at" timestamptz not null default now());`,
    );
    this.addSql(`create index "sync_raw_page_participant_id_kind_id_index" on "sync_raw_page" ("participant_id", "kind", "id");`);
    this.addSql(`create index "sync_raw_page_fetched_at_index" on "sync_raw_page" ("fetched_at");`);
    this.addSql(
      `alter table "sync_raw_page" add constraint "sync_raw_page_participant_id_foreign" foreign key ("participant_id") references "participant" ("id") on delete cascade;`,
    );
  }

  override down(): void {
    this.addSql(`drop table if exists "sync_raw_page" cascade;`);
    this.addSql(`alter table "sync_ledger" drop column "last_note";`);
  }
}
