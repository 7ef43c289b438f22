import { Injectable } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/postgresql';
import { ReadingsLanded, ReadingsRepository, type LandingLane, type MeasurementKind, type WriteOutcome } from '@opendsp/measurements';
import { ConsentedParticipants } from '@opendsp/participants';
import type { ReadingRow } from './normalise.rules.js';

export type { WriteOutcome };

/**
 * Writes normalised readings of one participant into the typed tables, a page at a time, through
 * `ReadingsRepository.upsertPage` (idempotent: replaying a page changes nothing; every inserted or changed
 * row gets a new `change_seq`; activity hours and the participant's devices follow along). Then, in one more
 * round trip (`ReadingsLanded.apply`), the participant's enrollments get their first/last reading times (libs/participants'
 * statement) and the rooms that listen to `ReadingsLanded` (alerts, adherence) see the readings the page inserted or
 * changed, their usual work composed into the same statement, in the same transaction. A background pull's pages say so (`lane`).
 *
 * Must run inside the caller's transaction, after `lockChangeSequence(em)`.
 */
@Injectable()
export class ReadingWriter {
  /** The first two are stateless, so a writer built by hand gets its own, and no readings-landed listeners. */
  constructor(
    private readonly readings: ReadingsRepository = new ReadingsRepository(),
    private readonly participants: ConsentedParticipants = new ConsentedParticipants(),
    private readonly landed: ReadingsLanded = new ReadingsLanded(),
  ) {}

  /** `lane`: `background` for the pages of a backfill or reconciliation pull. */
  async write(
    em: EntityManager,
    participantId: string,
    kind: MeasurementKind,
    rows: readonly ReadingRow[],
    lane: LandingLane = 'fresh',
  ): Promise<WriteOutcome> {
    // One row per upstream id (the last wins): ON CONFLICT cannot touch the same row twice in one statement.
    const unique = [...new Map(rows.map((row) => [row.upstream_id, row] as const)).values()];
    if (unique.length === 0) return { inserted: 0, updated: 0 };
    const { inserted, updated, written } = await this.readings.upsertPage(em, participantId, kind, unique);
    const byUpstreamId = new Map(unique.map((row) => [row.upstream_id, row] as const));
    const readings = written.map(({ id, upstream_id, inserted: isNew }) => ({
      id,
      inserted: isNew,
      row: byUpstreamId.get(upstream_id)!,
    }));
    // The enrollments' reading times and the listeners' usual work go in one round trip.
    await this.landed.apply(em, { participantId, kind, lane, readings }, this.readingTimesStatement(participantId, unique));
    return { inserted, updated };
  }

  /** The update of the measurement times of the participant's first and last readings, on each group they consented to. */
  private readingTimesStatement(participantId: string, rows: readonly ReadingRow[]): { sql: string; params: unknown[] } {
    let first = rows[0].measured_at;
    let last = rows[0].measured_at;
    for (const { measured_at } of rows) {
      if (measured_at < first) first = measured_at;
      if (measured_at > last) last = measured_at;
    }
    return this.participants.recordReadingTimesStatement(participantId, first, last);
  }
}
