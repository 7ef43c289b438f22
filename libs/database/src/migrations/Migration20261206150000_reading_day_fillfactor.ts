import { Migration } from '@mikro-orm/migrations';

/**
 * Issue 21 item 4: `participant_reading_day` is mostly updated in place (a day's second reading, often in the
 * next page, adds to the row the first one made). With every heap page full (the default fillfactor 100) each
 * such update moves the row to another page and adds a primary-key entry for it; with room left on the page it
 * is a heap-only update (HOT), which writes no index entry. Existing pages get the room as they are rewritten.
 */
export class Migration20261206150000_reading_day_fillfactor extends Migration {
  override up(): void {
    this.addSql(`alter table "participant_reading_day" set (fillfactor = 70);`);
  }

  override down(): void {
    this.addSql(`alter table "participant_reading_day" reset (fillfactor);`);
  }
}
