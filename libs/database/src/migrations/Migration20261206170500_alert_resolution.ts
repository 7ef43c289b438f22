import { Migration } from '@mikro-orm/migrations';

/**
 * Issue 21, item 1's gaps: the platform resolves an alert whose cause is gone (a silence ended by a new reading,
 * a connection authorised again). A resolved alert leaves the open list (and `alert_open_unique`) and keeps its
 * history: when and why it was resolved.
 */
export class Migration20261206170500_alert_resolution extends Migration {
  override up(): void {
    this.addSql(`alter table "alert" drop constraint "alert_status_check";`);
    this.addSql(`alter table "alert" add constraint "alert_status_check" check ("status" in ('open', 'acknowledged', 'resolved'));`);
    this.addSql(`alter table "alert" add column "resolved_at" timestamptz null, add column "resolution" text null;`);
    this.addSql(`alter table "alert" add constraint "alert_resolution_check" check ("resolution" in ('new_reading', 'reconnected'));`);
  }

  override down(): void {
    this.addSql(`update "alert" set "status" = 'acknowledged' where "status" = 'resolved';`);
    this.addSql(`alter table "alert" drop constraint "alert_resolution_check";`);
    this.addSql(`alter table "alert" drop column "resolution", drop column "resolved_at";`);
    this.addSql(`alter table "alert" drop constraint "alert_status_check";`);
    this.addSql(`alter table "alert" add constraint "alert_status_check" check ("status" in ('open', 'acknowledged'));`);
  }
}
