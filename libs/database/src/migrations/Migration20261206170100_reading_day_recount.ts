import { Migration } from '@mikro-orm/migrations';

/**
 * Issue 21 item 4: a background pull's pages (a backfill, reconciliation) no longer add their readings to
 * `participant_reading_day` page by page; they note the participant here, and the transaction that finishes the
 * pull recounts the participant's days once (libs/insights' `ReadingDays`).
 */
export class Migration20261206170100_reading_day_recount extends Migration {
  override up(): void {
    this.addSql(
      `create table "participant_reading_day_recount" ("participant_id" uuid not null, "noted_at" timestamptz not null default now(), primary key ("participant_id"));`,
    );
  }

  override down(): void {
    this.addSql(`drop table if exists "participant_reading_day_recount";`);
  }
}
