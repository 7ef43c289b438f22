import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

/**
 * A participant whose `participant_reading_day` rows lag behind their readings: a background pull (a backfill,
 * reconciliation) wrote pages without counting them, and the transaction that finishes the pull recounts the
 * participant's days and removes the row (`ReadingDays`).
 */
@Entity({ tableName: 'participant_reading_day_recount' })
export class ParticipantReadingDayRecount {
  @PrimaryKey({ type: 'uuid' })
  participantId!: string;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  notedAt!: Date;
}
