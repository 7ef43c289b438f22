import { Migration } from '@mikro-orm/migrations';

/**
 * Issue 15: what OMRON's identity token says besides the user ID. Cognito's `custom:userId` (notifications may
 * name the user by it) and the account's e-mail, kept on the connection when the token carries them.
 */
export class Migration20261206040000_omron_identity extends Migration {
  override up(): void {
    this.addSql(`alter table "omron_connection" add column "custom_user_id" text null, add column "email" text null;`);
    this.addSql(`create index "omron_connection_custom_user_id_index" on "omron_connection" ("custom_user_id");`);
  }

  override down(): void {
    this.addSql(`drop index "omron_connection_custom_user_id_index";`);
    this.addSql(`alter table "omron_connection" drop column "custom_user_id", drop column "email";`);
  }
}
