import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

/**
 * One participant's readings on one of their local days (the date of the reading's `local_time`, the wall clock
 * OMRON sent): how many adherence-counting readings (`ADHERENCE_KINDS`), and the blood-pressure readings with
 * values and their sums, so a mean is a division. Maintained from the sync's landed pages (`ReadingDays`), so
 * adherence and control read a few rows per participant instead of the reading tables.
 */
@Entity({ tableName: 'participant_reading_day' })
export class ParticipantReadingDay {
  @PrimaryKey({ type: 'uuid' })
  participantId!: string;

  @PrimaryKey({ type: 'date' })
  day!: string;

  @Property({ type: 'integer' })
  readings!: number;

  @Property({ type: 'integer' })
  bpReadings!: number;

  @Property({ type: 'bigint' })
  systolicSum!: string;

  @Property({ type: 'bigint' })
  diastolicSum!: string;
}
