import { Migration } from '@mikro-orm/migrations';

/**
 * Participants (OGSC IDs), their enrollments in groups, and the typed reading tables with the shared change
 * sequence that the change feed and incremental exports page by.
 */
export class Migration20261123140000_participants_and_readings extends Migration {
  override up(): void {
    this.addSql(`create sequence "measurement_change_seq";`);
    this.addSql(
      `create table "participant" ("id" uuid not null, "ogsc_id" text not null, "omron_user_id" text null, "enrollment_method" text not null, "login_id" text null, "password_hash" text null, "must_change_password" boolean not null default false, "credentials_expire_at" timestamptz null, "last_sign_in_at" timestamptz null, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(`alter table "participant" add constraint "participant_ogsc_id_unique" unique ("ogsc_id");`);
    this.addSql(`alter table "participant" add constraint "participant_omron_user_id_unique" unique ("omron_user_id");`);
    this.addSql(`alter table "participant" add constraint "participant_login_id_unique" unique ("login_id");`);
    this.addSql(
      `alter table "participant" add constraint "participant_enrollment_method_check" check ("enrollment_method" in ('omron_connect', 'pre_created'));`,
    );
    this.addSql(
      `create table "enrollment" ("id" uuid not null, "participant_id" uuid not null, "group_id" uuid not null, "status" text not null, "internal_customer_id" text null, "invited_at" timestamptz null, "link_opened_at" timestamptz null, "consented_at" timestamptz null, "consented_scopes" text null, "withdrawn_at" timestamptz null, "withdrawn_by" text null, "first_reading_at" timestamptz null, "last_reading_at" timestamptz null, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(`create index "enrollment_group_status_index" on "enrollment" ("group_id", "status");`);
    this.addSql(
      `alter table "enrollment" add constraint "enrollment_group_internal_customer_id_unique" unique ("group_id", "internal_customer_id");`,
    );
    this.addSql(
      `alter table "enrollment" add constraint "enrollment_participant_id_group_id_unique" unique ("participant_id", "group_id");`,
    );
    this.addSql(
      `alter table "enrollment" add constraint "enrollment_status_check" check ("status" in ('invited', 'link_opened', 'consented', 'withdrawn'));`,
    );
    this.addSql(
      `create table "participant_device" ("id" bigserial primary key, "participant_id" uuid not null, "device_type" text not null, "first_seen_at" timestamptz not null, "last_seen_at" timestamptz not null);`,
    );
    this.addSql(
      `alter table "participant_device" add constraint "participant_device_participant_id_device_type_unique" unique ("participant_id", "device_type");`,
    );
    this.addSql(
      `create table "blood_pressure_reading" ("id" bigserial primary key, "participant_id" uuid not null, "upstream_id" bigint not null, "measured_at" timestamptz not null, "local_time" text not null, "utc_offset_seconds" int not null, "device_type" text not null, "change_seq" bigint not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "systolic_mmhg" int null, "diastolic_mmhg" int null, "pulse_bpm" int null, "possible_afib" boolean not null);`,
    );
    this.addSql(`alter table "blood_pressure_reading" add constraint "blood_pressure_reading_change_seq_unique" unique ("change_seq");`);
    this.addSql(
      `create index "blood_pressure_reading_participant_id_measured_at_index" on "blood_pressure_reading" ("participant_id", "measured_at");`,
    );
    this.addSql(
      `alter table "blood_pressure_reading" add constraint "blood_pressure_reading_participant_id_upstream_id_unique" unique ("participant_id", "upstream_id");`,
    );
    this.addSql(
      `create table "activity_reading" ("id" bigserial primary key, "participant_id" uuid not null, "upstream_id" bigint not null, "measured_at" timestamptz not null, "local_time" text not null, "utc_offset_seconds" int not null, "device_type" text not null, "change_seq" bigint not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "steps" int not null, "aerobic_steps" int not null, "calories_kcal" int not null, "distance_km" double precision not null, "distance_original" double precision not null, "distance_unit" text not null);`,
    );
    this.addSql(`alter table "activity_reading" add constraint "activity_reading_change_seq_unique" unique ("change_seq");`);
    this.addSql(
      `create index "activity_reading_participant_id_measured_at_index" on "activity_reading" ("participant_id", "measured_at");`,
    );
    this.addSql(
      `alter table "activity_reading" add constraint "activity_reading_participant_id_upstream_id_unique" unique ("participant_id", "upstream_id");`,
    );
    this.addSql(
      `create table "activity_hourly_reading" ("id" bigserial primary key, "activity_id" bigint not null, "hour" smallint not null, "steps" int not null, "aerobic_steps" int not null, "calories_kcal" int not null, "distance_original" double precision not null);`,
    );
    this.addSql(
      `alter table "activity_hourly_reading" add constraint "activity_hourly_reading_activity_id_hour_unique" unique ("activity_id", "hour");`,
    );
    this.addSql(
      `create table "weight_reading" ("id" bigserial primary key, "participant_id" uuid not null, "upstream_id" bigint not null, "measured_at" timestamptz not null, "local_time" text not null, "utc_offset_seconds" int not null, "device_type" text not null, "change_seq" bigint not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "upstream_id_ext" bigint null, "weight_kg" double precision null, "weight_original" double precision null, "weight_unit" text not null, "bmi" double precision null, "body_fat_percent" double precision null, "skeletal_muscle_percent" double precision null, "visceral_fat_level" double precision null, "resting_metabolism_kcal" double precision null);`,
    );
    this.addSql(`alter table "weight_reading" add constraint "weight_reading_change_seq_unique" unique ("change_seq");`);
    this.addSql(`create index "weight_reading_participant_id_measured_at_index" on "weight_reading" ("participant_id", "measured_at");`);
    this.addSql(
      `alter table "weight_reading" add constraint "weight_reading_participant_id_upstream_id_unique" unique ("participant_id", "upstream_id");`,
    );
    this.addSql(
      `create table "temperature_reading" ("id" bigserial primary key, "participant_id" uuid not null, "upstream_id" bigint not null, "measured_at" timestamptz not null, "local_time" text not null, "utc_offset_seconds" int not null, "device_type" text not null, "change_seq" bigint not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "temperature_c" double precision not null, "temperature_original" double precision not null, "temperature_unit" text not null);`,
    );
    this.addSql(`alter table "temperature_reading" add constraint "temperature_reading_change_seq_unique" unique ("change_seq");`);
    this.addSql(
      `create index "temperature_reading_participant_id_measured_at_index" on "temperature_reading" ("participant_id", "measured_at");`,
    );
    this.addSql(
      `alter table "temperature_reading" add constraint "temperature_reading_participant_id_upstream_id_unique" unique ("participant_id", "upstream_id");`,
    );
    this.addSql(
      `create table "oxygen_reading" ("id" bigserial primary key, "participant_id" uuid not null, "upstream_id" bigint not null, "measured_at" timestamptz not null, "local_time" text not null, "utc_offset_seconds" int not null, "device_type" text not null, "change_seq" bigint not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "spo2_percent" double precision not null, "pulse_bpm" int null);`,
    );
    this.addSql(`alter table "oxygen_reading" add constraint "oxygen_reading_change_seq_unique" unique ("change_seq");`);
    this.addSql(`create index "oxygen_reading_participant_id_measured_at_index" on "oxygen_reading" ("participant_id", "measured_at");`);
    this.addSql(
      `alter table "oxygen_reading" add constraint "oxygen_reading_participant_id_upstream_id_unique" unique ("participant_id", "upstream_id");`,
    );
    this.addSql(
      `create table "ecg_reading" ("id" bigserial primary key, "participant_id" uuid not null, "upstream_id" bigint not null, "measured_at" timestamptz not null, "local_time" text not null, "utc_offset_seconds" int not null, "device_type" text not null, "change_seq" bigint not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "classification" text not null, "heart_rate_bpm" int not null, "sampling_rate_hz" int not null, "duration_seconds" double precision not null, "waveform_uv" jsonb not null);`,
    );
    this.addSql(`alter table "ecg_reading" add constraint "ecg_reading_change_seq_unique" unique ("change_seq");`);
    this.addSql(`create index "ecg_reading_participant_id_measured_at_index" on "ecg_reading" ("participant_id", "measured_at");`);
    this.addSql(
      `alter table "ecg_reading" add constraint "ecg_reading_participant_id_upstream_id_unique" unique ("participant_id", "upstream_id");`,
    );
    this.addSql(
      `alter table "oxygen_reading" add constraint "oxygen_reading_participant_id_foreign" foreign key ("participant_id") references "participant" ("id") on delete cascade;`,
    );
    this.addSql(
      `alter table "ecg_reading" add constraint "ecg_reading_participant_id_foreign" foreign key ("participant_id") references "participant" ("id") on delete cascade;`,
    );
    this.addSql(
      `alter table "blood_pressure_reading" add constraint "blood_pressure_reading_participant_id_foreign" foreign key ("participant_id") references "participant" ("id") on delete cascade;`,
    );
    this.addSql(
      `alter table "activity_reading" add constraint "activity_reading_participant_id_foreign" foreign key ("participant_id") references "participant" ("id") on delete cascade;`,
    );
    this.addSql(
      `alter table "activity_hourly_reading" add constraint "activity_hourly_reading_activity_id_foreign" foreign key ("activity_id") references "activity_reading" ("id") on delete cascade;`,
    );
    this.addSql(
      `alter table "participant_device" add constraint "participant_device_participant_id_foreign" foreign key ("participant_id") references "participant" ("id") on delete cascade;`,
    );
    this.addSql(
      `alter table "enrollment" add constraint "enrollment_participant_id_foreign" foreign key ("participant_id") references "participant" ("id") on delete cascade;`,
    );
    this.addSql(
      `alter table "enrollment" add constraint "enrollment_group_id_foreign" foreign key ("group_id") references "program_group" ("id");`,
    );
    this.addSql(
      `alter table "temperature_reading" add constraint "temperature_reading_participant_id_foreign" foreign key ("participant_id") references "participant" ("id") on delete cascade;`,
    );
    this.addSql(
      `alter table "weight_reading" add constraint "weight_reading_participant_id_foreign" foreign key ("participant_id") references "participant" ("id") on delete cascade;`,
    );
  }

  override down(): void {
    this.addSql(`drop table if exists "ecg_reading" cascade;`);
    this.addSql(`drop table if exists "oxygen_reading" cascade;`);
    this.addSql(`drop table if exists "temperature_reading" cascade;`);
    this.addSql(`drop table if exists "weight_reading" cascade;`);
    this.addSql(`drop table if exists "activity_hourly_reading" cascade;`);
    this.addSql(`drop table if exists "activity_reading" cascade;`);
    this.addSql(`drop table if exists "blood_pressure_reading" cascade;`);
    this.addSql(`drop table if exists "participant_device" cascade;`);
    this.addSql(`drop table if exists "enrollment" cascade;`);
    this.addSql(`drop table if exists "participant" cascade;`);
    this.addSql(`drop sequence if exists "measurement_change_seq";`);
  }
}
