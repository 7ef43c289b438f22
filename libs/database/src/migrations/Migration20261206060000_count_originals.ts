import { Migration } from '@mikro-orm/migrations';

/**
 * Issue 15: OMRON may send steps, aerobic steps and calories as fractions. The integer columns hold them rounded;
 * these keep a day's value as sent, set only when it was a fraction.
 */
export class Migration20261206060000_count_originals extends Migration {
  override up(): void {
    this.addSql(
      `alter table "activity_reading" add column "steps_original" double precision null, add column "aerobic_steps_original" double precision null, add column "calories_original" double precision null;`,
    );
  }

  override down(): void {
    this.addSql(
      `alter table "activity_reading" drop column "steps_original", drop column "aerobic_steps_original", drop column "calories_original";`,
    );
  }
}
