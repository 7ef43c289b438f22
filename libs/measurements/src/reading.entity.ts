import type { Opt, Rel } from '@mikro-orm/core';
import { Entity, ManyToOne, OneToMany, PrimaryKey, Property, Unique, Index } from '@mikro-orm/decorators/legacy';
import { Collection } from '@mikro-orm/core';
import { Participant } from '@opendsp/participants';

/**
 * Columns every reading has. `upstreamId` is OMRON's measurement `id` and, with the participant, the key
 * of the idempotent upsert. `changeSeq` is drawn from one sequence shared by all reading tables on every
 * insert and every real change (`NEXT_CHANGE_SEQ`, after `lockChangeSequence`; the column has no default so
 * no writer can forget either); the API's change feed and incremental exports page by it.
 */
abstract class Reading {
  @PrimaryKey({ type: 'bigint', autoincrement: true })
  id!: string & Opt;

  @ManyToOne({ entity: () => Participant, deleteRule: 'cascade' })
  participant!: Rel<Participant>;

  @Property({ type: 'bigint' })
  upstreamId!: string;

  /** The instant of the measurement (the spec's `dateTime`, which is UTC). */
  @Property({ type: 'timestamptz' })
  measuredAt!: Date;

  /** The participant's wall-clock time as OMRON sent it (`dateTimeLocal`), `YYYY-MM-DDTHH:mm:ss`. */
  @Property({ type: 'text' })
  localTime!: string;

  /** `dateTimeUtcOffset` in seconds east of UTC, whichever of the spec's two forms it came in. */
  @Property({ type: 'integer' })
  utcOffsetSeconds!: number;

  @Property({ type: 'text' })
  deviceType!: string;

  @Property({ type: 'bigint' })
  @Unique()
  changeSeq!: string;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt!: Date & Opt;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  updatedAt!: Date & Opt;
}

@Entity({ tableName: 'blood_pressure_reading' })
@Unique({ properties: ['participant', 'upstreamId'] })
@Index({ properties: ['participant', 'measuredAt'] })
// BRIN on created_at (each table): the dashboard counts the readings received in the last week; rows are
// appended in arrival order, so a BRIN index of a few pages finds them without a B-tree on every write.
@Index({ name: 'blood_pressure_reading_created_at_brin', properties: ['createdAt'], type: 'brin' })
export class BloodPressureReading extends Reading {
  /** null for possible-AFib readings, for which OMRON sends 0. */
  @Property({ type: 'integer', nullable: true })
  systolicMmhg!: number | null;

  @Property({ type: 'integer', nullable: true })
  diastolicMmhg!: number | null;

  @Property({ type: 'integer', nullable: true })
  pulseBpm!: number | null;

  @Property({ type: 'boolean' })
  possibleAfib!: boolean;
}

@Entity({ tableName: 'activity_reading' })
@Unique({ properties: ['participant', 'upstreamId'] })
@Index({ properties: ['participant', 'measuredAt'] })
@Index({ name: 'activity_reading_created_at_brin', properties: ['createdAt'], type: 'brin' })
export class ActivityReading extends Reading {
  @Property({ type: 'integer' })
  steps!: number;

  @Property({ type: 'integer' })
  aerobicSteps!: number;

  @Property({ type: 'integer' })
  caloriesKcal!: number;

  @Property({ type: 'double' })
  distanceKm!: number;

  /** The distance as OMRON sent it, in `distanceUnit`. */
  @Property({ type: 'double' })
  distanceOriginal!: number;

  @Property({ type: 'text' })
  distanceUnit!: string;

  /** Steps as OMRON sent them when that was a fraction (`steps` holds them rounded); null when whole. */
  @Property({ type: 'double', nullable: true })
  stepsOriginal: number | null = null;

  /** Aerobic steps as sent when a fraction; null when whole. */
  @Property({ type: 'double', nullable: true })
  aerobicStepsOriginal: number | null = null;

  /** Calories as sent when a fraction (`caloriesKcal` holds them rounded); null when whole. */
  @Property({ type: 'double', nullable: true })
  caloriesOriginal: number | null = null;

  @OneToMany({ entity: () => ActivityHourlyReading, mappedBy: 'activity' })
  hourly = new Collection<ActivityHourlyReading>(this);
}

/** One hour of a day's activity (the spec's `hourlyActivityData`). */
@Entity({ tableName: 'activity_hourly_reading' })
@Unique({ properties: ['activity', 'hour'] })
export class ActivityHourlyReading {
  @PrimaryKey({ type: 'bigint', autoincrement: true })
  id!: string & Opt;

  @ManyToOne({ entity: () => ActivityReading, deleteRule: 'cascade' })
  activity!: Rel<ActivityReading>;

  /** 0–23, local time. */
  @Property({ type: 'smallint' })
  hour!: number;

  @Property({ type: 'integer' })
  steps!: number;

  @Property({ type: 'integer' })
  aerobicSteps!: number;

  @Property({ type: 'integer' })
  caloriesKcal!: number;

  /** In the daily reading's `distanceUnit`, as OMRON sent it. */
  @Property({ type: 'double' })
  distanceOriginal!: number;
}

@Entity({ tableName: 'weight_reading' })
@Unique({ properties: ['participant', 'upstreamId'] })
@Index({ properties: ['participant', 'measuredAt'] })
@Index({ name: 'weight_reading_created_at_brin', properties: ['createdAt'], type: 'brin' })
export class WeightReading extends Reading {
  /** The spec's `idExt`. */
  @Property({ type: 'bigint', nullable: true })
  upstreamIdExt!: string | null;

  /** Every value below is null where the scale did not measure it (OMRON's "-1.0"). */
  @Property({ type: 'double', nullable: true })
  weightKg!: number | null;

  @Property({ type: 'double', nullable: true })
  weightOriginal!: number | null;

  /** `kg` or `lb`: the participant's preference, which `weightOriginal` is in. */
  @Property({ type: 'text' })
  weightUnit!: string;

  @Property({ type: 'double', nullable: true })
  bmi!: number | null;

  @Property({ type: 'double', nullable: true })
  bodyFatPercent!: number | null;

  @Property({ type: 'double', nullable: true })
  skeletalMusclePercent!: number | null;

  @Property({ type: 'double', nullable: true })
  visceralFatLevel!: number | null;

  @Property({ type: 'double', nullable: true })
  restingMetabolismKcal!: number | null;
}

@Entity({ tableName: 'temperature_reading' })
@Unique({ properties: ['participant', 'upstreamId'] })
@Index({ properties: ['participant', 'measuredAt'] })
@Index({ name: 'temperature_reading_created_at_brin', properties: ['createdAt'], type: 'brin' })
export class TemperatureReading extends Reading {
  @Property({ type: 'double' })
  temperatureC!: number;

  @Property({ type: 'double' })
  temperatureOriginal!: number;

  /** `°C` or `°F`, as OMRON sent it. */
  @Property({ type: 'text' })
  temperatureUnit!: string;
}

@Entity({ tableName: 'oxygen_reading' })
@Unique({ properties: ['participant', 'upstreamId'] })
@Index({ properties: ['participant', 'measuredAt'] })
@Index({ name: 'oxygen_reading_created_at_brin', properties: ['createdAt'], type: 'brin' })
export class OxygenReading extends Reading {
  @Property({ type: 'double', fieldName: 'spo2_percent' })
  spo2Percent!: number;

  @Property({ type: 'integer', nullable: true })
  pulseBpm!: number | null;
}

@Entity({ tableName: 'ecg_reading' })
@Unique({ properties: ['participant', 'upstreamId'] })
@Index({ properties: ['participant', 'measuredAt'] })
@Index({ name: 'ecg_reading_created_at_brin', properties: ['createdAt'], type: 'brin' })
export class EcgReading extends Reading {
  @Property({ type: 'text' })
  classification!: string;

  @Property({ type: 'integer' })
  heartRateBpm!: number;

  @Property({ type: 'integer' })
  samplingRateHz!: number;

  @Property({ type: 'double' })
  durationSeconds!: number;

  /** Lead I samples in microvolts. */
  @Property({ type: 'json' })
  waveformUv!: number[];
}

/** A device type seen in a participant's readings. */
@Entity({ tableName: 'participant_device' })
@Unique({ properties: ['participant', 'deviceType'] })
export class ParticipantDevice {
  @PrimaryKey({ type: 'bigint', autoincrement: true })
  id!: string & Opt;

  @ManyToOne({ entity: () => Participant, deleteRule: 'cascade' })
  participant!: Rel<Participant>;

  @Property({ type: 'text' })
  deviceType!: string;

  @Property({ type: 'timestamptz' })
  firstSeenAt!: Date;

  @Property({ type: 'timestamptz' })
  lastSeenAt!: Date;
}

export const READING_ENTITIES = [
  BloodPressureReading,
  ActivityReading,
  ActivityHourlyReading,
  WeightReading,
  TemperatureReading,
  OxygenReading,
  EcgReading,
  ParticipantDevice,
];
