import { Migration } from '@mikro-orm/migrations';

/** Issue 15: a pull that OMRON's pagination ended early (a key that came back, a key on an empty page) says so. */
export class Migration20261206043000_sync_tolerance extends Migration {
  override up(): void {
    this.addSql(`alter table "sync_ledger" add column "last_note" text null;`);
  }

  override down(): void {
    this.addSql(`alter table "sync_ledger" drop column "last_note";`);
  }
}
