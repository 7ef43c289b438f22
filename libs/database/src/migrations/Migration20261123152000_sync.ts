import { Migration } from '@mikro-orm/migrations';

/**
 * Measurement sync (libs/sync): the notification inbox, the per-participant sync ledger, dead letters, the
 * upstream request budget shared by all processes, and periodic-task bookkeeping. The job queue itself is
 * pg-boss's, in its own schema `pgboss`, which pg-boss creates and migrates when the platform starts.
 */
export class Migration20261123152000_sync extends Migration {
  override up(): void {
    this.addSql(
      `create table "sync_notification" ("id" bigserial primary key, "omron_user_id" text not null, "type" text not null, "notified_at" timestamptz not null, "participant_id" uuid not null, "received_at" timestamptz not null default now(), "claimed_until" timestamptz null, "dispatched_at" timestamptz null);`,
    );
    this.addSql(`create index "sync_notification_dispatched_at_id_index" on "sync_notification" ("dispatched_at", "id");`);
    this.addSql(
      `alter table "sync_notification" add constraint "sync_notification_key_unique" unique ("omron_user_id", "type", "notified_at");`,
    );
    this.addSql(
      `alter table "sync_notification" add constraint "sync_notification_participant_id_foreign" foreign key ("participant_id") references "participant" ("id") on delete cascade;`,
    );

    this.addSql(
      `create table "sync_ledger" ("id" bigserial primary key, "participant_id" uuid not null, "kind" text not null, "last_notification_at" timestamptz null, "last_requested_at" timestamptz null, "requested_full" boolean not null default false, "requested_since" text null, "pending_since" timestamptz null, "in_flight_since" timestamptz null, "pull_token" uuid null, "pull_started_at" timestamptz null, "pull_since" text null, "pull_cursor" bigint null, "pull_pages" int not null default 0, "pull_readings" int not null default 0, "pull_changed" int not null default 0, "last_pull_started_at" timestamptz null, "last_pull_succeeded_at" timestamptz null, "last_pull_readings" int null, "last_pull_changed" int null, "last_error" text null, "last_error_at" timestamptz null, "consecutive_failures" int not null default 0, "updated_at" timestamptz not null default now());`,
    );
    this.addSql(`alter table "sync_ledger" add constraint "sync_ledger_participant_id_kind_unique" unique ("participant_id", "kind");`);
    this.addSql(
      `alter table "sync_ledger" add constraint "sync_ledger_participant_id_foreign" foreign key ("participant_id") references "participant" ("id") on delete cascade;`,
    );

    this.addSql(
      `create table "sync_dead_letter" ("id" bigserial primary key, "participant_id" uuid not null, "kind" text not null, "job_id" text not null, "error" text not null, "attempts" int not null, "failed_at" timestamptz not null, "resolved_at" timestamptz null);`,
    );
    this.addSql(`alter table "sync_dead_letter" add constraint "sync_dead_letter_job_id_unique" unique ("job_id");`);
    this.addSql(`create index "sync_dead_letter_resolved_at_failed_at_index" on "sync_dead_letter" ("resolved_at", "failed_at");`);
    this.addSql(
      `alter table "sync_dead_letter" add constraint "sync_dead_letter_participant_id_foreign" foreign key ("participant_id") references "participant" ("id") on delete cascade;`,
    );

    this.addSql(
      `create table "sync_upstream_state" ("endpoint" text not null, "next_slot_at" timestamptz not null, "blocked_until" timestamptz null, "consecutive_failures" int not null default 0, "circuit_open_until" timestamptz null, primary key ("endpoint"));`,
    );
    this.addSql(`create table "sync_periodic_run" ("task" text not null, "last_run_at" timestamptz not null, primary key ("task"));`);
  }

  override down(): void {
    this.addSql(`drop table if exists "sync_periodic_run" cascade;`);
    this.addSql(`drop table if exists "sync_upstream_state" cascade;`);
    this.addSql(`drop table if exists "sync_dead_letter" cascade;`);
    this.addSql(`drop table if exists "sync_ledger" cascade;`);
    this.addSql(`drop table if exists "sync_notification" cascade;`);
  }
}
