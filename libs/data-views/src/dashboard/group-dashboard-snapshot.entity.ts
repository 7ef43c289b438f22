import type { Rel } from '@mikro-orm/core';
import { Entity, ManyToOne, Property } from '@mikro-orm/decorators/legacy';
import { ProgramGroup } from '@opendsp/groups';

/**
 * One group's dashboard figures as of `computedAt`. Counting 100,000 enrollments and a week of readings
 * takes longer than a page may, so the figures are recomputed every DASHBOARD_REFRESH_SECONDS (by the
 * worker, or by the page when they are older than that) and the dashboard only reads these rows.
 */
@Entity({ tableName: 'group_dashboard_snapshot' })
export class GroupDashboardSnapshot {
  @ManyToOne({ entity: () => ProgramGroup, primary: true, deleteRule: 'cascade' })
  group!: Rel<ProgramGroup>;

  /** Every enrollment of the group, whatever its status: the top of the funnel. */
  @Property({ type: 'integer' })
  invited!: number;

  /** Enrollments with status `consented`. */
  @Property({ type: 'integer' })
  consented!: number;

  /** Consented, with at least one reading. */
  @Property({ type: 'integer' })
  firstReading!: number;

  /** Consented, last reading within `staleAfterDays`. */
  @Property({ type: 'integer' })
  active!: number;

  /** Consented, had readings, none within `staleAfterDays`. */
  @Property({ type: 'integer' })
  stale!: number;

  /** Consented, OMRON connection in `reconnect_needed`. */
  @Property({ type: 'integer' })
  reconnectNeeded!: number;

  @Property({ type: 'integer' })
  withdrawn!: number;

  /** Readings stored in the last 24 hours / 7 days for the group's consented participants. */
  @Property({ type: 'integer' })
  readings24h!: number;

  @Property({ type: 'integer' })
  readings7d!: number;

  /** STALE_AFTER_DAYS when computed, so a changed setting shows as stale figures until the next refresh. */
  @Property({ type: 'integer' })
  staleAfterDays!: number;

  @Property({ type: 'timestamptz' })
  computedAt!: Date;
}
