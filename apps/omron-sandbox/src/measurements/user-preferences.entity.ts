import type { Opt } from '@mikro-orm/core';
import { Entity, OneToOne, Property } from '@mikro-orm/decorators/legacy';
import { SandboxUser } from '../users/sandbox-user.entity.js';

export const WEIGHT_UNITS = ['kg', 'lb'] as const;
export const TEMPERATURE_UNITS = ['C', 'F'] as const;
export const DISTANCE_UNITS = ['miles', 'km'] as const;
/** `auto` follows the spec's examples: seconds ("-21600") for weight, `±HH:MM` for everything else. */
export const UTC_OFFSET_FORMATS = ['auto', 'hhmm', 'seconds'] as const;

export type WeightUnit = (typeof WEIGHT_UNITS)[number];
export type TemperatureUnit = (typeof TEMPERATURE_UNITS)[number];
export type DistanceUnit = (typeof DISTANCE_UNITS)[number];
export type UtcOffsetFormat = (typeof UTC_OFFSET_FORMATS)[number];

/** A test user's OMRON connect app settings, which shape how their readings are served. Absent row = defaults. */
@Entity({ tableName: 'sandbox_user_preference', schema: 'omron_sandbox' })
export class UserPreferences {
  @OneToOne({ entity: () => SandboxUser, primary: true, deleteRule: 'cascade' })
  user!: SandboxUser;

  @Property({ type: 'text' })
  weightUnit: WeightUnit & Opt = 'kg';

  @Property({ type: 'text' })
  temperatureUnit: TemperatureUnit & Opt = 'C';

  @Property({ type: 'text' })
  distanceUnit: DistanceUnit & Opt = 'miles';

  /** IANA zone; new readings get this zone's offset at their measurement time. */
  @Property({ type: 'text' })
  timeZone: string & Opt = 'UTC';

  @Property({ type: 'text' })
  utcOffsetFormat: UtcOffsetFormat & Opt = 'auto';

  @Property({ type: 'timestamptz', onUpdate: () => new Date() })
  updatedAt: Date & Opt = new Date();
}

/** The preferences of a user without a row. */
export const DEFAULT_PREFERENCES = {
  weightUnit: 'kg',
  temperatureUnit: 'C',
  distanceUnit: 'miles',
  timeZone: 'UTC',
  utcOffsetFormat: 'auto',
} as const satisfies Pick<UserPreferences, 'weightUnit' | 'temperatureUnit' | 'distanceUnit' | 'timeZone' | 'utcOffsetFormat'>;

export type Preferences = { -readonly [K in keyof typeof DEFAULT_PREFERENCES]: UserPreferences[K] };
