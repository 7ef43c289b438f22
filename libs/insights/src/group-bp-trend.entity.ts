import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

/**
 * A group's last computed blood-pressure trend (12 months of figures) with the day and thresholds it was
 * computed for: the group page and the control page read it instead of aggregating a year of summary rows on
 * every view. Recomputed when older than `TREND_FRESH_MS`, when the day or the group's thresholds changed
 * (`BpControlService.cachedTrend`).
 */
@Entity({ tableName: 'group_bp_trend' })
export class GroupBpTrend {
  /** The group's internal ID. */
  @PrimaryKey({ type: 'uuid' })
  groupId!: string;

  @Property({ type: 'timestamptz' })
  computedAt!: Date;

  /** The day the current month's window ended on (`YYYY-MM-DD`). */
  @Property({ type: 'text' })
  today!: string;

  /** The thresholds the figures count against. */
  @Property({ type: 'jsonb' })
  thresholds!: unknown;

  /** The months' figures, oldest first. */
  @Property({ type: 'jsonb' })
  months!: unknown;
}
