import { BigIntType, type Opt } from '@mikro-orm/core';
import { Entity, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import type { MeasurementType } from '@opendsp/omron-api';
import { SandboxUser } from '../users/sandbox-user.entity.js';
import type { MeasurementValues } from './measurement-values.js';

/** Where a reading came from; all of them go through the same ingestion path. */
export type MeasurementSource = 'device' | 'generated' | 'spreadsheet';

/**
 * One reading of one user, stored in canonical units (mmHg, kg, °C, metres, µV) and formatted per the
 * user's preferences when served. Written in bulk with SQL (see MeasurementStore); the entity describes
 * the table for the schema check and for small reads.
 *
 * Invariant: one reading per user, type and second. Devices record whole seconds and OMRON keeps one
 * reading per instant, so a re-upload is ignored, and the measurement time is an exact keyset position:
 * the pagination key (epoch milliseconds of the last reading returned) never skips or repeats a reading.
 */
@Entity({ tableName: 'measurement', schema: 'omron_sandbox' })
@Unique({ properties: ['user', 'type', 'measuredAt'] })
export class Measurement {
  /** The API's `id`; the sequence starts at 1.7e12 so ids look like OMRON's (epoch-millisecond sized). */
  @PrimaryKey({ type: new BigIntType('number'), autoincrement: true })
  id!: number & Opt;

  /**
   * No foreign key: its per-row check cost a third of a bulk load. Ingestion checks and locks the user once
   * per load instead, and a trigger on sandbox_user deletes a user's readings with the user.
   */
  @ManyToOne({ entity: () => SandboxUser, createForeignKeyConstraint: false })
  user!: SandboxUser;

  @Property({ type: 'text' })
  type!: MeasurementType;

  /** Whole seconds, UTC. */
  @Property({ type: 'timestamptz' })
  measuredAt!: Date;

  /** The user's offset from UTC when the reading was taken (east positive). */
  @Property({ type: 'integer' })
  utcOffsetSeconds!: number;

  @Property({ type: 'text' })
  deviceType!: string;

  @Property({ type: 'json' })
  values!: MeasurementValues;

  @Property({ type: 'text' })
  source!: MeasurementSource;

  @Property({ type: 'timestamptz' })
  uploadedAt!: Date;
}
