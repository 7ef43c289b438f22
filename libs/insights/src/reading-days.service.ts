import { Injectable, type OnModuleInit } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/postgresql';
import { ReadingsLanded, ReadingsRepository, type LandedPage } from '@opendsp/measurements';
import { ParticipantReadingsPort } from '@opendsp/participants';
import { ADHERENCE_KINDS } from './adherence.rules.js';

/**
 * Keeps `participant_reading_day` in step with the reading tables, inside the sync writer's transaction
 * (`ReadingsLanded`): the local days a page touched are recomputed from the readings through
 * `ReadingsRepository.dailySummarySql`, so a re-sent reading counts once. A changed reading may have moved to
 * another day, which the page no longer says: a page with a changed reading recomputes all of the
 * participant's days (rare: OMRON re-sends readings unchanged). A transaction-scoped advisory lock per
 * participant makes concurrent pages of one participant (several kinds at once) recompute one after the
 * other, each seeing the other's committed readings. A withdrawal that deletes the readings deletes the days
 * in the same transaction, through the participants room's `ParticipantReadingsPort`.
 */
@Injectable()
export class ReadingDays implements OnModuleInit {
  constructor(
    private readonly landed: ReadingsLanded,
    private readonly readings: ReadingsRepository,
    private readonly participantReadings: ParticipantReadingsPort,
  ) {}

  onModuleInit(): void {
    this.landed.listen('insights.reading-days', (em, page) => this.pageLanded(em, page));
    this.participantReadings.implement(async (em, participantId) => {
      await this.forget(em, participantId);
      // A summary, not readings: it does not add to the count.
      return 0;
    });
  }

  /** Recomputes the participant's days the page touched (all of them when a reading changed). */
  async pageLanded(em: EntityManager, page: LandedPage): Promise<void> {
    // Activity pages change nothing here: steps do not count as a day's measurement and carry no blood pressure.
    if (!ADHERENCE_KINDS.includes(page.kind)) return;
    const everyDay = page.readings.some((reading) => !reading.inserted);
    const days = everyDay ? null : [...new Set(page.readings.map((reading) => String(reading.row.local_time).slice(0, 10)))];
    await this.recompute(em, page.participantId, days);
  }

  /** Recomputes the given local days (`YYYY-MM-DD`) of a participant, or all of them with null. */
  async recompute(em: EntityManager, participantId: string, days: readonly string[] | null): Promise<void> {
    await em.execute(`select pg_advisory_xact_lock(hashtextextended('participant_reading_day:' || ?, 0))`, [participantId]);
    const summary = this.readings.dailySummarySql(participantId, days, ADHERENCE_KINDS);
    if (days === null) await em.execute(`delete from "participant_reading_day" where "participant_id" = ?`, [participantId]);
    else await em.execute(`delete from "participant_reading_day" where "participant_id" = ? and "day" in (?)`, [participantId, days]);
    await em.execute(
      `insert into "participant_reading_day" ("participant_id", "day", "readings", "bp_readings", "systolic_sum", "diastolic_sum")
       select ?::uuid, s.day, s.readings, s.bp_readings, s.systolic_sum, s.diastolic_sum from (${summary.sql}) s`,
      [participantId, ...summary.params],
    );
  }

  async forget(em: EntityManager, participantId: string): Promise<void> {
    await em.execute(`delete from "participant_reading_day" where "participant_id" = ?`, [participantId]);
  }
}
