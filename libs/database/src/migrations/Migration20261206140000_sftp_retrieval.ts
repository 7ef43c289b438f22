import { Migration } from '@mikro-orm/migrations';

/** Issue 20: SFTP retrieval (libs/exports): retrieval destinations, partners' keys, and pruned deliveries. */
export class Migration20261206140000_sftp_retrieval extends Migration {
  override up(): void {
    // Existing destinations push; the default only fills them in (the entity sets the mode of new rows).
    this.addSql(`alter table "sftp_destination" add column "mode" text not null default 'push';`);
    this.addSql(`alter table "sftp_destination" alter column "mode" drop default;`);
    this.addSql(`alter table "sftp_destination" add constraint "sftp_destination_mode_check" check ("mode" in ('push', 'retrieval'));`);
    this.addSql(`alter table "sftp_delivery" add column "pruned_at" timestamptz null;`);
    this.addSql(
      `create table "sftp_retrieval_key" ("id" uuid not null, "destination_id" uuid not null, "name" text not null, "public_key" text not null, "fingerprint" text not null, "key_type" text not null, "created_at" timestamptz not null, "revoked_at" timestamptz null, "last_used_at" timestamptz null, primary key ("id"));`,
    );
    this.addSql(`create index "sftp_retrieval_key_fingerprint_index" on "sftp_retrieval_key" ("fingerprint");`);
    this.addSql(
      `alter table "sftp_retrieval_key" add constraint "sftp_retrieval_key_destination_id_foreign" foreign key ("destination_id") references "sftp_destination" ("id") on delete cascade;`,
    );
  }

  override down(): void {
    this.addSql(`drop table if exists "sftp_retrieval_key";`);
    this.addSql(`alter table "sftp_delivery" drop column "pruned_at";`);
    this.addSql(`alter table "sftp_destination" drop constraint "sftp_destination_mode_check";`);
    this.addSql(`alter table "sftp_destination" drop column "mode";`);
  }
}
