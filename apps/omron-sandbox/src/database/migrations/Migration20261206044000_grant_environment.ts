import { Migration } from '@mikro-orm/migrations';

/** Issue 15: a grant belongs to the token host it was issued at (`/stg` or `/prd`); its tokens work there only. */
export class Migration20261206044000_grant_environment extends Migration {
  override up(): void {
    this.addSql(`alter table "omron_sandbox"."oauth_grant" add column "environment" text not null default 'stg';`);
  }

  override down(): void {
    this.addSql(`alter table "omron_sandbox"."oauth_grant" drop column "environment";`);
  }
}
