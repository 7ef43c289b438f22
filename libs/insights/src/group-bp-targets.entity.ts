import type { Opt } from '@mikro-orm/core';
import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

/** The ACC/AHA 2017 goal (default 130/80). */
export const DEFAULT_TARGET = { systolic: 130, diastolic: 80 } as const;
/** NCQA HEDIS Controlling High Blood Pressure (default 140/90). */
export const DEFAULT_HEDIS = { systolic: 140, diastolic: 90 } as const;

/**
 * A group's blood-pressure thresholds, when its admins changed them from the defaults. A participant is
 * "under" a threshold when both means are strictly below its two values.
 */
@Entity({ tableName: 'group_bp_targets' })
export class GroupBpTargets {
  /** The group's internal ID (`program_group.id`). */
  @PrimaryKey({ type: 'uuid' })
  groupId!: string;

  @Property({ type: 'integer' })
  targetSystolic!: number;

  @Property({ type: 'integer' })
  targetDiastolic!: number;

  @Property({ type: 'integer' })
  hedisSystolic!: number;

  @Property({ type: 'integer' })
  hedisDiastolic!: number;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  updatedAt!: Date & Opt;
}
