import { Migration } from '@mikro-orm/migrations';

/**
 * Enrollment administration: the one-time credential sheets of pre-created accounts (SecretBox ciphertext,
 * short-lived), consent-link invitation e-mails (a keyed hash of each address, never the address), and an
 * index for the participant list of a group (newest first, keyset-paginated).
 */
export class Migration20261123151000_enrollment_admin extends Migration {
  override up(): void {
    this.addSql(
      `create table "credential_sheet" ("id" uuid not null, "group_id" uuid not null, "created_by" uuid not null, "credentials_ciphertext" text not null, "participant_count" int not null, "expires_at" timestamptz not null, "created_at" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(`create index "credential_sheet_expires_at_index" on "credential_sheet" ("expires_at");`);
    this.addSql(
      `alter table "credential_sheet" add constraint "credential_sheet_group_id_foreign" foreign key ("group_id") references "program_group" ("id") on delete cascade;`,
    );
    this.addSql(
      `create table "consent_invitation" ("id" bigserial primary key, "group_id" uuid not null, "recipient_hash" text not null, "redirect_url" text not null, "sent_by" uuid null, "sent_at" timestamptz not null);`,
    );
    this.addSql(`create index "consent_invitation_group_id_recipient_hash_index" on "consent_invitation" ("group_id", "recipient_hash");`);
    this.addSql(`create index "consent_invitation_group_id_sent_at_index" on "consent_invitation" ("group_id", "sent_at");`);
    this.addSql(
      `alter table "consent_invitation" add constraint "consent_invitation_group_id_foreign" foreign key ("group_id") references "program_group" ("id") on delete cascade;`,
    );
    this.addSql(`create index "enrollment_group_created_at_id_index" on "enrollment" ("group_id", "created_at", "id");`);
  }

  override down(): void {
    this.addSql(`drop index if exists "enrollment_group_created_at_id_index";`);
    this.addSql(`drop table if exists "consent_invitation" cascade;`);
    this.addSql(`drop table if exists "credential_sheet" cascade;`);
  }
}
