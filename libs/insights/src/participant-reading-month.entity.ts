import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

/**
 * One participant's readings in one local month (by the date of the reading's `local_time`, the wall clock OMRON
 * sent): which days have an adherence-counting reading (`ADHERENCE_KINDS`), and the blood-pressure readings with
 * values and their sums, so a mean is a division. Maintained from the sync's landed pages (`ReadingDays`), so
 * adherence and control read a row or two per participant instead of the reading tables.
 */
@Entity({ tableName: 'participant_reading_month' })
export class ParticipantReadingMonth {
  @PrimaryKey({ type: 'uuid' })
  participantId!: string;

  /** The month's first day. */
  @PrimaryKey({ type: 'date' })
  month!: string;

  /** Bit d-1 is set when day d has a counting reading (a month row has at least one). */
  @Property({ type: 'integer' })
  days!: number;

  /**
   * 31 elements, cumulative: element i is the count (or sum) over days 1..i of the month, so the days lo..hi sum to
   * `a[hi] - coalesce(a[lo - 1], 0)` (a[0] is null) without unnesting the array.
   */
  @Property({ type: 'integer[]' })
  bpReadings!: number[];

  @Property({ type: 'bigint[]' })
  systolicSum!: string[];

  @Property({ type: 'bigint[]' })
  diastolicSum!: string[];
}
