import { Migration } from '@mikro-orm/migrations';

/**
 * The participant side of enrollment: consent flows in progress (one per browser, short-lived), link
 * openings per group and day for the enrollment funnel, and participant sessions.
 */
export class Migration20261123150000_consent extends Migration {
  override up(): void {
    this.addSql(
      `create table "consent_flow" ("id" uuid not null, "token_hash" text not null, "purpose" text not null, "stage" text not null default 'started', "group_id" uuid null, "redirect_url" text null, "caller_state" text null, "back_url" text null, "participant_id" uuid null, "omron_user_id" text null, "scopes" text not null, "oauth_state_hash" text null, "pkce_verifier_ciphertext" text null, "pending_tokens_ciphertext" text null, "expires_at" timestamptz not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(`alter table "consent_flow" add constraint "consent_flow_token_hash_unique" unique ("token_hash");`);
    this.addSql(`create index "consent_flow_expires_at_index" on "consent_flow" ("expires_at");`);
    this.addSql(
      `alter table "consent_flow" add constraint "consent_flow_purpose_check" check ("purpose" in ('consent', 'reconnect', 'sign_in'));`,
    );
    this.addSql(
      `alter table "consent_flow" add constraint "consent_flow_stage_check" check ("stage" in ('started', 'signed_in', 'ready', 'authorised', 'consented'));`,
    );
    this.addSql(
      `alter table "consent_flow" add constraint "consent_flow_group_id_foreign" foreign key ("group_id") references "program_group" ("id") on delete cascade;`,
    );
    this.addSql(
      `alter table "consent_flow" add constraint "consent_flow_participant_id_foreign" foreign key ("participant_id") references "participant" ("id") on delete cascade;`,
    );

    this.addSql(
      `create table "consent_link_open" ("group_id" uuid not null, "day" date not null, "opens" int not null default 0, primary key ("group_id", "day"));`,
    );
    this.addSql(
      `alter table "consent_link_open" add constraint "consent_link_open_group_id_foreign" foreign key ("group_id") references "program_group" ("id") on delete cascade;`,
    );

    this.addSql(
      `create table "participant_session" ("token_hash" text not null, "participant_id" uuid not null, "created_at" timestamptz not null, "last_seen_at" timestamptz not null, "expires_at" timestamptz not null, primary key ("token_hash"));`,
    );
    this.addSql(`create index "participant_session_participant_id_index" on "participant_session" ("participant_id");`);
    this.addSql(
      `alter table "participant_session" add constraint "participant_session_participant_id_foreign" foreign key ("participant_id") references "participant" ("id") on delete cascade;`,
    );
  }

  override down(): void {
    this.addSql(`drop table if exists "participant_session" cascade;`);
    this.addSql(`drop table if exists "consent_link_open" cascade;`);
    this.addSql(`drop table if exists "consent_flow" cascade;`);
  }
}
